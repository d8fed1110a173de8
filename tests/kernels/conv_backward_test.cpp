// conv_backward_input / conv_backward_kernel: hand-worked gradients on both
// paths, the reference against finite differences of the forward formula in
// double, then the fast path (stride's im2col, pointwise, depthwise kernels,
// the direct AVX2 kernel gradient and oneDNN's) against the reference on
// random configurations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/backward_test_util.hpp"
#include "kernels/conv.hpp"
#include "kernels/gemm_micro.hpp"
#include "kernels/internal.hpp"
#include "kernels/kernel_test_util.hpp"
#include "kernels/onednn.hpp"
#include "kernels/pool.hpp"
#include "stride/error.hpp"

namespace stride::kernels {
namespace {

using test::agree;
using test::kBothPaths;
using test::nans;
using test::path_name;
using test::volume;

Dim kernel_size(const ConvGeometry& g) {
  return volume(g.kernel) * (g.in_channels / g.groups) * g.out_channels;
}

// NaN-filled outputs, so an element the kernel forgets to write cannot pass.
std::vector<float> input_grad(KernelPath path, const ConvGeometry& g,
                              const std::vector<float>& output_grad,
                              const std::vector<float>& kernel) {
  std::vector<float> dx = nans(g.batch * volume(g.input) * g.in_channels);
  conv_backward_input(path, g, output_grad.data(), kernel.data(), dx.data());
  return dx;
}

struct KernelGrads {
  std::vector<float> kernel, bias;
};

KernelGrads kernel_grads(KernelPath path, const ConvGeometry& g, const std::vector<float>& input,
                         const std::vector<float>& output_grad, bool with_bias = true) {
  KernelGrads grads{nans(kernel_size(g)), nans(with_bias ? g.out_channels : 0)};
  conv_backward_kernel(path, g, input.data(), output_grad.data(), grads.kernel.data(),
                       with_bias ? grads.bias.data() : nullptr);
  return grads;
}

ConvGeometry conv1d(Dim in_w, Dim out_w, Dim k_w) {
  ConvGeometry g;
  g.input = {1, 1, in_w};
  g.output = {1, 1, out_w};
  g.kernel = {1, 1, k_w};
  return g;
}

TEST(ConvBackwardKernel, OneDimensionalValid) {
  // in [1,2,3], K [1,2], valid: out[o] = in[o] + 2*in[o+1]. With dY [1,1]:
  //   dK[k] = sum_o in[o+k]*dY[o] = [1+2, 2+3] = [3, 5], dbias = 1+1 = 2,
  //   dx[i] = sum_o dY[o]*K[i-o] = [K0, K1+K0, K1] = [1, 3, 2].
  const ConvGeometry g = conv1d(3, 2, 2);
  const std::vector<float> input{1, 2, 3}, kernel{1, 2}, dy{1, 1};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    const KernelGrads grads = kernel_grads(path, g, input, dy);
    EXPECT_EQ(grads.kernel, (std::vector<float>{3, 5}));
    EXPECT_EQ(grads.bias, (std::vector<float>{2}));
    EXPECT_EQ(input_grad(path, g, dy, kernel), (std::vector<float>{1, 3, 2}));
  }
}

TEST(ConvBackwardKernel, StrideLeavesUnreadInputsAtZero) {
  // in [1..5], K [1,10], stride 2, valid: out 2 windows (0,1), (2,3); pixel 4
  // is unread. dY [1,2]: dx = [1, 10, 2, 20, 0];
  //   dK = [1*1 + 3*2, 2*1 + 4*2] = [7, 10].
  ConvGeometry g = conv1d(5, 2, 2);
  g.strides = {1, 1, 2};
  const std::vector<float> input{1, 2, 3, 4, 5}, kernel{1, 10}, dy{1, 2};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(input_grad(path, g, dy, kernel), (std::vector<float>{1, 10, 2, 20, 0}));
    EXPECT_EQ(kernel_grads(path, g, input, dy, false).kernel, (std::vector<float>{7, 10}));
  }
}

