// Keras model and weight files (reference §6): the fixtures that
// scripts/make_keras_fixtures.py writes with h5py (Keras 2 legacy .h5, Keras
// 3 .keras and .weights.h5) load with the weights of the matching .npz; what
// stride writes has §6's layout, checked with the HDF5 C API directly (not
// stride's reader); round trips are lossless; bad files are clean errors.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <map>

#include "cli/cli_runner.hpp"
#include "io/keras_files.hpp"
#include "io/zip_archive.hpp"
#include "stride/stride.hpp"
#include "test_util.hpp"

namespace stride::test {
namespace {

std::string fixture(const std::string& name) {
  return source_path("tests/data/keras/" + name);
}

std::map<std::string, Array> by_name(const NamedArrays& arrays) {
  std::map<std::string, Array> out;
  for (const auto& [name, array] : arrays) out[name] = array;
  return out;
}

std::vector<std::string> layer_names(const Sequential& model) {
  std::vector<std::string> names;
  for (const auto& layer : model.layers()) names.push_back(layer->name());
  return names;
}

std::string error_of_loading(const std::string& path) {
  try {
    read_model_file(path);
  } catch (const Error& e) {
    return e.located();
  }
  return "";
}

const std::vector<std::string> kK2Layers{
    "conv2d", "batch_normalization", "max_pooling2d", "depthwise_conv2d", "flatten", "dropout",
    "dense"};
const std::vector<std::string> kK3Layers{"conv2d",   "conv2d_transpose", "separable_conv2d",
                                         "conv2d_1", "max_pooling2d",    "batch_normalization",
                                         "flatten",  "dropout",          "dense"};

// ---- Reading what h5py wrote ------------------------------------------------

TEST(KerasFile, Keras2LegacyModelH5) {
  ModelFile file = read_model_file(fixture("k2_model.h5"));
  EXPECT_TRUE(file.has_weights);
  EXPECT_EQ(layer_names(file.model), kK2Layers);
  EXPECT_EQ(file.model.input_shape(), (Shape{kNone, 8, 8, 1}));
  // BatchNormalization: gamma, beta trainable; moving_mean, moving_variance not.
  EXPECT_EQ(file.model.non_trainable_params(), 8);
  // 3*3*1*4+4 + 4*4 + 3*3*4*2+8 + 72*5+5 = 40 + 16 + 80 + 365
  EXPECT_EQ(file.model.count_params(), 501);
  EXPECT_EQ(by_name(file.model.weight_arrays()), by_name(read_npz(fixture("k2_weights.npz"))));
}

TEST(KerasFile, LegacyH5AsKeras3WritesIt) {
  // weight_names without ":0", variable-length string attributes.
  ModelFile file = read_model_file(fixture("k3_legacy.h5"));
  EXPECT_EQ(layer_names(file.model), kK2Layers);
  EXPECT_EQ(by_name(file.model.weight_arrays()), by_name(read_npz(fixture("k2_weights.npz"))));
}

TEST(KerasFile, Keras2SaveWeightsH5IntoALinesModel) {
  Sequential model = load_model(fixture("k2_model.txt"));
  model.load_weights(fixture("k2_weights.h5"));
  EXPECT_EQ(by_name(model.weight_arrays()), by_name(read_npz(fixture("k2_weights.npz"))));
  // The weights group of a model file works as --weights too.
  Sequential again = load_model(fixture("k2_model.txt"));
  again.load_weights(fixture("k2_model.h5"));
  EXPECT_EQ(by_name(again.weight_arrays()), by_name(read_npz(fixture("k2_weights.npz"))));
}

TEST(KerasFile, Keras3Archive) {
  ModelFile file = read_model_file(fixture("k3_model.keras"));
  EXPECT_TRUE(file.has_weights);
  EXPECT_EQ(layer_names(file.model), kK3Layers);
  EXPECT_EQ(file.model.input_name(), "input_layer");
  EXPECT_EQ(file.model.output_shape(), (Shape{kNone, 3}));
  EXPECT_EQ(by_name(file.model.weight_arrays()), by_name(read_npz(fixture("k3_weights.npz"))));
  // load_model reads the same model.
  EXPECT_EQ(layer_names(load_model(fixture("k3_model.keras"))), kK3Layers);
}

TEST(KerasFile, Keras3WeightsH5AndArchiveAsWeights) {
  for (const char* weights : {"k3_model.weights.h5", "k3_model.keras"}) {
    Sequential model = load_model(fixture("k3_model.txt"));
    model.load_weights(fixture(weights));
    EXPECT_EQ(by_name(model.weight_arrays()), by_name(read_npz(fixture("k3_weights.npz"))))
        << weights;
  }
}

TEST(KerasFile, SummaryMatchesTheLinesModel) {
  for (const auto& [keras, lines] :
       {std::pair{"k2_model.h5", "k2_model.txt"}, std::pair{"k3_model.keras", "k3_model.txt"}}) {
    const Sequential a = load_model(fixture(keras)), b = load_model(fixture(lines));
    for (SummaryStyle style : {SummaryStyle::kKeras2, SummaryStyle::kKeras3})
      EXPECT_EQ(a.summary({.style = style}), b.summary({.style = style})) << keras;
  }
}

// ---- Round trips --------------------------------------------------------------

class KerasRoundTrip : public testing::Test {
 protected:
  std::string path(const std::string& name) const { return (dir_.path() / name).string(); }
  TempDir dir_;
};

TEST_F(KerasRoundTrip, KerasArchiveH5AndWeightsH5AreLossless) {
  const ModelFile source = read_model_file(fixture("k3_model.keras"));
  const auto weights = by_name(source.model.weight_arrays());
  const std::string summary = source.model.summary({.style = SummaryStyle::kKeras3});

  save_keras(source.model, path("rt.keras"));
  ModelFile keras = read_model_file(path("rt.keras"));
  EXPECT_TRUE(keras.has_weights);
  EXPECT_EQ(by_name(keras.model.weight_arrays()), weights);
  EXPECT_EQ(keras.model.summary({.style = SummaryStyle::kKeras3}), summary);
  EXPECT_EQ(to_keras3_json(keras.model), to_keras3_json(source.model));

  save_keras_h5(source.model, path("rt.h5"));
  ModelFile h5 = read_model_file(path("rt.h5"));
  EXPECT_EQ(by_name(h5.model.weight_arrays()), weights);
  EXPECT_EQ(h5.model.summary({.style = SummaryStyle::kKeras3}), summary);
  EXPECT_EQ(to_keras2_json(h5.model), to_keras2_json(source.model));

  save_weights_h5(source.model, path("rt.weights.h5"));
  Sequential lines = load_model(fixture("k3_model.txt"));
  lines.load_weights(path("rt.weights.h5"));
  EXPECT_EQ(by_name(lines.weight_arrays()), weights);

  // The .npz of a round-tripped model holds the same bytes.
  keras.model.save_weights(path("a.npz"));
  source.model.save_weights(path("b.npz"));
  EXPECT_EQ(read_text(path("a.npz")), read_text(path("b.npz")));
}

TEST_F(KerasRoundTrip, Keras2ModelThroughKeras3AndBack) {
  const ModelFile source = read_model_file(fixture("k2_model.h5"));
  save_keras(source.model, path("k2.keras"));
  const ModelFile keras = read_model_file(path("k2.keras"));
  save_keras_h5(keras.model, path("k2.h5"));
  const ModelFile back = read_model_file(path("k2.h5"));
  EXPECT_EQ(by_name(back.model.weight_arrays()), by_name(read_npz(fixture("k2_weights.npz"))));
  EXPECT_EQ(back.model.summary(), source.model.summary());
}

// ---- What stride writes, read with the HDF5 C API --------------------------------

// An HDF5 identifier closed at scope exit.
struct Id {
  hid_t id;
  explicit Id(hid_t i) : id(i) {}
  ~Id() {
    if (id >= 0) H5Oclose(id);
  }
};

class Hdf5Inspect : public KerasRoundTrip {
 protected:
  void open(const std::string& file) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    file_ = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(file_, 0) << file;
  }
  void TearDown() override {
    if (file_ >= 0) H5Fclose(file_);
  }
  bool exists(const std::string& path) const {
    // Every group on the way must exist for H5Lexists.
    for (std::size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
      if (H5Lexists(file_, path.substr(0, end).c_str(), H5P_DEFAULT) <= 0) return false;
      if (end == std::string::npos) return true;
    }
  }
  H5O_type_t type_of(const std::string& path) const {
    H5O_info_t info;
    if (H5Oget_info_by_name(file_, path.c_str(), &info, H5P_DEFAULT) < 0) return H5O_TYPE_UNKNOWN;
    return info.type;
  }
  // A float32 little-endian dataset of this shape.
  void expect_float32(const std::string& path, const std::vector<hsize_t>& dims) const {
    ASSERT_TRUE(exists(path)) << path;
    const hid_t d = H5Dopen2(file_, path.c_str(), H5P_DEFAULT);
    const hid_t type = H5Dget_type(d), space = H5Dget_space(d);
    EXPECT_GT(H5Tequal(type, H5T_IEEE_F32LE), 0) << path;
    std::vector<hsize_t> got(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space)));
    H5Sget_simple_extent_dims(space, got.data(), nullptr);
    EXPECT_EQ(got, dims) << path;
    H5Tclose(type);
    H5Sclose(space);
    H5Dclose(d);
  }
  // A string attribute's values (fixed-length strings, as h5py stores bytes).
  std::vector<std::string> strings(const std::string& object, const std::string& name) const {
    const hid_t a = H5Aopen_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
    EXPECT_GE(a, 0) << object << " @" << name;
    if (a < 0) return {};
    const hid_t type = H5Aget_type(a), space = H5Aget_space(a);
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    std::vector<std::string> out;
    if (n > 0) {
      EXPECT_EQ(H5Tget_class(type), H5T_STRING);
      EXPECT_LE(H5Tis_variable_str(type), 0) << "fixed-length, as h5py stores bytes";
      EXPECT_EQ(H5Tget_strpad(type), H5T_STR_NULLPAD);
      const std::size_t size = H5Tget_size(type);
      std::string buffer(size * static_cast<std::size_t>(n), '\0');
      H5Aread(a, type, buffer.data());
      for (hssize_t i = 0; i < n; ++i) {
        std::string s = buffer.substr(static_cast<std::size_t>(i) * size, size);
        out.push_back(s.substr(0, s.find('\0')));
      }
    }
    H5Tclose(type);
    H5Sclose(space);
    H5Aclose(a);
    return out;
  }
  hid_t file_ = -1;
};

