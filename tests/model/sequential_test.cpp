// Sequential: Keras default names (reference §3), input handling, totals.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/model_fixtures.hpp"

namespace stride {
namespace {

using test::make;

TEST(KerasSnakeCase, BuiltInPrefixesOfReference3) {
  // Reference §3, "Resulting prefixes (identical in all versions)".
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"Conv1D", "conv1d"},
      {"Conv2D", "conv2d"},
      {"Conv3D", "conv3d"},
      {"Conv2DTranspose", "conv2d_transpose"},
      {"DepthwiseConv2D", "depthwise_conv2d"},
      {"SeparableConv2D", "separable_conv2d"},
      {"Dense", "dense"},
      {"BatchNormalization", "batch_normalization"},
      {"LayerNormalization", "layer_normalization"},
      {"Embedding", "embedding"},
      {"MaxPooling2D", "max_pooling2d"},
      {"AveragePooling2D", "average_pooling2d"},
      {"GlobalAveragePooling2D", "global_average_pooling2d"},
      {"GlobalMaxPooling2D", "global_max_pooling2d"},
      {"Flatten", "flatten"},
      {"Dropout", "dropout"},
      {"Activation", "activation"},
      {"ReLU", "re_lu"},
      {"LeakyReLU", "leaky_re_lu"},
      {"PReLU", "p_re_lu"},
      {"ELU", "elu"},
      {"Softmax", "softmax"},
      {"ZeroPadding2D", "zero_padding2d"},
      {"Cropping2D", "cropping2d"},
      {"UpSampling2D", "up_sampling2d"},
      {"Reshape", "reshape"},
      {"Permute", "permute"},
      {"Add", "add"},
      {"Concatenate", "concatenate"},
      {"InputLayer", "input_layer"},
      {"Sequential", "sequential"},
  };
  for (const auto& [cls, name] : cases) EXPECT_EQ(keras_snake_case(cls), name) << cls;
}

TEST(KerasSnakeCase, LowercaseTailSetOfKeras27AndKeras3) {
  // §3 examples where the tail set matters: >= 2.7 / Keras 3 forms.
  EXPECT_EQ(keras_snake_case("AB2Cd"), "ab2_cd");
  EXPECT_EQ(keras_snake_case("Conv2DV2"), "conv2dv2");
  // An underscore before a capitalised word doubles.
  EXPECT_EQ(keras_snake_case("Foo_Bar"), "foo__bar");
  EXPECT_EQ(keras_snake_case("SpatialDropout2D"), "spatial_dropout2d");
  EXPECT_EQ(keras_snake_case(""), "");
}

TEST(SequentialNames, CountersPerPrefixStartWithoutSuffix) {
  Sequential m;
  m.input({28, 28, 1});
  m.add(make("Conv2D", {4, 3}));
  m.add(make("MaxPooling2D"));
  m.add(make("Conv2D", {4, 3}));
  m.add(make("MaxPooling2D"));
  m.add(make("Conv2D", {4, 1}));
  std::vector<std::string> names;
  for (const auto& l : m.layers()) names.push_back(l->name());
  EXPECT_EQ(names, (std::vector<std::string>{"conv2d", "max_pooling2d", "conv2d_1",
                                             "max_pooling2d_1", "conv2d_2"}));
}

TEST(SequentialNames, ExplicitNamesDoNotAdvanceTheCounter) {
  // Keras 2: a user-named layer is not reserved; the counter only counts
  // auto-named ones.
  Sequential m;
  m.input({8, 8, 1});
  m.add(make("Conv2D", {2, 3}, {{"name", "conv2d_1"}}));
  m.add(make("Conv2D", {2, 3}));
  m.add(make("Conv2D", {2, 1}, {{"name", "mine"}}));
  m.add(make("Conv2D", {2, 1}));
  EXPECT_EQ(m.layers()[0]->name(), "conv2d_1");
  EXPECT_EQ(m.layers()[1]->name(), "conv2d");
  EXPECT_EQ(m.layers()[2]->name(), "mine");
  EXPECT_EQ(m.layers()[3]->name(), "conv2d_1");
}

TEST(SequentialNames, NamesAreInTheLayerConfig) {
  Sequential m;
  m.input({8, 8, 1});
  m.add(make("Conv2D", {2, 3}));
  EXPECT_EQ(m.layers()[0]->get_config()["name"], "conv2d");
  EXPECT_EQ(&m.layer("conv2d"), m.layers()[0].get());
  EXPECT_NE(test::error_of([&] {
              (void)m.layer("nope");
            }).find("no layer named 'nope' in model 'sequential' (layers: conv2d)"),
            std::string::npos);
}

