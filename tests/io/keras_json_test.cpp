// The Keras JSON reader: every to_json() form of reference §6.1/§6.2, the
// examples, and errors located at FILE:LINE:COL.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "stride/stride.hpp"
#include "test_util.hpp"

namespace stride {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// "FILE:LINE:COL: message" of the error reading `text` throws ("" if none).
std::string located_error(const std::string& text, bool build = true) {
  try {
    Sequential model = read_keras_json(text, "m.json");
    if (build) model.build();
  } catch (const Error& e) {
    return e.located();
  }
  return "";
}

// Output shapes and parameter counts of every layer, in order.
struct Row {
  std::string name;
  Shape shape;
  Dim params;
  bool operator==(const Row& o) const {
    return name == o.name && shape == o.shape && params == o.params;
  }
};
std::ostream& operator<<(std::ostream& os, const Row& r) {
  return os << r.name << " " << shape_to_python(r.shape) << " " << r.params;
}
std::vector<Row> rows(Sequential& model) {
  model.build();
  std::vector<Row> out;
  for (const auto& l : model.layers())
    out.push_back({l->name(), l->output_shape(), l->count_params()});
  return out;
}

// ---- Forms -----------------------------------------------------------------

// The first seed's model, Conv2D(5, kernel_size=3, activation='relu',
// input_shape=(32, 32, 3)), as TF 2.4 writes it: an InputLayer named after
// the first layer, batch_input_shape repeated on the Conv2D (§6.1).
const char* const kSeedConvKeras2 =
    R"({"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [)"
    R"({"class_name": "InputLayer", "config": {"batch_input_shape": [null, 32, 32, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "conv2d_3_input"}}, )"
    R"({"class_name": "Conv2D", "config": {"name": "conv2d_3", "trainable": true, "batch_input_shape": [null, 32, 32, 3], "dtype": "float32", "filters": 5, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}})"
    R"(]}, "keras_version": "2.4.0", "backend": "tensorflow"})";

TEST(KerasJson, Keras2LegacySeedConv) {
  Sequential model = read_keras_json(kSeedConvKeras2, "seed.json");
  EXPECT_EQ(model.name(), "sequential_1");
  EXPECT_EQ(model.input_name(), "conv2d_3_input");
  EXPECT_EQ(model.input_shape(), (Shape{kNone, 32, 32, 3}));
  // 32 - 3 + 1 = 30; params (3*3*3 + 1) * 5 = 140 (the seed's own numbers).
  EXPECT_EQ(rows(model), (std::vector<Row>{{"conv2d_3", {kNone, 30, 30, 5}, 140}}));
  const Json& cfg = model.layers()[0]->get_config();
  EXPECT_EQ(cfg["activation"], "relu");
  EXPECT_EQ(cfg["kernel_initializer"]["class_name"], "GlorotUniform");  // kept as written
}

TEST(KerasJson, Keras2LegacySeedConvAndPool) {
  // The seed's second summary: MaxPooling2D(pool_size=(2, 2)) after the conv.
  const std::string text = slurp(STRIDE_SOURCE_DIR "/tests/data/json/seed_conv_pool_keras2.json");
  Sequential model = read_keras_json(text, "seed.json");
  // floor((30 - 2) / 2) + 1 = 15, no parameters.
  EXPECT_EQ(rows(model), (std::vector<Row>{{"conv2d_4", {kNone, 30, 30, 5}, 140},
                                           {"max_pooling2d_3", {kNone, 15, 15, 5}, 0}}));
}

// Keras 2.13-2.15: module / registered_name / build_config around every
// object, nested initializers serialized the same way (§6.1).
TEST(KerasJson, Keras2SerializationLib) {
  const char* text = R"({"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 16, 8, 1], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_1"}, "registered_name": null},
    {"module": "keras.layers", "class_name": "Conv2D", "config": {"name": "conv2d", "trainable": true, "dtype": "float32", "filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": true,
      "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
      "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
      "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": null},
      "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null},
     "registered_name": null, "build_config": {"input_shape": [null, 16, 8, 1]}}
  ]}, "keras_version": "2.15.0", "backend": "tensorflow"})";
  Sequential model = read_keras_json(text, "m.json");
  // The second seed's 16x8 input, kernel 3, stride 2, same: ceil(16/2) = 8, ceil(8/2) = 4;
  // params (3*3*1 + 1) * 4 = 40.
  EXPECT_EQ(rows(model), (std::vector<Row>{{"conv2d", {kNone, 8, 4, 4}, 40}}));
}