TEST_F(Hdf5Inspect, LegacyH5FollowsTheKeras2Layout) {
  save_keras_h5(read_model_file(fixture("k2_model.h5")).model, path("m.h5"));
  open(path("m.h5"));
  EXPECT_EQ(strings("/", "keras_version"), std::vector<std::string>{"2.15.0"});
  EXPECT_EQ(strings("/", "backend"), std::vector<std::string>{"tensorflow"});
  const Json config = Json::parse(strings("/", "model_config").at(0));
  EXPECT_EQ(config["class_name"], "Sequential");
  EXPECT_EQ(config["keras_version"], "2.15.0");
  EXPECT_EQ(config["config"]["layers"][0]["class_name"], "InputLayer");
  EXPECT_EQ(config["config"]["layers"][0]["config"]["batch_input_shape"],
            Json::parse("[null, 8, 8, 1]"));
  EXPECT_EQ(config["config"]["layers"][1]["config"]["kernel_initializer"],
            Json::parse(R"({"class_name": "GlorotUniform", "config": {"seed": null}})"));
  EXPECT_EQ(strings("/model_weights", "layer_names"), kK2Layers);
  EXPECT_EQ(strings("/model_weights", "backend"), std::vector<std::string>{"tensorflow"});
  EXPECT_EQ(strings("/model_weights/batch_normalization", "weight_names"),
            (std::vector<std::string>{"batch_normalization/gamma:0", "batch_normalization/beta:0",
                                      "batch_normalization/moving_mean:0",
                                      "batch_normalization/moving_variance:0"}));
  EXPECT_TRUE(strings("/model_weights/flatten", "weight_names").empty());
  expect_float32("/model_weights/conv2d/conv2d/kernel:0", {3, 3, 1, 4});
  expect_float32("/model_weights/conv2d/conv2d/bias:0", {4});
  expect_float32("/model_weights/depthwise_conv2d/depthwise_conv2d/depthwise_kernel:0",
                 {3, 3, 4, 2});
  expect_float32("/model_weights/batch_normalization/batch_normalization/moving_variance:0", {4});
  expect_float32("/model_weights/dense/dense/kernel:0", {72, 5});
  EXPECT_EQ(type_of("/model_weights/dropout"), H5O_TYPE_GROUP);
  EXPECT_EQ(type_of("/model_weights/top_level_model_weights"), H5O_TYPE_GROUP);
}