TEST(ConvBackwardKernel, SamePaddingBeforeDropsTapsInThePadding) {
  // in [1,2,3], K [1,10,100], SAME stride 1: pad 1 before, windows start at
  // -1, 0, 1. dY [1,2,4]:
  //   dx[i] = sum_o dY[o]*K[i-o+1]: dx0 = 1*10 + 2*1 = 12,
  //   dx1 = 1*100 + 2*10 + 4*1 = 124, dx2 = 2*100 + 4*10 = 240;
  //   dK[k] = sum_o in[o+k-1]*dY[o]: dK0 = 1*2 + 2*4 = 10,
  //   dK1 = 1*1 + 2*2 + 3*4 = 17, dK2 = 2*1 + 3*2 = 8; dbias = 7.
  ConvGeometry g = conv1d(3, 3, 3);
  g.pad_before = {0, 0, 1};
  const std::vector<float> input{1, 2, 3}, kernel{1, 10, 100}, dy{1, 2, 4};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(input_grad(path, g, dy, kernel), (std::vector<float>{12, 124, 240}));
    const KernelGrads grads = kernel_grads(path, g, input, dy);
    EXPECT_EQ(grads.kernel, (std::vector<float>{10, 17, 8}));
    EXPECT_EQ(grads.bias, (std::vector<float>{7}));
  }
}

TEST(ConvBackwardKernel, GroupsOnlyMixTheirOwnChannels) {
  // One pixel, channels [1,2,3,4], two groups, 1x1 kernel K[c][f] =
  // [[1,10],[100,1000]] (Cg = 2, F = 2). dY [1,2]: filter 0 reads channels
  // 0,1 and filter 1 channels 2,3, so
  //   dx = [dY0*K00, dY0*K10, dY1*K01, dY1*K11] = [1, 100, 20, 2000],
  //   dK[c][f] = in[grp(f)*2 + c]*dY[f] = [[1*1, 3*2], [2*1, 4*2]] = [1, 6, 2, 8].
  ConvGeometry g = conv1d(1, 1, 1);
  g.in_channels = 4;
  g.out_channels = 2;
  g.groups = 2;
  const std::vector<float> input{1, 2, 3, 4}, kernel{1, 10, 100, 1000}, dy{1, 2};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(input_grad(path, g, dy, kernel), (std::vector<float>{1, 100, 20, 2000}));
    EXPECT_EQ(kernel_grads(path, g, input, dy).kernel, (std::vector<float>{1, 6, 2, 8}));
  }
}

TEST(ConvBackwardKernel, DepthwiseWithMultiplierTwo) {
  // 1D, two pixels of channels [1,2] and [3,4], width-2 kernel with channel
  // multiplier 2, K[k][c*2 + j] = [[1,2,3,4],[5,6,7,8]], one output pixel.
  // dY [1,2,3,4] (f = c*2 + j):
  //   dx[k][c] = sum_j dY[c*2+j]*K[k][c*2+j]: pixel 0 [1+4, 9+16] = [5, 25],
  //     pixel 1 [5+12, 21+32] = [17, 53];
  //   dK[k][f] = in[k][f/2]*dY[f]: [1,2,6,8] and [3,6,12,16]; dbias = dY.
  ConvGeometry g = conv1d(2, 1, 2);
  g.in_channels = 2;
  g.out_channels = 4;
  g.groups = 2;
  const std::vector<float> input{1, 2, 3, 4}, kernel{1, 2, 3, 4, 5, 6, 7, 8}, dy{1, 2, 3, 4};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(input_grad(path, g, dy, kernel), (std::vector<float>{5, 25, 17, 53}));
    const KernelGrads grads = kernel_grads(path, g, input, dy);
    EXPECT_EQ(grads.kernel, (std::vector<float>{1, 2, 6, 8, 3, 6, 12, 16}));
    EXPECT_EQ(grads.bias, dy);
  }
}

TEST(ConvBackwardKernel, EmptyBatchZeroesTheKernelGradient) {
  for (Dim groups : {1, 2}) {  // im2col and depthwise
    ConvGeometry g = conv1d(3, 2, 2);
    g.batch = 0;
    g.in_channels = g.out_channels = g.groups = groups;
    for (KernelPath path : kBothPaths) {
      SCOPED_TRACE(path_name(path));
      const KernelGrads grads = kernel_grads(path, g, {}, {});
      EXPECT_EQ(grads.kernel, std::vector<float>(kernel_size(g), 0.0f));
      EXPECT_EQ(grads.bias, std::vector<float>(groups, 0.0f));
      EXPECT_TRUE(input_grad(path, g, {}, std::vector<float>(kernel_size(g))).empty());
    }
  }
}

TEST(ConvBackwardKernel, RejectsGroupsThatDoNotDivideTheChannels) {
  ConvGeometry g;
  g.in_channels = 3;
  g.groups = 2;
  float x = 0;
  EXPECT_THROW(conv_backward_input(KernelPath::kFast, g, &x, &x, &x), Error);
  EXPECT_THROW(conv_backward_kernel(KernelPath::kReference, g, &x, &x, &x, nullptr), Error);
}

