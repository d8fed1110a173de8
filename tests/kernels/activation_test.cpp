// Keras activations: values worked out by hand from Keras's definitions,
// and the fast (float) path against the reference (double) on a grid.
#include "kernels/activation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "stride/error.hpp"

namespace stride::kernels {
namespace {

float apply(const std::string& name, float x, KernelPath path = KernelPath::kFast) {
  apply_activation(path, activation_from_name(name), &x, 1, 1);
  return x;
}

TEST(ActivationKernel, HandWorkedValues) {
  struct Case {
    const char* name;
    float x, want;
  };
  const Case cases[] = {
      {"relu", -2, 0},
      {"relu", 3, 3},
      {"relu6", 7, 6},
      {"sigmoid", 0, 0.5f},
      {"tanh", 0, 0},
      {"elu", -1, std::exp(-1.0f) - 1},  // e^-1 - 1 = -0.632121
      {"selu", 1, 1.0507009873554805f},
      {"softplus", 0, std::log(2.0f)},
      {"softsign", 3, 0.75f},    // 3 / (1 + 3)
      {"swish", 1, 0.7310586f},  // 1 * sigmoid(1)
      {"silu", 1, 0.7310586f},
      {"gelu", 1, 0.8413447f},              // 0.5 * (1 + erf(1 / sqrt 2))
      {"gelu_approximate", 1, 0.8411920f},  // 0.5 (1 + tanh(0.797885 * 1.044715))
      {"exponential", 1, std::exp(1.0f)},
      {"hard_sigmoid", 0, 0.5f},  // Keras 3: relu6(0 + 3) / 6
      {"hard_sigmoid", -4, 0},
      {"hard_sigmoid", 4, 1},
      {"hard_silu", 1, 2.0f / 3},  // 1 * relu6(4) / 6
      {"leaky_relu", -1, -0.2f},   // Keras 3 default negative_slope 0.2
      {"log_sigmoid", 0, -std::log(2.0f)},
      {"mish", 1, 0.8650984f},  // 1 * tanh(log(1 + e))
      {"celu", -1, std::exp(-1.0f) - 1},
      {"squareplus", 0, 1},       // (0 + sqrt(0 + 4)) / 2
      {"sparse_plus", 0, 0.25f},  // (0 + 1)^2 / 4
      {"tanh_shrink", 0, 0},
      {"soft_shrink", 2, 1.5f},
      {"hard_shrink", 0.25f, 0},
      {"hard_tanh", -3, -1},
  };
  for (const Case& c : cases)
    for (KernelPath path : {KernelPath::kFast, KernelPath::kReference})
      EXPECT_NEAR(apply(c.name, c.x, path), c.want, 1e-6f) << c.name << "(" << c.x << ")";
}

TEST(ActivationKernel, SoftmaxRowsAreMaxSubtracted) {
  // Row (1, 2, 3): e^(x - 3) / sum = (0.090031, 0.244728, 0.665241); a row of
  // huge equal values must not overflow.
  for (KernelPath path : {KernelPath::kFast, KernelPath::kReference}) {
    std::vector<float> v{1, 2, 3, 1000, 1000, 1000};
    apply_activation(path, Activation::kSoftmax, v.data(), 6, 3);
    const float want[] = {0.0900306f, 0.2447285f, 0.6652410f, 1 / 3.0f, 1 / 3.0f, 1 / 3.0f};
    for (int i = 0; i < 6; ++i) EXPECT_NEAR(v[i], want[i], 1e-6f) << i;
    std::vector<float> l{1, 2, 3};
    apply_activation(path, Activation::kLogSoftmax, l.data(), 3, 3);
    EXPECT_NEAR(l[2], std::log(0.6652410f), 1e-6f);
  }
}

TEST(ActivationKernel, FastPathAgreesWithReferenceOnAGrid) {
  const char* names[] = {"relu",        "sigmoid",          "tanh",        "elu",
                         "selu",        "softplus",         "softsign",    "swish",
                         "gelu",        "gelu_approximate", "exponential", "hard_sigmoid",
                         "hard_silu",   "leaky_relu",       "relu6",       "mish",
                         "celu",        "log_sigmoid",      "sparse_plus", "squareplus",
                         "tanh_shrink", "soft_shrink",      "hard_shrink", "hard_tanh"};
  std::vector<float> grid;
  for (int i = -2000; i <= 2000; ++i) grid.push_back(float(i) * 0.01f + 0.003f);
  for (const char* name : names) {
    std::vector<float> fast = grid, ref = grid;
    apply_activation(KernelPath::kFast, activation_from_name(name), fast.data(), Dim(fast.size()),
                     1);
    apply_activation(KernelPath::kReference, activation_from_name(name), ref.data(),
                     Dim(ref.size()), 1);
    for (std::size_t i = 0; i < grid.size(); ++i)
      ASSERT_NEAR(fast[i], ref[i], 1e-5 * std::max(1.0f, std::abs(ref[i])))
          << name << "(" << grid[i] << ")";
  }
}

TEST(ActivationKernel, UncomputableNamesAreRefused) {
  EXPECT_THROW(activation_from_name("glu"), Error);
  EXPECT_THROW(activation_from_name("sparsemax"), Error);
}

}  // namespace
}  // namespace stride::kernels