TEST_F(Hdf5Inspect, WeightsH5FollowsTheKeras3Layout) {
  save_weights_h5(read_model_file(fixture("k3_model.keras")).model, path("m.weights.h5"));
  open(path("m.weights.h5"));
  EXPECT_EQ(type_of("/vars"), H5O_TYPE_GROUP);
  expect_float32("/layers/conv2d/vars/0", {3, 3, 2, 3});
  expect_float32("/layers/conv2d/vars/1", {3});
  expect_float32("/layers/conv2d_transpose/vars/0", {3, 3, 2, 3});
  expect_float32("/layers/separable_conv2d/vars/0", {3, 3, 2, 1});
  expect_float32("/layers/separable_conv2d/vars/1", {1, 1, 2, 4});
  expect_float32("/layers/separable_conv2d/vars/2", {4});
  expect_float32("/layers/conv2d_1/vars/0", {1, 1, 4, 2});
  expect_float32("/layers/batch_normalization/vars/3", {2});
  expect_float32("/layers/dense/vars/0", {50, 3});
  EXPECT_EQ(type_of("/layers/flatten/vars"), H5O_TYPE_GROUP);
  EXPECT_FALSE(exists("/layers/flatten/vars/0"));
  EXPECT_FALSE(exists("/layers/input_layer"));
  EXPECT_EQ(strings("/layers/conv2d_1/vars", "name"), std::vector<std::string>{"conv2d_1"});
}