// Keras 3.0-3.3: dtype is a string, InputLayer has batch_shape (§6.2).
TEST(KerasJson, Keras3StringDtype) {
  const char* text =
      R"({"module": "keras", "class_name": "Sequential", "config": {"name": "seq", "trainable": true, "dtype": "float32", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 16, 8, 1], "dtype": "float32", "sparse": false, "name": "input_layer"}, "registered_name": null},
    {"module": "keras.layers", "class_name": "Conv2D", "config": {"name": "conv2d", "trainable": true, "dtype": "float32", "filters": 2, "kernel_size": [3, 3], "strides": [2, 2], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": false, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "registered_name": null, "build_config": {"input_shape": [null, 16, 8, 1]}}
  ], "build_input_shape": [null, 16, 8, 1]}, "registered_name": null, "build_config": {"input_shape": [null, 16, 8, 1]}})";
  Sequential model = read_keras_json(text, "m.json");
  EXPECT_EQ(model.name(), "seq");
  EXPECT_EQ(model.input_name(), "input_layer");
  // valid: floor((16 - 3) / 2) + 1 = 7, floor((8 - 3) / 2) + 1 = 3; no bias: 3*3*1*2 = 18.
  EXPECT_EQ(rows(model), (std::vector<Row>{{"conv2d", {kNone, 7, 3, 2}, 18}}));
}

// Keras 3.4+: dtype is a DTypePolicy object; 3.13+ InputLayer adds ragged
// and optional; a compile_config may follow.
TEST(KerasJson, Keras3DTypePolicyAndOptional) {
  const char* text =
      R"({"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": true,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
    "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [4, 10, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false}, "registered_name": null},
    {"module": "keras.layers", "class_name": "Conv1D", "config": {"name": "conv1d", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}, "registered_name": null}, "filters": 6, "kernel_size": [5], "strides": [1], "padding": "causal", "data_format": "channels_last", "dilation_rate": [2], "groups": 1, "activation": "relu", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": 7}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "lora_rank": null}, "registered_name": null, "build_config": {"input_shape": [4, 10, 3]}}
  ], "build_input_shape": [4, 10, 3]}, "registered_name": null, "build_config": {"input_shape": [4, 10, 3]},
  "compile_config": {"optimizer": "adam", "loss": "mse", "metrics": null}})";
  Sequential model = read_keras_json(text, "m.json");
  EXPECT_EQ(model.input_shape(), (Shape{4, 10, 3}));  // batch size kept
  // causal: ceil(10 / 1) = 10; params (5*3 + 1) * 6 = 96.
  EXPECT_EQ(rows(model), (std::vector<Row>{{"conv1d", {4, 10, 6}, 96}}));
  // The policy object becomes its name, as Keras 2 writes it.
  EXPECT_EQ(model.layers()[0]->get_config()["dtype"], "mixed_float16");
}