TEST(SequentialCall, CallUpToStopsAfterTheNamedLayer) {
  // Dense(1) with its initial zero bias on [1, 2], then ReLU, then Dense(1):
  // the activations of each layer, checked against the weights.
  Sequential m;
  m.input({2}).add("Dense(1)").add("Activation('relu')").add("Dense(1)");
  m.build();
  const Tensor x({1, 2}, {1, 2});
  const float w0 = m.layer("dense").weight("kernel")[0], w1 = m.layer("dense").weight("kernel")[1];
  const Tensor first = m.call_up_to(x, "dense");
  ASSERT_EQ(first.shape(), (Shape{1, 1}));
  EXPECT_FLOAT_EQ(first[0], w0 * 1 + w1 * 2);
  EXPECT_FLOAT_EQ(m.call_up_to(x, "activation")[0], std::max(0.0f, w0 * 1 + w1 * 2));
  EXPECT_EQ(m.call_up_to(x, "dense_1").values(), m.call(x).values());
  EXPECT_NE(test::error_of([&] {
              (void)m.call_up_to(x, "relu");
            }).find("(layers: dense, activation, dense_1)"),
            std::string::npos);
}

// The Keras MNIST convnet (examples/mnist_convnet.txt), weights from seed 7,
// and `batch` images in [0, 1).
Sequential mnist_convnet() {
  Sequential m;
  m.input({28, 28, 1})
      .add("Conv2D(32, kernel_size=(3, 3), activation='relu')")
      .add("MaxPooling2D(pool_size=(2, 2))")
      .add("Conv2D(64, kernel_size=(3, 3), activation='relu')")
      .add("MaxPooling2D(pool_size=(2, 2))")
      .add("Flatten()")
      .add("Dropout(0.5)")
      .add("Dense(10, activation='softmax')");
  m.initialize_weights(7);
  return m;
}

Tensor mnist_images(Dim batch) {
  Tensor x({batch, 28, 28, 1});
  for (Dim i = 0; i < x.size(); ++i) x[i] = float((i * 7919) % 255) / 255.0f;
  return x;
}

TEST(SequentialCall, InferenceFusesConvAndPoolingWithTheLayersValues) {
  // call() may run Conv2D and MaxPooling2D in one pass; the result is that
  // of calling each layer in turn, and call_up_to() a Conv2D still returns
  // the Conv2D's own output.
  Sequential m = mnist_convnet();
  const Tensor x = mnist_images(4);
  Tensor want = x;
  for (const auto& layer : m.layers()) want = layer->call(want);
  const Tensor got = m.call(x);
  ASSERT_EQ(got.shape(), want.shape());
  for (Dim i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5f) << "element " << i;
  EXPECT_EQ(m.call_up_to(x, "conv2d").shape(), (Shape{4, 26, 26, 32}));
}

TEST(SequentialGradients, FirstConvAndPoolingGradientsMatchTheReferencePath) {
  // compute_gradients on the fast path takes the first Conv2D's gradients
  // from the pooling's output gradient at once; the reference path runs
  // every layer's backward. Same dropout masks, same loss: the gradients
  // agree to float rounding.
  Sequential m = mnist_convnet();
  const Tensor x = mnist_images(8);
  Tensor y({8});
  for (Dim i = 0; i < 8; ++i) y[i] = float(i % 10);
  const std::unique_ptr<Loss> loss = make_loss("sparse_categorical_crossentropy");
  std::vector<std::vector<float>> grads[2];
  for (ComputePath path : {ComputePath::kFast, ComputePath::kReference}) {
    Random masks(11);
    m.compute_gradients(x, y, *loss, masks, path);
    for (const Variable& v : m.trainable_variables())
      grads[path == ComputePath::kFast ? 0 : 1].push_back(v.gradient.values());
  }
  ASSERT_EQ(grads[0].size(), 6u);  // 3 kernels, 3 biases
  for (std::size_t v = 0; v < grads[0].size(); ++v)
    for (std::size_t i = 0; i < grads[0][v].size(); ++i)
      ASSERT_NEAR(grads[0][v][i], grads[1][v][i], 1e-5f * (1.0f + std::abs(grads[1][v][i])))
          << "variable " << v << ", element " << i;
}