TEST_F(Hdf5Inspect, KerasArchiveMembersAndConfig) {
  save_keras(read_model_file(fixture("k3_model.keras")).model, path("m.keras"));
  const std::string bytes = read_text(path("m.keras"));
  const ZipReader zip(bytes, "m.keras", "zip");
  ASSERT_EQ(zip.members().size(), 3u);
  EXPECT_EQ(zip.members()[0].name, "metadata.json");
  EXPECT_EQ(zip.members()[1].name, "config.json");
  EXPECT_EQ(zip.members()[2].name, "model.weights.h5");
  const Json metadata = Json::parse(zip.read(0, 1 << 20, "metadata"));
  EXPECT_EQ(metadata["keras_version"], "3.10.0");
  EXPECT_TRUE(metadata["date_saved"].is_string());

  // config.json: json.dumps's separators and §6.2's objects.
  const std::string text = zip.read(1, 1 << 20, "config");
  EXPECT_TRUE(text.starts_with(
      R"({"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", )"
      R"("trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", )"
      R"("config": {"name": "float32"}, "registered_name": null}, "layers": [{"module": )"
      R"("keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 6, 6, )"
      R"(2], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer"}, )"
      R"("registered_name": null}, {"module": "keras.layers", "class_name": "Conv2D", )"
      R"("config": {"name": "conv2d", "trainable": true, "dtype": {"module": "keras", )"))
      << text.substr(0, 600);
  const Json config = Json::parse(text);
  EXPECT_EQ(config["registered_name"], nullptr);
  EXPECT_EQ(config["build_config"]["input_shape"], Json::parse("[null, 6, 6, 2]"));
  const Json& layers = config["config"]["layers"];
  ASSERT_EQ(layers.size(), 10u);
  EXPECT_EQ(layers[1]["config"]["kernel_initializer"],
            Json::parse(R"({"module": "keras.initializers", "class_name": "GlorotUniform", )"
                        R"("config": {"seed": null}, "registered_name": null})"));
  EXPECT_EQ(layers[1]["build_config"]["input_shape"], Json::parse("[null, 6, 6, 2]"));
  EXPECT_EQ(layers[2]["build_config"]["input_shape"], Json::parse("[null, 6, 6, 3]"));
  EXPECT_FALSE(layers[5].contains("build_config"));  // MaxPooling2D: built in __init__
  EXPECT_EQ(layers[6]["config"]["synchronized"], false);
  EXPECT_FALSE(layers[9]["config"].contains("activity_regularizer"));  // Dense, unset

  // model.weights.h5 holds the Keras 3 layout.
  const std::string h5 = zip.read(2, 1 << 30, "weights");
  write_text(path("inner.h5"), h5);
  open(path("inner.h5"));
  expect_float32("/layers/dense/vars/1", {3});
  expect_float32("/layers/batch_normalization/vars/0", {2});
}

// ---- Errors -------------------------------------------------------------------