enum class Flavor { kPlain, kGrouped, kDepthwise, kPointwise };

// Channels for a random geometry; pointwise also resets the window.
void set_channels(test::Rng& rng, Flavor flavor, Dim max_per_group, ConvGeometry& g) {
  switch (flavor) {
    case Flavor::kPlain:
      g.in_channels = rng.in(1, max_per_group + 1);
      g.out_channels = rng.in(1, max_per_group + 1);
      break;
    case Flavor::kGrouped:
      g.groups = rng.in(2, 3);
      g.in_channels = g.groups * rng.in(1, max_per_group);
      g.out_channels = g.groups * rng.in(1, max_per_group);
      break;
    case Flavor::kDepthwise:
      g.groups = g.in_channels = rng.in(2, max_per_group + 2);
      g.out_channels = g.in_channels * rng.in(1, max_per_group);
      break;
    case Flavor::kPointwise:  // 1x1, stride 1, no padding: the direct gemms
      g.kernel = g.strides = {1, 1, 1};
      g.pad_before = {0, 0, 0};
      g.output = g.input;
      g.groups = rng.in(1, 2);
      g.in_channels = g.groups * rng.in(1, max_per_group);
      g.out_channels = g.groups * rng.in(1, max_per_group);
      break;
  }
}

void expect_reference_matches_finite_differences(Flavor flavor, std::uint32_t seed, int trials) {
  test::Rng rng(seed);
  for (int trial = 0; trial < trials; ++trial) {
    ConvGeometry g = test::small_conv_geometry(rng);
    set_channels(rng, flavor, 2, g);
    const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
    const std::vector<float> kernel = rng.floats(kernel_size(g)), bias = rng.floats(g.out_channels);
    const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
    std::vector<double> x = test::to_double(input), k = test::to_double(kernel),
                        b = test::to_double(bias);
    const auto loss = [&] { return test::conv_loss(g, x, k, b, dy); };
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

TEST(ConvBackwardKernel, ReferenceMatchesFiniteDifferences) {
  expect_reference_matches_finite_differences(Flavor::kPlain, 31, 40);
}

TEST(ConvBackwardKernel, ReferenceMatchesFiniteDifferencesWithGroups) {
  expect_reference_matches_finite_differences(Flavor::kGrouped, 32, 20);
}

TEST(ConvBackwardKernel, ReferenceMatchesFiniteDifferencesDepthwise) {
  expect_reference_matches_finite_differences(Flavor::kDepthwise, 33, 20);
}

TEST(ConvBackwardKernel, ReferenceMatchesFiniteDifferencesPointwise) {
  expect_reference_matches_finite_differences(Flavor::kPointwise, 34, 10);
}

// `kernel_scale` widens the kernel gradient's tolerance for long reductions
// (test::agree_within).
void expect_fast_agrees(const ConvGeometry& g, test::Rng& rng, const std::string& where,
                        double kernel_scale = 1.0) {
  const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
  const std::vector<float> kernel = rng.floats(kernel_size(g));
  const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
  EXPECT_TRUE(agree(input_grad(KernelPath::kFast, g, dy, kernel),
                    input_grad(KernelPath::kReference, g, dy, kernel)))
      << "input, " << where;
  const bool with_bias = rng.coin();
  const KernelGrads fast = kernel_grads(KernelPath::kFast, g, input, dy, with_bias);
  const KernelGrads ref = kernel_grads(KernelPath::kReference, g, input, dy, with_bias);
  EXPECT_TRUE(test::agree_within(fast.kernel, ref.kernel, kernel_scale)) << "kernel, " << where;
  EXPECT_TRUE(agree(fast.bias, ref.bias)) << "bias, " << where;
}

// stride's portable fast kernels (oneDNN and the direct AVX2 kernels off;
// they have their own tests below).
void expect_fast_agrees(Flavor flavor, std::uint32_t seed, int trials) {
  const test::ScopedOneDnn own_kernels(false);
  const test::ScopedDirectKernels portable_kernels(false);
  test::Rng rng(seed);
  for (int trial = 0; trial < trials; ++trial) {
    ConvGeometry g = test::random_conv_geometry(rng, /*dilated=*/true);
    set_channels(rng, flavor, 3, g);
    expect_fast_agrees(g, rng, "trial " + std::to_string(trial) + ": " + test::describe(g));
  }
}

TEST(ConvBackwardKernel, FastAgreesWithReferenceOnRandomConvolutions) {
  expect_fast_agrees(Flavor::kPlain, 41, 120);
}

TEST(ConvBackwardKernel, FastAgreesWithReferenceOnRandomGroupedConvolutions) {
  expect_fast_agrees(Flavor::kGrouped, 42, 60);
}

TEST(ConvBackwardKernel, FastAgreesWithReferenceOnRandomDepthwiseConvolutions) {
  expect_fast_agrees(Flavor::kDepthwise, 43, 60);
}

TEST(ConvBackwardKernel, FastAgreesWithReferenceOnRandomPointwiseConvolutions) {
  expect_fast_agrees(Flavor::kPointwise, 44, 30);
}

TEST(ConvBackwardKernel, FastAgreesOnALargeImageLoweredInBands) {
  // Both gradients go band by band. Each kernel gradient element sums
  // 62*62 = 3844 products in float32, whose rounding (up to 1.6e-5 here,
  // above the usual 1e-5 floor) grows like the square root of the count:
  // its tolerance is 4 times the usual.
  const ConvGeometry g = test::large_banded_geometry();
  test::Rng rng(45);
  const test::ScopedOneDnn own_kernels(false);
  const test::ScopedDirectKernels portable_kernels(false);
  expect_fast_agrees(g, rng, test::describe(g), /*kernel_scale=*/4.0);
}

std::vector<float> absolute(std::vector<float> values) {
  for (float& v : values) v = std::fabs(v);
  return values;
}

// oneDNN's gradients, called directly (so a geometry it declines cannot pass
// by falling back), against the reference. oneDNN sums in another order, so
// the tolerance follows each sum's magnitude (test::agree_to_rounding).
void expect_onednn_agrees(const ConvGeometry& g, test::Rng& rng, const std::string& where) {
  const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
  const std::vector<float> kernel = rng.floats(kernel_size(g));
  const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
  std::vector<float> dx = nans(input.size());
  ASSERT_TRUE(onednn::conv_backward_input(g, dy.data(), kernel.data(), dx.data()))
      << "oneDNN declined the input gradient, " << where;
  EXPECT_TRUE(test::agree_to_rounding(
      dx, input_grad(KernelPath::kReference, g, dy, kernel),
      input_grad(KernelPath::kReference, g, absolute(dy), absolute(kernel))))
      << "input, " << where;
  const bool with_bias = rng.coin();
  KernelGrads grads{nans(kernel.size()), nans(with_bias ? g.out_channels : 0)};
  if (volume(g.kernel) == 1) {
    // Declined on purpose: oneDNN 2.6's 1x1 kernel-gradient primitive
    // corrupts memory on some strided geometries (onednn.cpp).
    EXPECT_FALSE(
        onednn::conv_backward_kernel(g, input.data(), dy.data(), grads.kernel.data(), nullptr))
        << where;
    return;
  }
  ASSERT_TRUE(onednn::conv_backward_kernel(g, input.data(), dy.data(), grads.kernel.data(),
                                           with_bias ? grads.bias.data() : nullptr))
      << "oneDNN declined the kernel gradient, " << where;
  const KernelGrads ref = kernel_grads(KernelPath::kReference, g, input, dy, with_bias);
  const KernelGrads magnitude =
      kernel_grads(KernelPath::kReference, g, absolute(input), absolute(dy), with_bias);
  EXPECT_TRUE(test::agree_to_rounding(grads.kernel, ref.kernel, magnitude.kernel))
      << "kernel, " << where;
  EXPECT_TRUE(test::agree_to_rounding(grads.bias, ref.bias, magnitude.bias)) << "bias, " << where;
}

TEST(ConvBackwardKernel, OneDnnAgreesWithReferenceOnRandomConvolutions) {
  if (!onednn::enabled()) GTEST_SKIP() << "stride is built without oneDNN (STRIDE_ONEDNN=OFF)";
  test::Rng rng(46);
  for (int trial = 0; trial < 120; ++trial) {
    ConvGeometry g = test::random_conv_geometry(rng, /*dilated=*/true);
    set_channels(rng, trial % 5 == 0 ? Flavor::kPointwise : Flavor::kPlain, 3, g);
    g.groups = 1;
    expect_onednn_agrees(g, rng, "trial " + std::to_string(trial) + ": " + test::describe(g));
  }
}

TEST(ConvBackwardKernel, OneDnnAgreesOnALargeImage) {
  if (!onednn::enabled()) GTEST_SKIP() << "stride is built without oneDNN (STRIDE_ONEDNN=OFF)";
  const ConvGeometry g = test::large_banded_geometry();
  test::Rng rng(47);
  expect_onednn_agrees(g, rng, test::describe(g));
}

// A given thread count gives the same gradients every time (oneDNN's batch
// sum is shared out by thread, so only the count may change them).
TEST(ConvBackwardKernel, OneDnnGradientsRepeatExactly) {
  if (!onednn::enabled()) GTEST_SKIP() << "stride is built without oneDNN (STRIDE_ONEDNN=OFF)";
  ConvGeometry g;
  g.batch = 16;
  g.input = {1, 13, 13};
  g.output = {1, 11, 11};
  g.kernel = {1, 3, 3};
  g.in_channels = 8;
  g.out_channels = 16;
  test::Rng rng(48);
  const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
  const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
  const KernelGrads first = kernel_grads(KernelPath::kFast, g, input, dy);
  for (int again = 0; again < 5; ++again) {
    const KernelGrads next = kernel_grads(KernelPath::kFast, g, input, dy);
    EXPECT_EQ(next.kernel, first.kernel);
    EXPECT_EQ(next.bias, first.bias);
  }
}

// The direct AVX2 kernel gradient, called directly (a geometry it declines
// cannot pass by falling back). It sums in chunks, so the tolerance follows
// each sum's magnitude, as for oneDNN.
bool direct_available() {
  ConvGeometry g;
  g.out_channels = 8;
  std::vector<float> x(1, 1.0f), dy(8, 1.0f), dk(8);
  return detail::conv_backward_kernel_direct(g, x.data(), dy.data(), dk.data());
}

void expect_direct_agrees(const ConvGeometry& g, test::Rng& rng, const std::string& where) {
  const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
  const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
  std::vector<float> dk = nans(kernel_size(g));
  ASSERT_TRUE(detail::conv_backward_kernel_direct(g, input.data(), dy.data(), dk.data()))
      << "declined, " << where;
  const KernelGrads ref = kernel_grads(KernelPath::kReference, g, input, dy, false);
  const KernelGrads magnitude =
      kernel_grads(KernelPath::kReference, g, absolute(input), absolute(dy), false);
  EXPECT_TRUE(test::agree_to_rounding(dk, ref.kernel, magnitude.kernel)) << where;
}

TEST(ConvBackwardKernel, DirectAgreesWithReferenceOnRandomConvolutions) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(49);
  for (int trial = 0; trial < 150; ++trial) {
    // Padding, strides, dilation and 1-3 spatial axes; up to 7 channels
    // (tiles of 6 kernel rows straddle taps) and 1-80 filters (blocks of 64
    // with AVX-512, 32, 16, then 8, then a masked rest).
    ConvGeometry g = test::random_conv_geometry(rng, /*dilated=*/true);
    g.in_channels = rng.in(1, 8);
    g.out_channels = rng.in(1, 81);
    expect_direct_agrees(g, rng, "trial " + std::to_string(trial) + ": " + test::describe(g));
  }
}

#ifdef STRIDE_X86_KERNELS
// The AVX-512 build adds each element's products in the AVX2 build's order
// (only the vectors are wider): the same kernel and bias gradients, with the
// output gradient read whole or chunk by chunk from a LineGradients.
TEST(ConvBackwardKernel, DirectAvx512GivesTheSameBitsAsAvx2) {
  if (!detail::cpu_has_avx512()) GTEST_SKIP() << "no AVX-512 on this CPU";
  test::Rng rng(50);
  for (int trial = 0; trial < 60; ++trial) {
    ConvGeometry g = test::random_conv_geometry(rng, /*dilated=*/true);
    g.in_channels = rng.in(1, 8);
    g.out_channels = rng.in(1, 70);  // 64 + a masked rest, 32, 16, tails
    const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
    const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
    const Dim line_floats = g.output[2] * g.out_channels;
    const detail::LineGradients lines = [&](Dim first, Dim last, float* to) {
      std::copy(dy.begin() + first * line_floats, dy.begin() + last * line_floats, to);
    };
    const bool chunked = trial % 2 == 1;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> dk_wide(kernel_size(g), nan), dk_narrow = dk_wide;
    std::vector<float> db_wide(g.out_channels, nan), db_narrow = db_wide;
    ASSERT_TRUE(detail::conv_backward_kernel_avx512(g, input.data(), chunked ? nullptr : dy.data(),
                                                    dk_wide.data(), chunked ? &lines : nullptr,
                                                    db_wide.data()));
    ASSERT_TRUE(detail::conv_backward_kernel_avx2(g, input.data(), chunked ? nullptr : dy.data(),
                                                  dk_narrow.data(), chunked ? &lines : nullptr,
                                                  db_narrow.data()));
    EXPECT_EQ(dk_wide, dk_narrow) << "trial " << trial << ": " << test::describe(g);
    EXPECT_EQ(db_wide, db_narrow) << "trial " << trial << ": " << test::describe(g);
  }
}
#endif

TEST(ConvBackwardKernel, DirectAgreesOnALargeImageSummedInChunks) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  // 62 lines of 62 pixels: many chunks in every group of pixels, and a
  // padded version whose border pixels skip taps.
  ConvGeometry g = test::large_banded_geometry();
  g.in_channels = 5;
  g.out_channels = 27;
  g.batch = 2;
  test::Rng rng(50);
  expect_direct_agrees(g, rng, test::describe(g));
  g.output = g.input;
  g.pad_before = {0, 1, 1};
  expect_direct_agrees(g, rng, test::describe(g));
}