TEST(SequentialInput, InputShapeOnTheFirstLayer) {
  Sequential m;
  m.add(make("Conv2D", {5}, {{"kernel_size", 3}, {"input_shape", Json::array({32, 32, 3})}}));
  EXPECT_EQ(m.input_shape(), (Shape{kNone, 32, 32, 3}));
  EXPECT_EQ(m.input_name(), "conv2d_input");  // Keras 2: first layer's name + "_input"
  m.build();
  EXPECT_EQ(m.output_shape(), (Shape{kNone, 30, 30, 5}));  // 32 - 3 + 1 = 30
}

TEST(SequentialInput, InputCall) {
  Sequential m;
  m.input({32, 32, 3}, 8);
  EXPECT_EQ(m.input_shape(), (Shape{8, 32, 32, 3}));
  EXPECT_EQ(m.input_name(), "input_1");
  m.add(make("Conv2D", {5, 3}));
  m.build();
  EXPECT_EQ(m.output_shape(), (Shape{8, 30, 30, 5}));
}

TEST(SequentialInput, InputLayerFirst) {
  Sequential m;
  m.add(make("InputLayer", {}, {{"input_shape", Json::array({16, 8, 1})}}));
  EXPECT_EQ(m.input_shape(), (Shape{kNone, 16, 8, 1}));
  EXPECT_TRUE(m.layers().empty());  // Sequential.layers drops the InputLayer
  m.add(make("Conv2D", {1, 3}, {{"strides", 2}}));
  m.build();
  // valid: floor((16 - 3) / 2) + 1 = 7, floor((8 - 3) / 2) + 1 = 3.
  EXPECT_EQ(m.output_shape(), (Shape{kNone, 7, 3, 1}));
}

TEST(SequentialInput, InputLayerAfterLayersIsAnError) {
  Sequential m;
  m.input({4, 4, 1});
  EXPECT_NE(test::error_of([&] {
              m.add(make("InputLayer", {}, {{"input_shape", Json::array({4, 4, 1})}}));
            }).find("takes its input only once"),
            std::string::npos);
}

TEST(SequentialInput, NoInputIsAnErrorAtTheFirstLayer) {
  Sequential m;
  m.add(make("Conv2D", {5, 3}));
  Error caught("");
  try {
    m.build();
  } catch (const Error& e) {
    caught = e;
  }
  EXPECT_NE(std::string(caught.what()).find("no input shape"), std::string::npos);
  EXPECT_EQ(caught.loc().line, 1);  // test::make locates its calls at test:1:1
}

TEST(SequentialBuild, ErrorNamesTheLayerThatDoesNotFit) {
  Sequential m;
  m.input({4, 4, 1});
  m.add(make("Conv2D", {1, 3}));  // 4 -> 2
  m.add(make("Conv2D", {1, 3}));  // kernel 3 > 2
  const std::string message = test::error_of([&] { m.build(); });
  EXPECT_NE(message.find("conv2d_1"), std::string::npos) << message;
}

TEST(SequentialTotals, SumOverLayers) {
  Sequential m;
  m.input({32, 32, 3});
  m.add(make("Conv2D", {5, 3}));                         // (3*3*3 + 1) * 5 = 140
  m.add(make("Conv2D", {2, 1}));                         // (1*1*5 + 1) * 2 = 12
  m.add(make("Conv2D", {4, 3}, {{"use_bias", false}}));  // 3*3*2*4 = 72
  EXPECT_EQ(m.count_params(), 0);                        // nothing built yet
  m.build();
  EXPECT_EQ(m.count_params(), 140 + 12 + 72);
  EXPECT_EQ(m.trainable_params(), 224);
  EXPECT_EQ(m.non_trainable_params(), 0);
  m.build();  // idempotent
  EXPECT_EQ(m.count_params(), 224);
}

TEST(SequentialTotals, NonTrainableFromBatchNormalization) {
  Sequential m;
  m.input({8, 8, 2});
  m.add(make("Conv2D", {4, 3}));      // (3*3*2 + 1) * 4 = 76
  m.add(make("BatchNormalization"));  // 4 gamma + 4 beta; 4 mean + 4 variance
  m.build();
  EXPECT_EQ(m.trainable_params(), 84);  // 76 + 8
  EXPECT_EQ(m.non_trainable_params(), 8);
  EXPECT_EQ(m.count_params(), 92);
}

TEST(SequentialTotals, AddAfterBuildRebuilds) {
  Sequential m;
  m.input({32, 32, 3});
  m.add(make("Conv2D", {5, 3}));
  m.build();
  m.add(make("Conv2D", {1, 1}));  // (1*1*5 + 1) * 1 = 6
  m.build();
  EXPECT_EQ(m.count_params(), 146);
  EXPECT_EQ(m.output_shape(), (Shape{kNone, 30, 30, 1}));
}

}  // namespace
}  // namespace stride
