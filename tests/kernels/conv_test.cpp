// conv_forward: hand-worked cases on both paths, then the fast path (im2col,
// pointwise and depthwise; the direct AVX2 kernel where the CPU has it; and
// oneDNN's convolutions where stride is built with them) against the
// reference on random configurations.
#include "kernels/conv.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/gemm_micro.hpp"
#include "kernels/internal.hpp"
#include "kernels/kernel_test_util.hpp"
#include "stride/error.hpp"

namespace stride::kernels {
namespace {

using test::agree;
using test::kBothPaths;
using test::path_name;
using test::volume;

std::vector<float> run_conv(KernelPath path, const ConvGeometry& g, const std::vector<float>& input,
                            const std::vector<float>& kernel, const float* bias,
                            bool relu = false) {
  // NaN-filled so an output the kernel forgets to write cannot pass.
  std::vector<float> out(g.batch * volume(g.output) * g.out_channels,
                         std::numeric_limits<float>::quiet_NaN());
  conv_forward(path, g, input.data(), kernel.data(), bias, out.data(), relu);
  return out;
}

// A 2D geometry (height, width) with one batch item.
ConvGeometry conv2d(Dim in_h, Dim in_w, Dim out_h, Dim out_w, Dim k_h, Dim k_w) {
  ConvGeometry g;
  g.input = {1, in_h, in_w};
  g.output = {1, out_h, out_w};
  g.kernel = {1, k_h, k_w};
  return g;
}

TEST(ConvKernel, ValidTwoByTwoOnesOverOneToNine) {
  // in [[1,2,3],[4,5,6],[7,8,9]], 2x2 kernel of ones, valid -> 2x2:
  //   1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28.
  const ConvGeometry g = conv2d(3, 3, 2, 2, 2, 2);
  const std::vector<float> input{1, 2, 3, 4, 5, 6, 7, 8, 9}, kernel(4, 1.0f);
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_conv(path, g, input, kernel, nullptr), (std::vector<float>{12, 16, 24, 28}));
  }
}

TEST(ConvKernel, SamePaddingGoesAfterAndBiasIsAdded) {
  // Same input and kernel, SAME: out 3x3, pad_total = (3-1)*1 + 2 - 3 = 1,
  // pad_before 0, so the padding row/column is after. Last column: 3+6 = 9,
  // 6+9 = 15, 9; last row: 7+8 = 15, 8+9 = 17, 9. Bias 0.5 on every output.
  ConvGeometry g = conv2d(3, 3, 3, 3, 2, 2);
  const std::vector<float> input{1, 2, 3, 4, 5, 6, 7, 8, 9}, kernel(4, 1.0f);
  const float bias = 0.5f;
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_conv(path, g, input, kernel, &bias),
              (std::vector<float>{12.5, 16.5, 9.5, 24.5, 28.5, 15.5, 15.5, 17.5, 9.5}));
  }
}

TEST(ConvKernel, StrideAndPadBefore) {
  // 1D in [1,2,3,4,5], kernel [1,10,100], stride 2, SAME: out 3,
  // pad_total = (3-1)*2 + 3 - 5 = 2, pad_before 1. Windows start at -1, 1, 3:
  //   0*1 + 1*10 + 2*100 = 210, 2 + 30 + 400 = 432, 4 + 50 + 0 = 54.
  ConvGeometry g = conv2d(1, 5, 1, 3, 1, 3);
  g.strides = {1, 1, 2};
  g.pad_before = {0, 0, 1};
  const std::vector<float> input{1, 2, 3, 4, 5}, kernel{1, 10, 100};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_conv(path, g, input, kernel, nullptr), (std::vector<float>{210, 432, 54}));
  }
}