TEST(ConvBackwardKernel, DirectDeclinesGroups) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  ConvGeometry g;
  g.in_channels = 2;
  g.out_channels = 16;
  g.groups = 2;
  std::vector<float> x(2, 1.0f), dy(16, 1.0f), dk = nans(16);
  EXPECT_FALSE(detail::conv_backward_kernel_direct(g, x.data(), dy.data(), dk.data()));
  for (float v : dk) EXPECT_TRUE(std::isnan(v)) << "wrote while declining";
}

// The fast path with blocks of 8 and 16 filters and its bias gradient
// (summed by blocks of 16 channels).
TEST(ConvBackwardKernel, FastAgreesWithReferenceWithFilterBlocks) {
  test::Rng rng(51);
  for (int trial = 0; trial < 40; ++trial) {
    ConvGeometry g = test::random_conv_geometry(rng, /*dilated=*/true);
    g.in_channels = rng.in(1, 5);
    g.out_channels = rng.in(6, 35);
    expect_fast_agrees(g, rng, "trial " + std::to_string(trial) + ": " + test::describe(g));
  }
}

// The direct kernel gradient cuts its sums by the geometry alone: 1, 2 and
// 3 threads give the same bits.
TEST(ConvBackwardKernel, DirectGradientIsTheSameForEveryThreadCount) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  const ConvGeometry g = test::padded_batch_geometry(7, 37);  // blocks of 16, 16 and a masked 5
  test::Rng rng(52);
  const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
  const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
  const auto results = test::results_for_thread_counts(
      [&] { return kernel_grads(KernelPath::kFast, g, input, dy).kernel; });
  EXPECT_EQ(results[1], results[0]);
  EXPECT_EQ(results[2], results[0]);
}

