// conv_transpose_backward_input / _kernel: hand-worked gradients on both
// paths, the reference against finite differences of the scatter formula in
// double, then the fast path against the reference on random
// configurations.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/backward_test_util.hpp"
#include "kernels/conv.hpp"
#include "kernels/kernel_test_util.hpp"
#include "stride/error.hpp"

namespace stride::kernels {
namespace {

using test::agree;
using test::kBothPaths;
using test::nans;
using test::path_name;
using test::volume;

Dim kernel_size(const ConvGeometry& g) {
  return volume(g.kernel) * g.out_channels * g.in_channels;
}

std::vector<float> input_grad(KernelPath path, const ConvGeometry& g,
                              const std::vector<float>& output_grad,
                              const std::vector<float>& kernel) {
  std::vector<float> dx = nans(g.batch * volume(g.input) * g.in_channels);
  conv_transpose_backward_input(path, g, output_grad.data(), kernel.data(), dx.data());
  return dx;
}

struct KernelGrads {
  std::vector<float> kernel, bias;
};

KernelGrads kernel_grads(KernelPath path, const ConvGeometry& g, const std::vector<float>& input,
                         const std::vector<float>& output_grad, bool with_bias = true) {
  KernelGrads grads{nans(kernel_size(g)), nans(with_bias ? g.out_channels : 0)};
  conv_transpose_backward_kernel(path, g, input.data(), output_grad.data(), grads.kernel.data(),
                                 with_bias ? grads.bias.data() : nullptr);
  return grads;
}

ConvGeometry transpose1d(Dim in_w, Dim out_w, Dim k_w, Dim stride) {
  ConvGeometry g;
  g.input = {1, 1, in_w};
  g.output = {1, 1, out_w};
  g.kernel = {1, 1, k_w};
  g.strides = {1, 1, stride};
  return g;
}

TEST(ConvTransposeBackwardKernel, StrideTwoValid) {
  // in [1,2], K [1,10,100], stride 2, valid, out 5: input i lands on 2i + k.
  // dOut [1,2,3,4,5]:
  //   dIn[i] = sum_k dOut[2i+k]*K[k] = [1 + 20 + 300, 3 + 40 + 500] = [321, 543],
  //   dK[k] = sum_i in[i]*dOut[2i+k] = [1+6, 2+8, 3+10] = [7, 10, 13], dbias = 15.
  const ConvGeometry g = transpose1d(2, 5, 3, 2);
  const std::vector<float> input{1, 2}, kernel{1, 10, 100}, dy{1, 2, 3, 4, 5};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(input_grad(path, g, dy, kernel), (std::vector<float>{321, 543}));
    const KernelGrads grads = kernel_grads(path, g, input, dy);
    EXPECT_EQ(grads.kernel, (std::vector<float>{7, 10, 13}));
    EXPECT_EQ(grads.bias, (std::vector<float>{15}));
  }
}

TEST(ConvTransposeBackwardKernel, TapsOutsideTheOutputContributeNothing) {
  // Same with SAME padding: out 4, so the tap of input 1 at 4 is dropped.
  // dOut [1,2,3,4]: dIn = [1 + 20 + 300, 3 + 40] = [321, 43],
  //   dK = [1*1 + 2*3, 1*2 + 2*4, 1*3] = [7, 10, 3], dbias = 10.
  const ConvGeometry g = transpose1d(2, 4, 3, 2);
  const std::vector<float> input{1, 2}, kernel{1, 10, 100}, dy{1, 2, 3, 4};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(input_grad(path, g, dy, kernel), (std::vector<float>{321, 43}));
    const KernelGrads grads = kernel_grads(path, g, input, dy);
    EXPECT_EQ(grads.kernel, (std::vector<float>{7, 10, 3}));
    EXPECT_EQ(grads.bias, (std::vector<float>{10}));
  }
}