// A Keras 2 Sequential built with model.build(shape) has no InputLayer, only
// build_input_shape.
TEST(KerasJson, DeferredBuildInputShape) {
  const char* text = R"({"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "Conv2D", "config": {"name": "conv2d", "trainable": true, "dtype": "float32", "filters": 8, "kernel_size": [1, 1], "strides": [1, 1], "padding": "valid", "data_format": "channels_first", "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": true}}
  ], "build_input_shape": [null, 3, 5, 7]}, "keras_version": "2.11.0", "backend": "tensorflow"})";
  Sequential model = read_keras_json(text, "m.json");
  // channels_first 1x1 conv: (None, 8, 5, 7); params (1*1*3 + 1) * 8 = 32.
  EXPECT_EQ(rows(model), (std::vector<Row>{{"conv2d", {kNone, 8, 5, 7}, 32}}));
}

// Keras <= 2.2 wrote a Sequential's config as the bare list of layers.
TEST(KerasJson, OldListConfig) {
  const char* text = R"({"class_name": "Sequential", "config": [
    {"class_name": "Conv2D", "config": {"name": "conv2d_1", "trainable": true, "batch_input_shape": [null, 28, 28, 1], "dtype": "float32", "filters": 32, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "relu", "use_bias": true}}
  ], "keras_version": "2.2.4", "backend": "tensorflow"})";
  Sequential model = read_keras_json(text, "m.json");
  EXPECT_EQ(model.name(), "sequential");  // no name in this form: Keras's default
  EXPECT_EQ(model.input_name(), "conv2d_1_input");
  // 28 - 3 + 1 = 26; (3*3*1 + 1) * 32 = 320.
  EXPECT_EQ(rows(model), (std::vector<Row>{{"conv2d_1", {kNone, 26, 26, 32}, 320}}));
}

// Layers without a name in their config get Keras's default names.
TEST(KerasJson, DefaultNames) {
  const char* text = R"({"class_name": "Sequential", "config": {"layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 9, 9, 2]}},
    {"class_name": "Conv2D", "config": {"filters": 1, "kernel_size": 3}},
    {"class_name": "Conv2D", "config": {"filters": 1, "kernel_size": 3}}
  ]}})";
  Sequential model = read_keras_json(text, "m.json");
  // 9-3+1 = 7, 7-3+1 = 5; (3*3*2 + 1) * 1 = 19, (3*3*1 + 1) * 1 = 10.
  EXPECT_EQ(rows(model), (std::vector<Row>{{"conv2d", {kNone, 7, 7, 1}, 19},
                                           {"conv2d_1", {kNone, 5, 5, 1}, 10}}));
}

// The JSON model and the same model built from Keras calls agree.
TEST(KerasJson, SameModelAsKerasCalls) {
  Sequential from_json = read_keras_json(kSeedConvKeras2, "seed.json");
  Sequential from_calls("sequential_1");
  from_calls.add(test::make("Conv2D", {5},
                            {{"kernel_size", 3},
                             {"activation", "relu"},
                             {"input_shape", {32, 32, 3}},
                             {"name", "conv2d_3"}}));
  EXPECT_EQ(rows(from_json), rows(from_calls));
  EXPECT_EQ(from_json.input_shape(), from_calls.input_shape());
  const Json a = from_json.layers()[0]->get_config(), b = from_calls.layers()[0]->get_config();
  for (const char* key :
       {"name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding", "data_format",
        "dilation_rate", "groups", "activation", "use_bias", "batch_input_shape"})
    EXPECT_EQ(a[key], b[key]) << key;
}