TEST(ConvKernel, DilationSpreadsTheTaps) {
  // 1D in [1..7], kernel [1,10], dilation 3: k_eff = 4, valid out 4,
  // out[x] = in[x] + 10*in[x+3]: 1+40 = 41, 2+50 = 52, 3+60 = 63, 4+70 = 74.
  ConvGeometry g = conv2d(1, 7, 1, 4, 1, 2);
  g.dilation = {1, 1, 3};
  const std::vector<float> input{1, 2, 3, 4, 5, 6, 7}, kernel{1, 10};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_conv(path, g, input, kernel, nullptr), (std::vector<float>{41, 52, 63, 74}));
  }
}

TEST(ConvKernel, TwoGroupsSeeTheirOwnChannels) {
  // One pixel, channels [1,2,3,4], 1x1 kernel (Cin/G = 2, F = 2) stored
  // K[c][f] = [[1,10],[100,1000]]. Filter 0 (group 0) sees channels 0,1:
  // 1*1 + 2*100 = 201; filter 1 (group 1) sees channels 2,3: 3*10 + 4*1000 =
  // 4030. Bias [0.5, -1] -> [201.5, 4029].
  ConvGeometry g = conv2d(1, 1, 1, 1, 1, 1);
  g.in_channels = 4;
  g.out_channels = 2;
  g.groups = 2;
  const std::vector<float> input{1, 2, 3, 4}, kernel{1, 10, 100, 1000}, bias{0.5f, -1.0f};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_conv(path, g, input, kernel, bias.data()), (std::vector<float>{201.5, 4029}));
  }
}

TEST(ConvKernel, DepthwiseWithMultiplierTwo) {
  // 1D, two pixels of channels [1,2] and [3,4], kernel width 2 with channel
  // multiplier 2: K[k][c*2 + j] = [[1,2,3,4],[5,6,7,8]]. Output f = c*2 + j:
  //   f0: 1*1 + 3*5 = 16, f1: 1*2 + 3*6 = 20, f2: 2*3 + 4*7 = 34, f3: 2*4 + 4*8 = 40.
  ConvGeometry g = conv2d(1, 2, 1, 1, 1, 2);
  g.in_channels = 2;
  g.out_channels = 4;
  g.groups = 2;
  const std::vector<float> input{1, 2, 3, 4}, kernel{1, 2, 3, 4, 5, 6, 7, 8};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_conv(path, g, input, kernel, nullptr), (std::vector<float>{16, 20, 34, 40}));
  }
}

TEST(ConvKernel, RejectsGroupsThatDoNotDivideTheChannels) {
  ConvGeometry g;
  g.in_channels = 3;
  g.groups = 2;
  const float x = 0;
  float y = 0;
  EXPECT_THROW(conv_forward(KernelPath::kFast, g, &x, &x, nullptr, &y), Error);
}

enum class Flavor { kPlain, kGrouped, kDepthwise, kPointwise };

ConvGeometry random_geometry(test::Rng& rng, Flavor flavor) {
  ConvGeometry g = test::random_conv_geometry(rng, /*dilated=*/true);
  switch (flavor) {
    case Flavor::kPlain:
      g.in_channels = rng.in(1, 5);
      g.out_channels = rng.in(1, 5);
      break;
    case Flavor::kGrouped:
      g.groups = rng.in(2, 3);
      g.in_channels = g.groups * rng.in(1, 3);
      g.out_channels = g.groups * rng.in(1, 3);
      break;
    case Flavor::kDepthwise:
      g.groups = g.in_channels = rng.in(1, 5);
      g.out_channels = g.in_channels * rng.in(1, 3);
      break;
    case Flavor::kPointwise:  // 1x1, stride 1, no padding: the direct gemm
      g.kernel = g.strides = {1, 1, 1};
      g.pad_before = {0, 0, 0};
      g.output = g.input;
      g.groups = rng.in(1, 2);
      g.in_channels = g.groups * rng.in(1, 3);
      g.out_channels = g.groups * rng.in(1, 3);
      break;
  }
  return g;
}