// conv_backward_kernel_relu against the separate passes it replaces: dz =
// dy * relu'(y) by the reference activation rule (y > 0, with 0 * inf kept
// as NaN), then the reference kernel gradient and bias sums of dz. y is a
// relu output: about 40% zeros, and an inf gradient where y is zero.
struct ReluCase {
  std::vector<float> input, relu_output, dy, dz;
};

ReluCase relu_case(const ConvGeometry& g, test::Rng& rng) {
  ReluCase c{rng.floats(g.batch * volume(g.input) * g.in_channels),
             rng.floats(g.batch * volume(g.output) * g.out_channels),
             rng.floats(g.batch * volume(g.output) * g.out_channels),
             {}};
  for (float& y : c.relu_output) y = std::max(y + 0.2f, 0.0f);
  c.dz = c.dy;
  for (std::size_t i = 0; i < c.dz.size(); ++i) c.dz[i] *= c.relu_output[i] > 0.0f ? 1.0f : 0.0f;
  return c;
}

void expect_relu_fusion_agrees(const ConvGeometry& g, test::Rng& rng, const std::string& where) {
  const ReluCase c = relu_case(g, rng);
  KernelGrads fused{nans(kernel_size(g)), nans(g.out_channels)};
  ASSERT_TRUE(conv_backward_kernel_relu(g, c.input.data(), c.relu_output.data(), c.dy.data(),
                                        fused.kernel.data(), fused.bias.data()))
      << "declined, " << where;
  const KernelGrads ref = kernel_grads(KernelPath::kReference, g, c.input, c.dz);
  const KernelGrads magnitude =
      kernel_grads(KernelPath::kReference, g, absolute(c.input), absolute(c.dz));
  EXPECT_TRUE(test::agree_to_rounding(fused.kernel, ref.kernel, magnitude.kernel)) << where;
  EXPECT_TRUE(test::agree_to_rounding(fused.bias, ref.bias, magnitude.bias)) << where;
}