TEST(ConvTransposeBackwardKernel, KernelIsStoredFiltersThenInputChannels) {
  // One pixel, in [1,2], K[f][c] = [[1,10],[100,1000]], dOut [1,2]:
  //   dIn[c] = sum_f dOut[f]*K[f][c] = [1 + 200, 10 + 2000] = [201, 2010],
  //   dK[f][c] = dOut[f]*in[c] = [[1,2],[2,4]].
  ConvGeometry g = transpose1d(1, 1, 1, 1);
  g.in_channels = g.out_channels = 2;
  const std::vector<float> input{1, 2}, kernel{1, 10, 100, 1000}, dy{1, 2};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(input_grad(path, g, dy, kernel), (std::vector<float>{201, 2010}));
    EXPECT_EQ(kernel_grads(path, g, input, dy).kernel, (std::vector<float>{1, 2, 2, 4}));
  }
}

TEST(ConvTransposeBackwardKernel, EmptyBatchZeroesTheKernelGradient) {
  ConvGeometry g = transpose1d(2, 5, 3, 2);
  g.batch = 0;
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    const KernelGrads grads = kernel_grads(path, g, {}, {});
    EXPECT_EQ(grads.kernel, std::vector<float>(3, 0.0f));
    EXPECT_EQ(grads.bias, std::vector<float>(1, 0.0f));
    EXPECT_TRUE(input_grad(path, g, {}, {1, 10, 100}).empty());
  }
}

TEST(ConvTransposeBackwardKernel, RejectsGroups) {
  ConvGeometry g;
  g.in_channels = g.out_channels = g.groups = 2;
  float x[4] = {};
  EXPECT_THROW(conv_transpose_backward_input(KernelPath::kFast, g, x, x, x), Error);
  EXPECT_THROW(conv_transpose_backward_kernel(KernelPath::kReference, g, x, x, x, nullptr), Error);
}

TEST(ConvTransposeBackwardKernel, ReferenceMatchesFiniteDifferences) {
  test::Rng rng(51);
  for (int trial = 0; trial < 50; ++trial) {
    const ConvGeometry g = test::random_transpose_geometry(rng, 5, 3);
    const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
    const std::vector<float> kernel = rng.floats(kernel_size(g)), bias = rng.floats(g.out_channels);
    const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
    std::vector<double> x = test::to_double(input), k = test::to_double(kernel),
                        b = test::to_double(bias);
    const auto loss = [&] { return test::conv_transpose_loss(g, x, k, b, dy); };
    const KernelGrads grads = kernel_grads(KernelPath::kReference, g, input, dy);
    const std::string where = "trial " + std::to_string(trial) + ": " + test::describe(g);
    EXPECT_TRUE(test::matches_finite_differences(input_grad(KernelPath::kReference, g, dy, kernel),
                                                 x, loss, 1e-3, rng))
        << "input, " << where;
    EXPECT_TRUE(test::matches_finite_differences(grads.kernel, k, loss, 1e-3, rng))
        << "kernel, " << where;
    EXPECT_TRUE(test::matches_finite_differences(grads.bias, b, loss, 1e-3, rng))
        << "bias, " << where;
  }
}

TEST(ConvTransposeBackwardKernel, FastAgreesWithReferenceOnRandomConfigurations) {
  test::Rng rng(52);
  for (int trial = 0; trial < 150; ++trial) {
    ConvGeometry g = test::random_transpose_geometry(rng, 9, 4);
    g.batch = rng.in(1, 3);
    g.in_channels = rng.in(1, 5);
    g.out_channels = rng.in(1, 5);
    const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
    const std::vector<float> kernel = rng.floats(kernel_size(g));
    const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
    const std::string where = "trial " + std::to_string(trial) + ": " + test::describe(g);
    EXPECT_TRUE(agree(input_grad(KernelPath::kFast, g, dy, kernel),
                      input_grad(KernelPath::kReference, g, dy, kernel)))
        << "input, " << where;
    const bool with_bias = rng.coin();
    const KernelGrads fast = kernel_grads(KernelPath::kFast, g, input, dy, with_bias);
    const KernelGrads ref = kernel_grads(KernelPath::kReference, g, input, dy, with_bias);
    EXPECT_TRUE(agree(fast.kernel, ref.kernel)) << "kernel, " << where;
    EXPECT_TRUE(agree(fast.bias, ref.bias)) << "bias, " << where;
  }
}

}  // namespace
}  // namespace stride::kernels