void expect_fast_agrees(Flavor flavor, std::uint32_t seed, int trials) {
  const test::ScopedOneDnn own_kernels(false);
  const test::ScopedDirectKernels portable_kernels(false);
  test::Rng rng(seed);
  for (int trial = 0; trial < trials; ++trial) {
    const ConvGeometry g = random_geometry(rng, flavor);
    const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
    const std::vector<float> kernel =
        rng.floats(volume(g.kernel) * (g.in_channels / g.groups) * g.out_channels);
    const std::vector<float> bias = rng.floats(g.out_channels);
    const float* b = rng.coin() ? bias.data() : nullptr;
    EXPECT_TRUE(agree(run_conv(KernelPath::kFast, g, input, kernel, b),
                      run_conv(KernelPath::kReference, g, input, kernel, b)))
        << "trial " << trial << ": " << test::describe(g) << (b ? ", bias" : ", no bias");
  }
}

TEST(ConvKernel, FastAgreesWithReferenceOnRandomConvolutions) {
  expect_fast_agrees(Flavor::kPlain, 1, 150);
}

TEST(ConvKernel, FastAgreesWithReferenceOnRandomGroupedConvolutions) {
  expect_fast_agrees(Flavor::kGrouped, 2, 80);
}

TEST(ConvKernel, FastAgreesWithReferenceOnRandomDepthwiseConvolutions) {
  expect_fast_agrees(Flavor::kDepthwise, 3, 80);
}

TEST(ConvKernel, FastAgreesWithReferenceOnRandomPointwiseConvolutions) {
  expect_fast_agrees(Flavor::kPointwise, 4, 40);
}

TEST(ConvKernel, FastAgreesOnALargeImageLoweredInBands) {
  // The fast path lowers the image in several bands.
  const ConvGeometry g = test::large_banded_geometry();
  test::Rng rng(5);
  const std::vector<float> input = rng.floats(volume(g.input) * g.in_channels);
  const std::vector<float> kernel = rng.floats(9 * g.in_channels * g.out_channels);
  const test::ScopedOneDnn own_kernels(false);
  const test::ScopedDirectKernels portable_kernels(false);
  EXPECT_TRUE(agree(run_conv(KernelPath::kFast, g, input, kernel, nullptr),
                    run_conv(KernelPath::kReference, g, input, kernel, nullptr)));
}

using test::absolute;

// oneDNN's convolution, called directly (so a geometry it declines cannot pass
// by falling back), against the reference.
void expect_onednn_agrees(const ConvGeometry& g, test::Rng& rng, const std::string& what) {
  const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
  const std::vector<float> kernel = rng.floats(volume(g.kernel) * g.in_channels * g.out_channels);
  const std::vector<float> bias = rng.floats(g.out_channels);
  const float* b = rng.coin() ? bias.data() : nullptr;
  std::vector<float> out(g.batch * volume(g.output) * g.out_channels,
                         std::numeric_limits<float>::quiet_NaN());
  ASSERT_TRUE(onednn::conv_forward(g, input.data(), kernel.data(), b, out.data()))
      << "oneDNN declined " << what << ": " << test::describe(g);
  const std::vector<float> abs_bias = absolute(bias);
  EXPECT_TRUE(test::agree_to_rounding(out, run_conv(KernelPath::kReference, g, input, kernel, b),
                                      run_conv(KernelPath::kReference, g, absolute(input),
                                               absolute(kernel), b ? abs_bias.data() : nullptr)))
      << what << ": " << test::describe(g) << (b ? ", bias" : ", no bias");
}

TEST(ConvKernel, OneDnnAgreesWithReferenceOnRandomConvolutions) {
  if (!onednn::enabled()) GTEST_SKIP() << "stride is built without oneDNN (STRIDE_ONEDNN=OFF)";
  test::Rng rng(6);
  for (int trial = 0; trial < 150; ++trial) {
    ConvGeometry g = random_geometry(rng, trial % 5 == 0 ? Flavor::kPointwise : Flavor::kPlain);
    g.groups = 1;
    expect_onednn_agrees(g, rng, fmt::format("trial {}", trial));
  }
}