TEST(ConvBackwardKernel, ReluFusionAgreesWithSeparatePassesOnRandomConvolutions) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(53);
  for (int trial = 0; trial < 100; ++trial) {
    ConvGeometry g = test::random_conv_geometry(rng, /*dilated=*/true);
    g.in_channels = rng.in(1, 8);
    g.out_channels = rng.in(1, 41);
    if (detail::is_pointwise(g)) g.kernel[2] = 2, g.output[2] = std::max<Dim>(g.input[2] - 1, 0);
    expect_relu_fusion_agrees(g, rng, "trial " + std::to_string(trial) + ": " + test::describe(g));
  }
}

TEST(ConvBackwardKernel, ReluFusionAgreesOnALargeImageSummedInChunks) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  ConvGeometry g = test::large_banded_geometry();  // many chunks per group of pixels
  g.in_channels = 1;
  g.out_channels = 32;
  g.batch = 2;
  test::Rng rng(54);
  expect_relu_fusion_agrees(g, rng, test::describe(g));
}

// relu'(0) = 0 multiplies: an infinite gradient where y is 0 gives NaN, as
// activation_backward's dz = dy * 0 does; where y > 0 it stays infinite.
TEST(ConvBackwardKernel, ReluFusionMultipliesByTheDerivative) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  // One output pixel from a 2-wide kernel over inputs (2, 3), 8 filters
  // (a 1x1 kernel would be a gemm, which the direct kernel leaves alone);
  // dk[0..7] is tap 0's row, x = 2 times dz.
  ConvGeometry g = conv1d(2, 1, 2);
  g.out_channels = 8;
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x{2, 3}, y{0, 1, 0, 3, 0, 0, 5, 0}, dy{1, 1, inf, inf, 1, 1, 1, 1};
  std::vector<float> dk = nans(16), bias = nans(8);
  ASSERT_TRUE(conv_backward_kernel_relu(g, x.data(), y.data(), dy.data(), dk.data(), bias.data()));
  EXPECT_EQ(dk[0], 0.0f);
  EXPECT_EQ(dk[1], 2.0f);
  EXPECT_TRUE(std::isnan(dk[2]));
  EXPECT_EQ(dk[3], inf);
  EXPECT_EQ(bias[1], 1.0f);
  EXPECT_EQ(bias[0], 0.0f);
  EXPECT_TRUE(std::isnan(bias[2]));
}