TEST(KerasJson, ExamplesLoad) {
  for (const char* example : {"mnist_convnet_keras2.json", "mnist_convnet_keras3.json"}) {
    SCOPED_TRACE(example);
    Sequential model = load_model(std::string(STRIDE_SOURCE_DIR "/examples/") + example);
    // Conv 28-3+1 = 26, params (3*3*1 + 1)*32 = 320; pool floor((26-2)/2)+1 = 13;
    // conv 13-3+1 = 11, (3*3*32 + 1)*64 = 18496; pool floor((11-2)/2)+1 = 5;
    // flatten 5*5*64 = 1600; dense (1600 + 1)*10 = 16010.
    EXPECT_EQ(rows(model), (std::vector<Row>{{"conv2d", {kNone, 26, 26, 32}, 320},
                                             {"max_pooling2d", {kNone, 13, 13, 32}, 0},
                                             {"conv2d_1", {kNone, 11, 11, 64}, 18496},
                                             {"max_pooling2d_1", {kNone, 5, 5, 64}, 0},
                                             {"flatten", {kNone, 1600}, 0},
                                             {"dropout", {kNone, 1600}, 0},
                                             {"dense", {kNone, 10}, 16010}}));
    EXPECT_EQ(model.count_params(), 34826);  // 320 + 18496 + 16010
    EXPECT_EQ(model.trainable_params(), 34826);
    EXPECT_EQ(model.input_shape(), (Shape{kNone, 28, 28, 1}));
  }
}

// Metadata keys real Keras writes that change no shape are accepted.
TEST(KerasJson, HarmlessMetadataAccepted) {
  const char* text = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 5, 5, 1], "sparse": false, "ragged": false}},
    {"class_name": "Conv2D", "config": {"name": "c", "filters": 1, "kernel_size": 1, "lora_rank": null, "lora_alpha": null, "quantization_config": null, "activity_regularizer": {"class_name": "L1", "config": {"l1": 0.1}}}}
  ]}})";
  Sequential model = read_keras_json(text, "m.json");
  // 1x1 conv: (1*1*1 + 1) * 1 = 2.
  EXPECT_EQ(rows(model), (std::vector<Row>{{"c", {kNone, 5, 5, 1}, 2}}));
}

// Layers whose Keras 2 and Keras 3 configs differ: BatchNormalization's axis
// is a list in Keras 2 ([3] after build) and Keras 3 adds `synchronized`;
// LeakyReLU's slope is `alpha` in Keras 2.
TEST(KerasJson, Keras2AndKeras3LayerSpellings) {
  const char* text = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 4, 8], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_1"}},
    {"class_name": "BatchNormalization", "config": {"name": "bn_k2", "trainable": true, "dtype": "float32", "axis": [3], "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true, "beta_initializer": {"class_name": "Zeros", "config": {}}, "gamma_initializer": {"class_name": "Ones", "config": {}}, "moving_mean_initializer": {"class_name": "Zeros", "config": {}}, "moving_variance_initializer": {"class_name": "Ones", "config": {}}, "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null}},
    {"class_name": "LeakyReLU", "config": {"name": "leaky_re_lu", "trainable": true, "dtype": "float32", "alpha": 0.30000001192092896}},
    {"module": "keras.layers", "class_name": "BatchNormalization", "config": {"name": "bn_k3", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": false, "beta_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "gamma_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null}, "moving_mean_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "moving_variance_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null}, "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null, "synchronized": false}, "registered_name": null, "build_config": {"input_shape": [null, 4, 4, 8]}}
  ]}})";
  Sequential model = read_keras_json(text, "m.json");
  // bn_k2: gamma, beta 8 + 8 trainable, moving mean/variance 8 + 8 = 32;
  // bn_k3 (scale=false): beta 8 trainable + 16 non-trainable = 24.
  EXPECT_EQ(rows(model), (std::vector<Row>{{"bn_k2", {kNone, 4, 4, 8}, 32},
                                           {"leaky_re_lu", {kNone, 4, 4, 8}, 0},
                                           {"bn_k3", {kNone, 4, 4, 8}, 24}}));
  EXPECT_EQ(model.trainable_params(), 24);      // 16 + 8
  EXPECT_EQ(model.non_trainable_params(), 32);  // 16 + 16
}