TEST(ConvKernel, OneDnnAgreesOnALargeImage) {
  if (!onednn::enabled()) GTEST_SKIP() << "stride is built without oneDNN (STRIDE_ONEDNN=OFF)";
  test::Rng rng(5);
  expect_onednn_agrees(test::large_banded_geometry(), rng, "64x64x128 image");
}

// relu fused into the convolution (oneDNN's post-op, or a second pass on
// stride's own kernels) is max(0, x) of the reference's unfused output.
TEST(ConvKernel, FusedReluIsReluOfTheConvolution) {
  test::Rng rng(8);
  for (const bool with_onednn : {false, true}) {
    const test::ScopedOneDnn scoped(with_onednn && onednn::enabled());
    for (int trial = 0; trial < 60; ++trial) {
      const Flavor flavor = static_cast<Flavor>(trial % 4);
      const ConvGeometry g = random_geometry(rng, flavor);
      const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
      const std::vector<float> kernel =
          rng.floats(volume(g.kernel) * (g.in_channels / g.groups) * g.out_channels);
      const std::vector<float> bias = rng.floats(g.out_channels);
      const std::vector<float> raw =
          run_conv(KernelPath::kReference, g, input, kernel, bias.data());
      std::vector<float> expected = raw;
      for (float& v : expected) v = std::max(v, 0.0f);
      const std::vector<float> fused =
          run_conv(KernelPath::kFast, g, input, kernel, bias.data(), /*relu=*/true);
      // agree()'s tolerance, and exact zeros where the convolution is clearly negative.
      EXPECT_TRUE(agree(fused, expected)) << "trial " << trial << ": " << test::describe(g);
      for (std::size_t i = 0; i < fused.size(); ++i)
        if (raw[i] < -1e-4f) ASSERT_EQ(fused[i], 0.0f) << "element " << i;
      EXPECT_EQ(run_conv(KernelPath::kReference, g, input, kernel, bias.data(), true), expected)
          << "the reference path applies relu too";
    }
  }
}

// The direct forward kernel (AVX-512 or AVX2), called directly (a geometry it
// declines cannot pass by falling back), against the reference: tiles of 6
// pixels that run across lines and images, border tiles that read zeros for
// taps in the padding, filter blocks of 64/32/16 (AVX-512) or 16/8 (AVX2) and
// a masked rest, packed when there are several, and more than 2048 kernel
// rows cut into blocks (partial sums stored and reloaded; relu only after the
// last).
bool direct_available() {
  ConvGeometry g;
  g.out_channels = 1;
  const float x = 1.0f;
  float y = 0.0f;
  return detail::conv_forward_direct(g, &x, &x, nullptr, &y, false);
}

struct DirectCase {
  std::vector<float> input, kernel, bias;
  bool with_bias, relu;
};

DirectCase direct_case(const ConvGeometry& g, test::Rng& rng) {
  DirectCase c{rng.floats(g.batch * volume(g.input) * g.in_channels),
               rng.floats(volume(g.kernel) * g.in_channels * g.out_channels),
               rng.floats(g.out_channels), rng.coin(), rng.coin()};
  return c;
}

std::vector<float> run_direct(const ConvGeometry& g, const DirectCase& c) {
  std::vector<float> out(g.batch * volume(g.output) * g.out_channels,
                         std::numeric_limits<float>::quiet_NaN());
  EXPECT_TRUE(detail::conv_forward_direct(g, c.input.data(), c.kernel.data(),
                                          c.with_bias ? c.bias.data() : nullptr, out.data(),
                                          c.relu));
  return out;
}