TEST(ConvBackwardKernel, ReluFusionIsTheSameForEveryThreadCount) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  const ConvGeometry g = test::padded_batch_geometry(3, 37);
  test::Rng rng(55);
  const ReluCase c = relu_case(g, rng);
  const auto results = test::results_for_thread_counts([&] {
    KernelGrads grads{nans(kernel_size(g)), nans(g.out_channels)};
    conv_backward_kernel_relu(g, c.input.data(), c.relu_output.data(), c.dy.data(),
                              grads.kernel.data(), grads.bias.data());
    grads.kernel.insert(grads.kernel.end(), grads.bias.begin(), grads.bias.end());
    return grads.kernel;
  });
  EXPECT_EQ(results[1], results[0]);
  EXPECT_EQ(results[2], results[0]);
}

// conv_backward_kernel_relu_pooled against the separate reference passes it
// replaces: max pooling's gradient (pool_backward, from the relu output),
// relu's derivative, then the kernel gradient and bias sums. The relu output
// has about 40% zeros, so many windows tie (at zero) and route to their
// first element, where relu'(0) = 0.
void expect_pooled_fusion_agrees(const ConvGeometry& g, const PoolGeometry& pool, test::Rng& rng,
                                 const std::string& where) {
  const ReluCase c = relu_case(g, rng);
  const Dim pooled_size = pool.batch * volume(pool.output) * pool.channels;
  std::vector<float> pooled(pooled_size);
  std::vector<std::uint8_t> taps(pooled_size);
  max_pool_forward_taps(pool, c.relu_output.data(), pooled.data(), taps.data());
  const std::vector<float> dpool = rng.floats(pooled_size);
  KernelGrads fused{nans(kernel_size(g)), nans(g.out_channels)};
  ASSERT_TRUE(conv_backward_kernel_relu_pooled(g, pool, c.input.data(), taps.data(), pooled.data(),
                                               dpool.data(), fused.kernel.data(),
                                               fused.bias.data()))
      << "declined, " << where;
  std::vector<float> dy(c.relu_output.size());
  pool_backward(KernelPath::kReference, PoolKind::kMax, pool, c.relu_output.data(), dpool.data(),
                dy.data());
  for (std::size_t i = 0; i < dy.size(); ++i) dy[i] *= c.relu_output[i] > 0.0f ? 1.0f : 0.0f;
  const KernelGrads ref = kernel_grads(KernelPath::kReference, g, c.input, dy);
  const KernelGrads magnitude =
      kernel_grads(KernelPath::kReference, g, absolute(c.input), absolute(dy));
  EXPECT_TRUE(test::agree_to_rounding(fused.kernel, ref.kernel, magnitude.kernel)) << where;
  EXPECT_TRUE(test::agree_to_rounding(fused.bias, ref.bias, magnitude.bias)) << where;
}