// A frozen layer (trainable false, as fine-tuning models are saved) counts
// its weights as non-trainable.
TEST(KerasJson, FrozenLayer) {
  const char* text = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 5, 5, 3]}},
    {"class_name": "Conv2D", "config": {"name": "frozen", "trainable": false, "filters": 4, "kernel_size": 3}},
    {"class_name": "Conv2D", "config": {"name": "tuned", "trainable": true, "filters": 2, "kernel_size": 1}}
  ]}})";
  Sequential model = read_keras_json(text, "m.json");
  model.build();
  // frozen: (3*3*3 + 1) * 4 = 112, all non-trainable; tuned: (1*1*4 + 1) * 2 = 10.
  EXPECT_EQ(model.layers()[0]->trainable_params(), 0);
  EXPECT_EQ(model.layers()[0]->non_trainable_params(), 112);
  EXPECT_EQ(model.trainable_params(), 10);
  EXPECT_EQ(model.non_trainable_params(), 112);
}

TEST(KerasJson, ByteOrderMarkSkipped) {
  Sequential model = read_keras_json(std::string("\xEF\xBB\xBF") + kSeedConvKeras2, "m.json");
  EXPECT_EQ(model.layers().size(), 1u);
}

// ---- Errors ------------------------------------------------------------------

TEST(KerasJsonError, TruncatedDocument) {
  // 39 bytes; the end of input is column 40.
  EXPECT_EQ(located_error(R"({"class_name": "Sequential", "config": )"),
            "m.json:1:40: invalid JSON: unexpected end of input; expected '[', '{', or a literal");
  EXPECT_EQ(located_error(""),
            "m.json:1:1: invalid JSON: unexpected end of input; expected '[', '{', or a literal");
}

TEST(KerasJsonError, SyntaxErrorsPointAtTheToken) {
  // The missing ':' : the string "b" at column 7 of line 2.
  EXPECT_EQ(located_error("{\"class_name\": \"Sequential\",\n  \"a\" \"b\"}"),
            "m.json:2:7: invalid JSON: unexpected string literal; expected ':'");
  // A trailing comma before '}' (column 29).
  EXPECT_EQ(located_error(R"({"class_name": "Sequential",})"),
            "m.json:1:29: invalid JSON: unexpected '}'; expected string literal");
  // Lexer errors point at the token they stopped in: "tru" at column 16, the
  // string holding a raw newline at column 7 of line 1.
  EXPECT_EQ(located_error(R"({"class_name": tru})"), "m.json:1:16: invalid JSON: invalid literal");
  EXPECT_EQ(located_error("{\"a\": \"x\ny\"}"),
            "m.json:1:7: invalid JSON: invalid string: control character U+000A (LF) must be "
            "escaped to \\u000A or \\n");
  // Something after the document (column 4).
  EXPECT_EQ(located_error("{} x"),
            "m.json:1:4: invalid JSON: invalid literal; expected end of input");
}

TEST(KerasJsonError, NotAnObject) {
  EXPECT_EQ(located_error("[1, 2]"),
            "m.json:1:1: expected a JSON object with \"class_name\" and \"config\" (a Keras "
            "model's to_json()), got a list");
}

TEST(KerasJsonError, MissingModelKeys) {
  EXPECT_EQ(located_error(R"({"config": {}})"), "m.json:1:1: the model has no \"class_name\"");
  EXPECT_EQ(located_error(R"({"class_name": "Sequential"})"),
            "m.json:1:1: the model has no \"config\"");
  // Errors about a member point at its key: "config" at column 30.
  EXPECT_EQ(located_error(R"({"class_name": "Sequential", "config": {"name": "s"}})"),
            "m.json:1:30: the model's config has no \"layers\"");
}

TEST(KerasJsonError, WrongTypes) {
  // class_name's key is at column 2.
  EXPECT_EQ(located_error(R"({"class_name": 5, "config": {}})"),
            "m.json:1:2: \"class_name\" of the model must be a non-empty string, got a number");
  EXPECT_EQ(located_error(R"({"class_name": "Sequential", "config": "x"})"),
            "m.json:1:30: the model's \"config\" must be an object, got a string");
  EXPECT_EQ(located_error(R"({"class_name": "Sequential", "config": {"layers": {}}})"),
            "m.json:1:41: \"layers\" must be a list of layers, got an object");
  EXPECT_EQ(located_error(R"({"class_name": "Sequential", "config": {"name": 3, "layers": []}})"),
            "m.json:1:41: the model's \"name\" must be a non-empty string, got a number");
}

