// Backpropagation checked against central differences, for every layer
// family. Each case is Input -> Dense(C, name='probe') -> the layer: the
// probe's kernel gradient is X^T * dL/d(layer input), so it checks the
// layer's input gradient too, and parameter-free layers get checked as well.
// The loss is MSE against a random target, in training mode (dropout masks
// from a fixed seed, BatchNormalization with batch statistics).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "stride/model.hpp"
#include "stride/random.hpp"

namespace stride {
namespace {

struct GradCase {
  std::string layer;  // a Keras call
  Shape input;        // without the batch dim; the last dim is the probe's width
};

void PrintTo(const GradCase& c, std::ostream* os) {
  *os << c.layer;
}

Tensor random_tensor(const Shape& shape, Random& random) {
  Tensor t(shape);
  for (float& v : t) v = float(random.uniform(-1.0, 1.0));
  return t;
}

class GradientCheck : public testing::TestWithParam<GradCase> {};

TEST_P(GradientCheck, MatchesCentralDifferences) {
  const GradCase& c = GetParam();
  for (ComputePath path : {ComputePath::kReference, ComputePath::kFast}) {
    Sequential model;
    model.input(c.input);
    model.add(fmt::format("Dense({}, name='probe')", c.input.back()));
    model.add(c.layer);
    model.build();
    Random init(11);
    for (float& p : model.parameters()) p = float(init.uniform(-1.0, 1.0));
    // Positive variances for BatchNormalization's moving statistics.
    for (const auto& layer : model.layers())
      for (std::size_t i = 0; i < layer->weights().size(); ++i)
        if (layer->weights()[i].name == "moving_variance") {
          Tensor view = layer->weight_values()[i];  // shares the model's storage
          view.fill(1.0f);
        }
    Shape batch_shape{2};
    batch_shape.insert(batch_shape.end(), c.input.begin(), c.input.end());
    Random data(5);
    const Tensor x = random_tensor(batch_shape, data);
    const Tensor target = random_tensor(model.call(x).shape(), data);
    const auto loss = make_loss("mse");
    const auto loss_at = [&] {
      Random masks(3);  // the same dropout masks every time
      return model.compute_gradients(x, target, *loss, masks, path);
    };
    loss_at();
    const std::vector<float> analytic = model.gradients().values();
    double scale = 1e-3;
    for (float g : analytic) scale = std::max(scale, double(std::abs(g)));
    // Up to 12 parameters of each trainable weight, spread over it.
    Dim offset = 0;
    for (const auto& layer : model.layers())
      for (std::size_t w = 0; w < layer->weights().size(); ++w) {
        const WeightSpec& spec = layer->weights()[w];
        const Dim n = spec.size();
        if (spec.trainable)
          for (Dim i = 0; i < n; i += std::max<Dim>(1, n / 12)) {
            float& p = model.parameters()[offset + i];
            const float saved = p;
            const float h = 2e-3f;
            p = saved + h;
            const double up = loss_at();
            p = saved - h;
            const double down = loss_at();
            p = saved;
            const double numeric = (up - down) / (2.0 * double(h));
            const double got = analytic[std::size_t(offset + i)];
            EXPECT_NEAR(got, numeric, 2e-3 * scale + 1e-2 * std::abs(numeric))
                << c.layer << " " << layer->name() << "/" << spec.name << "[" << i << "] path "
                << (path == ComputePath::kFast ? "fast" : "reference");
          }
        offset += n;
      }
  }
}

const GradCase kCases[] = {
    {"Conv2D(3, 3, padding='same', activation='tanh')", {5, 6, 2}},
    {"Conv2D(4, 3, activation='relu')", {5, 6, 3}},
    {"Conv2D(4, 2, strides=2, groups=2)", {5, 5, 4}},
    {"Conv2D(3, 3, dilation_rate=2, data_format='channels_first')", {2, 7, 6}},
    {"Conv1D(3, 2, strides=2, padding='causal')", {7, 2}},
    {"Conv3D(2, 2, padding='same')", {3, 4, 3, 2}},
    {"Conv2DTranspose(3, 3, strides=2, padding='same', activation='relu')", {3, 4, 2}},
    {"Conv1DTranspose(2, 3, strides=3, output_padding=1)", {4, 3}},
    {"DepthwiseConv2D(3, depth_multiplier=2, activation='sigmoid')", {5, 5, 2}},
    {"SeparableConv2D(3, 3, strides=2, padding='same')", {6, 5, 2}},
    {"SeparableConv1D(2, 3, depth_multiplier=2)", {6, 3}},
    {"MaxPooling2D(2)", {4, 5, 3}},
    {"AveragePooling2D(3, strides=2, padding='same')", {5, 6, 2}},
    {"MaxPooling1D(3, strides=1, padding='same')", {6, 2}},
    {"AveragePooling3D(2)", {4, 4, 2, 2}},
    {"GlobalAveragePooling2D()", {3, 4, 3}},
    {"GlobalMaxPooling1D(keepdims=True)", {5, 3}},
    {"GlobalMaxPooling2D(data_format='channels_first')", {3, 4, 3}},
    {"Dense(4, activation='gelu')", {5}},
    {"Dense(3, activation='softmax')", {2, 4}},
    {"Dense(3, lora_rank=2)", {4}},
    {"Flatten()", {3, 2, 2}},
    {"Flatten(data_format='channels_first')", {3, 2, 2}},
    {"Reshape((-1, 2))", {3, 4}},
    {"Permute((2, 1, 3))", {2, 3, 2}},
    {"Dropout(0.5)", {4, 3}},
    {"SpatialDropout2D(0.5)", {3, 3, 4}},
    {"ReLU(max_value=0.8, negative_slope=0.1, threshold=0.2)", {7}},
    {"LeakyReLU(negative_slope=0.2)", {6}},
    {"ELU(alpha=0.7)", {6}},
    {"PReLU(shared_axes=[1])", {3, 4}},
    {"Softmax(axis=1)", {3, 4}},
    {"BatchNormalization()", {3, 4}},
    {"BatchNormalization(axis=1)", {3, 2, 2}},
    {"LayerNormalization()", {3, 5}},
    {"LayerNormalization(axis=[1, 2])", {2, 3, 2}},
    {"ZeroPadding2D(((1, 0), (2, 1)))", {3, 3, 2}},
    {"Cropping2D(((1, 0), (0, 2)))", {4, 5, 2}},
    {"UpSampling2D(2)", {2, 3, 2}},
    {"UpSampling2D(2, interpolation='bilinear')", {3, 2, 2}},
    {"UpSampling1D(3)", {3, 2}},
    {"UpSampling3D(2)", {2, 2, 2, 2}},
};

INSTANTIATE_TEST_SUITE_P(Layers, GradientCheck, testing::ValuesIn(kCases));

// Every activation through the Activation layer.
const char* const kActivations[] = {
    "linear",           "relu",        "sigmoid",      "tanh",
    "softmax",          "log_softmax", "elu",          "selu",
    "softplus",         "softsign",    "swish",        "gelu",
    "gelu_approximate", "exponential", "hard_sigmoid", "hard_silu",
    "leaky_relu",       "relu6",       "mish",         "celu",
    "log_sigmoid",      "sparse_plus", "squareplus",   "tanh_shrink",
    "soft_shrink",      "hard_shrink", "hard_tanh",
};

std::vector<GradCase> activation_cases() {
  std::vector<GradCase> cases;
  for (const char* a : kActivations) cases.push_back({fmt::format("Activation('{}')", a), {2, 5}});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Activations, GradientCheck, testing::ValuesIn(activation_cases()));

}  // namespace
}  // namespace stride