// Disjoint max pooling (window = stride, 1-3 per axis, unpadded) of g's output.
PoolGeometry disjoint_pool(const ConvGeometry& g, Dim win_h, Dim win_w) {
  PoolGeometry pool;
  pool.batch = g.batch;
  pool.channels = g.out_channels;
  pool.input = g.output;
  pool.window = pool.strides = {1, win_h, win_w};
  pool.output = {1, g.output[1] / win_h, g.output[2] / win_w};
  return pool;
}

TEST(ConvBackwardKernel, PooledReluFusionAgreesWithSeparatePassesOnRandomConvolutions) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(56);
  for (int trial = 0; trial < 60; ++trial) {
    ConvGeometry g = test::random_conv_geometry(rng, /*dilated=*/true);
    g.input[0] = g.output[0] = g.kernel[0] = 1;  // 2D (and 1D)
    g.strides[0] = g.dilation[0] = 1;
    g.pad_before[0] = 0;
    g.in_channels = rng.in(1, 4);
    g.out_channels = rng.in(1, 41);
    if (detail::is_pointwise(g)) g.kernel[2] = 2, g.output[2] = std::max<Dim>(g.input[2] - 1, 0);
    // Windows that fit the output; the rows and columns past the last window
    // (an unread tail) get no gradient.
    const PoolGeometry pool =
        disjoint_pool(g, rng.in(1, std::max<Dim>(1, std::min<Dim>(3, g.output[1]))),
                      rng.in(1, std::max<Dim>(1, std::min<Dim>(3, g.output[2]))));
    expect_pooled_fusion_agrees(g, pool, rng,
                                "trial " + std::to_string(trial) + ": " + test::describe(g) +
                                    ", pool " + std::to_string(pool.window[1]) + "x" +
                                    std::to_string(pool.window[2]));
  }
}

TEST(ConvBackwardKernel, PooledReluFusionOnTheMnistFirstLayer) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  ConvGeometry g;  // 28x28x1 -> 26x26x32, pooled 2x2 -> 13x13
  g.batch = 3;
  g.input = {1, 28, 28};
  g.kernel = {1, 3, 3};
  g.output = {1, 26, 26};
  g.out_channels = 32;
  test::Rng rng(57);
  expect_pooled_fusion_agrees(g, disjoint_pool(g, 2, 2), rng, test::describe(g));
}

TEST(ConvBackwardKernel, PooledReluFusionDeclinesOverlappingOrPaddedWindows) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  ConvGeometry g;
  g.input = {1, 8, 8};
  g.kernel = {1, 3, 3};
  g.output = {1, 6, 6};
  g.out_channels = 8;
  PoolGeometry overlapping = disjoint_pool(g, 2, 2);
  overlapping.strides = {1, 1, 1};
  overlapping.output = {1, 5, 5};
  PoolGeometry padded = disjoint_pool(g, 2, 2);
  padded.pad_before = {0, 1, 0};
  const std::vector<float> x(64, 1.0f), pooled(5 * 5 * 8, 1.0f), dpool(pooled.size(), 1.0f);
  const std::vector<std::uint8_t> taps(pooled.size(), 0);
  for (const PoolGeometry* pool : {&overlapping, &padded}) {
    std::vector<float> dk = nans(kernel_size(g)), bias = nans(8);
    EXPECT_FALSE(conv_backward_kernel_relu_pooled(g, *pool, x.data(), taps.data(), pooled.data(),
                                                  dpool.data(), dk.data(), bias.data()));
    for (float v : dk) ASSERT_TRUE(std::isnan(v));
  }
}

}  // namespace
}  // namespace stride::kernels