void expect_direct_agrees(const ConvGeometry& g, test::Rng& rng, const std::string& where) {
  const DirectCase c = direct_case(g, rng);
  const float* bias = c.with_bias ? c.bias.data() : nullptr;
  std::vector<float> ref = run_conv(KernelPath::kReference, g, c.input, c.kernel, bias, c.relu);
  const std::vector<float> abs_bias = absolute(c.bias);
  const std::vector<float> magnitude =
      run_conv(KernelPath::kReference, g, absolute(c.input), absolute(c.kernel),
               c.with_bias ? abs_bias.data() : nullptr);
  const std::vector<float> out = run_direct(g, c);
  EXPECT_TRUE(test::agree_to_rounding(out, ref, magnitude))
      << where << (c.with_bias ? ", bias" : ", no bias") << (c.relu ? ", relu" : "");
  if (c.relu) {
    const std::vector<float> raw = run_conv(KernelPath::kReference, g, c.input, c.kernel, bias);
    for (std::size_t i = 0; i < out.size(); ++i)
      if (raw[i] < -1e-3f) ASSERT_EQ(out[i], 0.0f) << where << ", element " << i;
  }
}

TEST(ConvKernel, DirectAgreesWithReferenceOnRandomConvolutions) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(9);
  for (int trial = 0; trial < 150; ++trial) {
    // Padding, strides, dilation, 1-3 spatial axes; 1-40 filters; every
    // fourth trial with 30-70 channels.
    ConvGeometry g = test::random_conv_geometry(rng, /*dilated=*/true);
    g.in_channels = trial % 4 == 3 ? rng.in(30, 70) : rng.in(1, 12);
    g.out_channels = rng.in(1, 41);
    expect_direct_agrees(g, rng, fmt::format("trial {}: {}", trial, test::describe(g)));
  }
}

TEST(ConvKernel, DirectAgreesOnLargePaddedImages) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  // Two 30x30 images, 3x3 same and 5x5 stride 2 same (asymmetric padding):
  // clean and border tiles, tiles across lines and images, 3 row blocks.
  ConvGeometry g;
  g.batch = 2;
  g.input = {1, 30, 30};
  g.output = {1, 30, 30};
  g.kernel = {1, 3, 3};
  g.pad_before = {0, 1, 1};
  g.in_channels = 80;
  g.out_channels = 37;
  test::Rng rng(10);
  expect_direct_agrees(g, rng, test::describe(g));
  g.output = {1, 15, 15};
  g.kernel = {1, 5, 5};
  g.strides = {1, 2, 2};
  g.in_channels = 12;
  expect_direct_agrees(g, rng, test::describe(g));
  // 3x3 x 240 channels: 2160 kernel rows, cut in two blocks; 69 filters
  // (64 + a masked 5 with AVX-512) over 288 pixels, packed block by block.
  g = conv2d(12, 12, 12, 12, 3, 3);
  g.batch = 2;
  g.pad_before = {0, 1, 1};
  g.in_channels = 240;
  g.out_channels = 69;
  expect_direct_agrees(g, rng, test::describe(g));
}

// First layers: fewer than 8 channels take the kernel rows in one loop on
// tiles whose 6 pixels lie on one line with every window inside; lines of 26
// and 30 pixels leave part tiles and border tiles beside them. One channel
// at width stride 1 into 16 or 32 filters walks lines in tiles of up to 13
// pixels (with AVX-512): 26 = 2 x 13, 7 in one tile of 7, 38 in 13 + 13 + a
// last 13 shifted back over the second, border pixels beside them.
TEST(ConvKernel, DirectAgreesOnFirstLayerShapes) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  struct Shape {
    Dim in, out, kernel, stride, pad, channels, filters;
  };
  const Shape shapes[] = {
      {28, 26, 3, 1, 0, 1, 32},  // MNIST's first layer, valid
      {30, 30, 3, 1, 1, 3, 69},  // RGB 3x3 same: 64 filters and a masked rest
      {31, 16, 5, 2, 2, 3, 20},  // 5x5 stride 2 same (pad 2 before, 2 after)
      {29, 29, 5, 1, 2, 1, 16}, {9, 7, 3, 1, 0, 1, 32},
      {40, 40, 3, 1, 1, 1, 16}, {40, 20, 3, 2, 1, 1, 32},  // stride 2: not the line walk
  };
  test::Rng rng(12);
  for (const Shape& s : shapes) {
    ConvGeometry g = conv2d(s.in, s.in, s.out, s.out, s.kernel, s.kernel);
    g.batch = 3;
    g.strides = {1, s.stride, s.stride};
    g.pad_before = {0, s.pad, s.pad};
    g.in_channels = s.channels;
    g.out_channels = s.filters;
    expect_direct_agrees(g, rng, test::describe(g));
  }
  // 3D, one channel: lines over depth and height, padding on every axis.
  ConvGeometry g;
  g.batch = 2;
  g.input = {5, 9, 20};
  g.output = {5, 9, 20};
  g.kernel = {3, 3, 3};
  g.pad_before = {1, 1, 1};
  g.out_channels = 32;
  expect_direct_agrees(g, rng, test::describe(g));
}