TEST(KerasFileErrors, WrongShapeAndDtype) {
  const std::string shape = fixture("k2_bad_shape.h5");
  EXPECT_EQ(error_of_loading(shape),
            shape +
                ": /model_weights/dense/dense/kernel:0: has shape (5, 72), the model expects "
                "(72, 5) (Dense layer 'dense' weight 'kernel')");
  const std::string dtype = fixture("k2_bad_dtype.h5");
  EXPECT_EQ(error_of_loading(dtype),
            dtype +
                ": /model_weights/dense/dense/kernel:0: has dtype int32, expected float32 "
                "(Dense layer 'dense' weight 'kernel')");
}

TEST(KerasFileErrors, ArchiveMembers) {
  const std::string no_weights = fixture("k3_no_weights.keras");
  EXPECT_EQ(error_of_loading(no_weights),
            no_weights +
                ": the archive has no member 'model.weights.h5' (a .keras file holds "
                "config.json, model.weights.h5 and metadata.json)");
  const std::string no_config = fixture("k3_no_config.keras");
  EXPECT_EQ(error_of_loading(no_config),
            no_config +
                ": the archive has no member 'config.json' (a .keras file holds "
                "config.json, model.weights.h5 and metadata.json)");
  const std::string text = fixture("k3_text_weights.keras");
  EXPECT_EQ(error_of_loading(text),
            text + ": model.weights.h5: not an HDF5 file (no HDF5 signature)");
}

TEST(KerasFileErrors, UnsupportedLayerNamedWithItsPlaceInConfigJson) {
  const std::string path = fixture("k3_lstm.keras");
  const std::string error = error_of_loading(path);
  // The position of "LSTM" in config.json, found independently.
  const std::string bytes = read_text(path);
  const ZipReader zip(bytes, path, "zip");
  const std::string config =
      zip.read(static_cast<std::size_t>(zip.find("config.json")), 1 << 20, "config");
  const std::size_t at = config.find("\"LSTM\"");
  ASSERT_NE(at, std::string::npos);
  EXPECT_TRUE(error.starts_with(fmt::format("{}: config.json:1:{}: ", path, at + 1))) << error;
  EXPECT_NE(error.find("LSTM"), std::string::npos) << error;
}

TEST(KerasFileErrors, WeightsOfAnotherModel) {
  // The K2 model's weights do not fit the K3 model, in either layout.
  Sequential model = load_model(fixture("k3_model.txt"));
  const auto message = [&](const std::string& file) {
    return error_of([&] { model.load_weights(fixture(file)); });
  };
  EXPECT_EQ(message("k2_weights.h5"),
            "/: the file has weights for 4 layers, the model has 6 layers with weights");
  Sequential k2 = load_model(fixture("k2_model.txt"));
  EXPECT_EQ(error_of([&] { k2.load_weights(fixture("k3_model.weights.h5")); }),
            "/layers/conv2d/vars/0: has shape (3, 3, 2, 3), the model expects (3, 3, 1, 4) "
            "(Conv2D layer 'conv2d' weight 'kernel')");
}

TEST(KerasFileErrors, ModelFileNeedsAModel) {
  const std::string weights = fixture("k2_weights.h5");
  EXPECT_EQ(error_of_loading(weights),
            weights +
                ": an HDF5 file without a model_config attribute: a weights file, not a "
                "model (give the model as MODEL and this file with --weights)");
  const std::string npz = fixture("k3_weights.npz");
  EXPECT_EQ(error_of_loading(npz), npz +
                                       ": a .npz archive of weights, not a model: give the "
                                       "model as MODEL and this file with --weights");
}

// Every cut of a file is a clean error (libzip and HDF5 see the missing end).
void expect_every_truncation_fails(const std::string& name, std::size_t step) {
  const std::string bytes = read_text(fixture(name));
  ASSERT_GT(bytes.size(), 1000u);
  for (std::size_t n = 0; n < bytes.size(); n += (bytes.size() - n < 200 ? 1 : step)) {
    const std::string cut = bytes.substr(0, n);
    try {
      (void)read_keras_model_file(cut, name);
      ADD_FAILURE() << name << " cut to " << n << " bytes was read";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.located()).find('\n'), std::string::npos);
    }
  }
}

TEST(KerasFileErrors, TruncatedKerasArchive) {
  expect_every_truncation_fails("k3_model.keras", 7);
}

TEST(KerasFileErrors, TruncatedLegacyH5) {
  expect_every_truncation_fails("k2_model.h5", 7);
}

}  // namespace
}  // namespace stride::test