TEST(KerasJsonError, EmptyLayerList) {
  EXPECT_EQ(located_error(R"({"class_name": "Sequential", "config": {"layers": []}})"),
            "m.json:1:41: the model has no layers");
}

TEST(KerasJsonError, FunctionalModel) {
  EXPECT_EQ(located_error(R"({"class_name": "Functional", "config": {"layers": []}})"),
            "m.json:1:2: only Sequential models are supported; this is a functional model "
            "(class_name \"Functional\")");
  EXPECT_EQ(located_error(R"({"class_name": "Model", "config": {}})"),
            "m.json:1:2: only Sequential models are supported; this is a functional model "
            "(class_name \"Model\")");
  EXPECT_EQ(located_error(R"({"class_name": "Conv2D", "config": {}})"),
            "m.json:1:2: expected a Sequential model, got class_name \"Conv2D\"");
}

// A model written over several lines, as to_json(indent=2) gives.
std::string model_with(const std::string& layer_lines) {
  return "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": [\n"
         "  {\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 2, 2, "
         "1]}},\n" +
         layer_lines + "\n]}}";
}

TEST(KerasJsonError, LayerEntryShape) {
  EXPECT_EQ(located_error(model_with("  7")),
            "m.json:3:3: layer 1 of the model must be an object with \"class_name\" and "
            "\"config\", got a number");
  EXPECT_EQ(located_error(model_with("  {\"config\": {}}")),
            "m.json:3:3: layer 1 of the model has no \"class_name\"");
  EXPECT_EQ(located_error(model_with("  {\"class_name\": \"Conv2D\"}")),
            "m.json:3:3: layer 1 of the model has no \"config\"");
  // The key "config" at column 28.
  EXPECT_EQ(located_error(model_with("  {\"class_name\": \"Conv2D\", \"config\": [1]}")),
            "m.json:3:28: Conv2D: \"config\" must be an object, got a list");
}

TEST(KerasJsonError, UnknownLayerAtItsClassName) {
  // "Conv2E" (its opening quote) is at line 3, column 18.
  EXPECT_EQ(located_error(model_with("  {\"class_name\": \"Conv2E\", \"config\": {}}")),
            "m.json:3:18: unknown layer `Conv2E` (did you mean 'Conv2D'?)");
}

TEST(KerasJsonError, NestedModel) {
  EXPECT_EQ(located_error(model_with("  {\"class_name\": \"Sequential\", \"config\": {}}")),
            "m.json:3:4: layer 1 of the model is a nested Sequential model; nested models are "
            "not supported");
}

TEST(KerasJsonError, UnknownArgumentAtItsKey) {
  // "kernel_sizes" starts at column 53 of line 3.
  EXPECT_EQ(located_error(model_with("  {\"class_name\": \"Conv2D\", \"config\": {\"filters\": 1, "
                                     "\"kernel_sizes\": 3}}")),
            "m.json:3:53: Conv2D: unknown argument `kernel_sizes` (did you mean 'kernel_size'?)");
  // A missing required argument is reported at the layer's class name.
  EXPECT_EQ(
      located_error(model_with("  {\"class_name\": \"Conv2D\", \"config\": {\"filters\": 1}}")),
      "m.json:3:18: Conv2D: missing required argument `kernel_size`");
}

TEST(KerasJsonError, WrongArgumentTypeAtItsKey) {
  // "filters" starts at column 39 of line 3.
  EXPECT_EQ(located_error(model_with("  {\"class_name\": \"Conv2D\", \"config\": {\"filters\": "
                                     "\"32\", \"kernel_size\": 3}}")),
            "m.json:3:39: Conv2D: argument `filters` must be an integer. Received: filters='32' "
            "(of type str)");
}

TEST(KerasJsonError, KernelLargerThanInputAtTheLayer) {
  // Input 2x2, kernel 3x3 valid: 2 - 3 + 1 = 0 rows. Reported at the layer's
  // class name (line 3, column 18) when the model is built.
  const std::string error = located_error(model_with(
      "  {\"class_name\": \"Conv2D\", \"config\": {\"name\": \"conv2d\", \"filters\": 1, "
      "\"kernel_size\": 3}}"));
  EXPECT_EQ(error.rfind("m.json:3:18: Conv2D layer 'conv2d': ", 0), 0u) << error;
  EXPECT_NE(error.find("(None, 2, 2, 1)"), std::string::npos) << error;
}

TEST(KerasJsonError, LoraIsNotSupported) {
  // "lora_rank" starts at column 71.
  EXPECT_EQ(located_error(model_with("  {\"class_name\": \"Conv2D\", \"config\": {\"filters\": 1, "
                                     "\"kernel_size\": 1, \"lora_rank\": 4}}")),
            "m.json:3:71: Conv2D: `lora_rank=4` is not supported: it changes the layer's weights");
}

TEST(KerasJsonError, DuplicateLayerNames) {
  const std::string conv =
      "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"c\", \"filters\": 1, "
      "\"kernel_size\": 1}}";
  // The second layer's "name" key: line 4, column 39.
  EXPECT_EQ(located_error(model_with("  " + conv + ",\n  " + conv)),
            "m.json:4:39: All layers added to a Sequential model should have unique names. Name "
            "\"c\" is already the name of a layer in this model.");
}

TEST(KerasJsonError, InputLayerNotFirst) {
  const std::string input =
      "  {\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 2]}}";
  EXPECT_EQ(located_error(model_with(input)),
            "m.json:3:18: InputLayer: a Sequential model takes its input only once, first");
}

TEST(KerasJsonError, BadBuildInputShape) {
  const char* text = R"({"class_name": "Sequential", "config": {"layers": [
    {"class_name": "Conv2D", "config": {"filters": 1, "kernel_size": 1}}], "build_input_shape": [null, 0, 4, 1]}})";
  // Key "build_input_shape" at line 2, column 76.
  EXPECT_EQ(located_error(text),
            "m.json:2:76: \"build_input_shape\" must be a list of positive integers or null, "
            "batch first; got (None, 0, 4, 1)");
}