#ifdef STRIDE_X86_KERNELS
// The AVX-512 build adds each output's products in the AVX2 build's order
// (only the vectors are wider): the same bits, on random geometries and the
// first-layer tiles above.
TEST(ConvKernel, DirectAvx512GivesTheSameBitsAsAvx2) {
  if (!detail::cpu_has_avx512()) GTEST_SKIP() << "no AVX-512 on this CPU";
  test::Rng rng(13);
  for (int trial = 0; trial < 60; ++trial) {
    ConvGeometry g = test::random_conv_geometry(rng, /*dilated=*/true);
    if (trial % 3 == 0) g = conv2d(28, 28, 26, 26, 3, 3);
    g.in_channels = trial % 4 == 3 ? rng.in(30, 70) : rng.in(1, 12);
    g.out_channels = rng.in(1, 70);  // 64 + a masked rest, 32, 16, tails
    if (trial % 6 == 1) g.in_channels = 1, g.out_channels = trial % 12 == 1 ? 32 : 16;  // lines
    const DirectCase c = direct_case(g, rng);
    const float* bias = c.with_bias ? c.bias.data() : nullptr;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> wide(g.batch * volume(g.output) * g.out_channels, nan), narrow = wide;
    ASSERT_TRUE(
        detail::conv_forward_avx512(g, c.input.data(), c.kernel.data(), bias, wide.data(), c.relu));
    ASSERT_TRUE(
        detail::conv_forward_avx2(g, c.input.data(), c.kernel.data(), bias, narrow.data(), c.relu));
    EXPECT_EQ(wide, narrow) << "trial " << trial << ": " << test::describe(g);
  }
}
#endif

TEST(ConvKernel, DirectDeclinesGroups) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  ConvGeometry g;
  g.in_channels = 2;
  g.out_channels = 2;
  g.groups = 2;
  const std::vector<float> x(2, 1.0f), k(2, 1.0f);
  std::vector<float> y(2, std::numeric_limits<float>::quiet_NaN());
  EXPECT_FALSE(detail::conv_forward_direct(g, x.data(), k.data(), nullptr, y.data(), false));
  for (float v : y) EXPECT_TRUE(std::isnan(v)) << "wrote while declining";
}

// Each output element is one sum, whichever thread computes it: 1, 2 and 3
// threads give the same bits.
TEST(ConvKernel, DirectForwardIsTheSameForEveryThreadCount) {
  if (!direct_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  // 240 channels: 2160 kernel rows, two row blocks; 69 filters: 64 and 5
  // (AVX-512) or 16, 16, 16, 16 and 5 (AVX2).
  const ConvGeometry g = test::padded_batch_geometry(240, 69);
  test::Rng rng(11);
  const DirectCase c = direct_case(g, rng);
  const auto results = test::results_for_thread_counts([&] { return run_direct(g, c); });
  EXPECT_EQ(results[1], results[0]);
  EXPECT_EQ(results[2], results[0]);
}

}  // namespace
}  // namespace stride::kernels