TEST(KerasJsonError, DeepNestingIsCapped) {
  // The 65th '[' (offset 64, column 65) is one level too deep.
  EXPECT_EQ(located_error(std::string(100000, '[')),
            "m.json:1:65: invalid JSON: nested deeper than 64 levels");
  EXPECT_EQ(located_error("{\"a\": " + std::string(100, '[')),
            "m.json:1:70: invalid JSON: nested deeper than 64 levels");  // 6 + 63 + 1
}

TEST(KerasJsonError, HugeNumbers) {
  // A float overflowing double is a JSON error at the number (line 3, column 50).
  EXPECT_EQ(located_error(model_with("  {\"class_name\": \"Conv2D\", \"config\": {\"filters\": "
                                     "1e999, \"kernel_size\": 1}}")),
            "m.json:3:50: invalid JSON: number overflow parsing '1e999'");
  // An integer past 2^64 parses as a float and is then not an integer (key at column 39).
  EXPECT_EQ(located_error(model_with("  {\"class_name\": \"Conv2D\", \"config\": {\"filters\": "
                                     "123456789012345678901234567890, \"kernel_size\": 1}}")),
            "m.json:3:39: Conv2D: argument `filters` must be an integer. Received: "
            "filters=1.2345678901234568e+29 (of type float)");
}

}  // namespace
}  // namespace stride
