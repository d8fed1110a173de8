// detail::conv_winograd (Winograd F(4x4, 3x3), conv_winograd_avx2.cpp) and
// detail::conv_winograd_kernel_grad (F(3x3, 4x4)): hand-worked cases, the
// forward, the input gradient and the kernel gradient against the reference
// loops on random geometries, thread counts, the geometries they decline,
// and conv_forward's, conv_backward_input's and conv_backward_kernel's use
// of them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/conv.hpp"
#include "kernels/gemm_micro.hpp"
#include "kernels/internal.hpp"
#include "kernels/kernel_test_util.hpp"

namespace stride::kernels {
namespace {

using test::absolute;
using test::nans;
using test::reference_forward;
using test::volume;

// Winograd's transforms multiply by constants up to 8 (and divide by 24), so
// its rounding is a few times a direct sum's: measured up to 3.5x the
// agree_to_rounding bound on the bench shapes (b)-(d), allowed 8x here.
constexpr double kWinogradRounding = 8.0;

bool available() {
  ConvGeometry g;  // 8 images of 16x16: 128 tiles
  g.batch = 8;
  g.input = g.output = {1, 16, 16};
  g.kernel = {1, 3, 3};
  g.pad_before = {0, 1, 1};
  g.in_channels = g.out_channels = 16;
  std::vector<float> x(8 * 256 * 16), k(9 * 16 * 16), y(x.size());
  return detail::conv_winograd(g, x.data(), k.data(), false, nullptr, false, y.data());
}

// The fewest images whose outputs of this size hold 64 tiles of 4x4 (what
// the kernels need at least).
Dim images_for_64_tiles(const Spatial& output) {
  const Dim tiles = ((output[1] + 3) / 4) * ((output[2] + 3) / 4);
  return (64 + tiles - 1) / tiles;
}

// A 3x3 stride-1 geometry the kernel takes: pad_before 0-2 per axis, the
// output as long as that padding and 0-2 after it allow, channels multiples
// of 8 (16 to 40), enough images for 64 tiles.
ConvGeometry random_geometry(test::Rng& rng) {
  ConvGeometry g;
  g.kernel = {1, 3, 3};
  for (int axis = 1; axis < 3; ++axis) {
    g.input[axis] = rng.in(3, 15);
    g.pad_before[axis] = rng.in(0, 2);
    g.output[axis] = g.input[axis] + g.pad_before[axis] + rng.in(0, 2) - 2;
  }
  g.in_channels = 8 * rng.in(2, 5);
  g.out_channels = 8 * rng.in(2, 5);
  g.batch = images_for_64_tiles(g.output) + rng.in(0, 1);
  return g;
}

std::vector<float> winograd(const ConvGeometry& g, const std::vector<float>& input,
                            const std::vector<float>& kernel, bool flip_swap, const float* bias,
                            bool relu) {
  std::vector<float> out = nans(g.batch * volume(g.output) * g.out_channels);
  EXPECT_TRUE(
      detail::conv_winograd(g, input.data(), kernel.data(), flip_swap, bias, relu, out.data()))
      << "declined " << test::describe(g);
  return out;
}

TEST(WinogradConv, AllOnesCountTheTapsInside) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  // 'same' padding on 8x8 images, 16 channels of ones, a kernel of ones:
  // each output is 16 x (the taps inside the image) + the bias 0.5, i.e.
  // 4 taps at a corner, 6 along an edge, 9 inside.
  ConvGeometry g;
  g.batch = 16;  // 4 tiles each
  g.input = g.output = {1, 8, 8};
  g.kernel = {1, 3, 3};
  g.pad_before = {0, 1, 1};
  g.in_channels = g.out_channels = 16;
  const std::vector<float> input(16 * 64 * 16, 1.0f), kernel(9 * 16 * 16, 1.0f), bias(16, 0.5f);
  const std::vector<float> out = winograd(g, input, kernel, false, bias.data(), false);
  for (Dim b = 0; b < 16; ++b)
    for (Dim y = 0; y < 8; ++y)
      for (Dim x = 0; x < 8; ++x) {
        const int rows = (y == 0 || y == 7) ? 2 : 3, cols = (x == 0 || x == 7) ? 2 : 3;
        const float expected = 16.0f * float(rows * cols) + 0.5f;
        for (Dim f = 0; f < 16; ++f)
          ASSERT_NEAR(out[((b * 8 + y) * 8 + x) * 16 + f], expected, 2e-4)
              << "image " << b << " at (" << y << ", " << x << "), filter " << f;
      }
}

TEST(WinogradConv, AgreesWithReferenceToItsRounding) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(71);
  for (int trial = 0; trial < 12; ++trial) {
    const ConvGeometry g = random_geometry(rng);
    const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
    const std::vector<float> kernel = rng.floats(9 * g.in_channels * g.out_channels);
    const std::vector<float> bias = rng.floats(g.out_channels);
    const bool relu = rng.coin();
    const float* b = rng.coin() ? bias.data() : nullptr;
    std::vector<float> expected = reference_forward(g, input, kernel, b);
    if (relu)
      for (float& v : expected) v = std::max(v, 0.0f);
    const std::vector<float> magnitude =
        reference_forward(g, absolute(input), absolute(kernel), nullptr);
    EXPECT_TRUE(test::agree_to_rounding(winograd(g, input, kernel, false, b, relu), expected,
                                        magnitude, kWinogradRounding))
        << "trial " << trial << ": " << test::describe(g) << (b ? ", bias" : "")
        << (relu ? ", relu" : "");
  }
}

TEST(WinogradConv, FlippedKernelGivesTheInputGradient) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  // The input gradient of g is the convolution of the output gradient with
  // the kernel flipped and its channel axes swapped, padded 2 - pad_before.
  test::Rng rng(72);
  for (int trial = 0; trial < 8; ++trial) {
    ConvGeometry g = random_geometry(rng);
    g.pad_before = {0, rng.in(0, 1), rng.in(0, 1)};  // 'valid' and 'same' gradients
    for (int axis = 1; axis < 3; ++axis)
      g.output[axis] = g.input[axis] + 2 * g.pad_before[axis] - 2;
    g.batch = images_for_64_tiles(g.input);  // the gradient's tiles
    const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
    const std::vector<float> kernel = rng.floats(9 * g.in_channels * g.out_channels);
    std::vector<float> expected = nans(g.batch * volume(g.input) * g.in_channels);
    detail::conv_backward_input_reference(g, dy.data(), kernel.data(), expected.data());
    std::vector<float> magnitude(expected.size());
    detail::conv_backward_input_reference(g, absolute(dy).data(), absolute(kernel).data(),
                                          magnitude.data());
    ConvGeometry dual = g;
    dual.input = g.output;
    dual.output = g.input;
    dual.in_channels = g.out_channels;
    dual.out_channels = g.in_channels;
    dual.pad_before = {0, 2 - g.pad_before[1], 2 - g.pad_before[2]};
    EXPECT_TRUE(test::agree_to_rounding(winograd(dual, dy, kernel, true, nullptr, false), expected,
                                        magnitude, kWinogradRounding))
        << "trial " << trial << ": " << test::describe(g);
  }
}

std::vector<float> winograd_kernel_grad(const ConvGeometry& g, const std::vector<float>& input,
                                        const std::vector<float>& output_grad) {
  std::vector<float> dk = nans(9 * g.in_channels * g.out_channels);
  EXPECT_TRUE(detail::conv_winograd_kernel_grad(g, input.data(), output_grad.data(), dk.data()))
      << "declined " << test::describe(g);
  return dk;
}

TEST(WinogradConv, KernelGradientOfOnesCountsThePixelsEachTapReads) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  // 'same' padding on 8x8 images of ones, an output gradient of ones: the
  // tap (kh, kw) reads the input from 7 or 8 output rows (7 where it looks
  // past the top or bottom edge) times 7 or 8 columns, in each of 16 images.
  ConvGeometry g;
  g.batch = 16;
  g.input = g.output = {1, 8, 8};
  g.kernel = {1, 3, 3};
  g.pad_before = {0, 1, 1};
  g.in_channels = g.out_channels = 16;
  const std::vector<float> input(16 * 64 * 16, 1.0f), dy(16 * 64 * 16, 1.0f);
  const std::vector<float> dk = winograd_kernel_grad(g, input, dy);
  for (Dim kh = 0; kh < 3; ++kh)
    for (Dim kw = 0; kw < 3; ++kw) {
      const float expected = 16.0f * float((kh == 1 ? 8 : 7) * (kw == 1 ? 8 : 7));
      for (Dim i = 0; i < 16 * 16; ++i)
        ASSERT_NEAR(dk[(kh * 3 + kw) * 256 + i], expected, 2e-3)
            << "tap (" << kh << ", " << kw << "), channel-filter pair " << i;
    }
}

TEST(WinogradConv, KernelGradientAgreesWithReferenceToItsRounding) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(75);
  for (int trial = 0; trial < 10; ++trial) {
    const ConvGeometry g = random_geometry(rng);
    const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
    const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
    std::vector<float> expected = nans(9 * g.in_channels * g.out_channels), magnitude = expected;
    detail::conv_backward_kernel_reference(g, input.data(), dy.data(), expected.data());
    detail::conv_backward_kernel_reference(g, absolute(input).data(), absolute(dy).data(),
                                           magnitude.data());
    EXPECT_TRUE(test::agree_to_rounding(winograd_kernel_grad(g, input, dy), expected, magnitude,
                                        kWinogradRounding))
        << "trial " << trial << ": " << test::describe(g);
  }
}

TEST(WinogradConv, KernelGradientSameBitsForEveryThreadCount) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(76);
  ConvGeometry g = random_geometry(rng);
  g.batch *= 4;  // several chunks of tiles
  const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
  const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
  const auto results =
      test::results_for_thread_counts([&] { return winograd_kernel_grad(g, input, dy); });
  EXPECT_EQ(results[0], results[1]) << test::describe(g);
  EXPECT_EQ(results[0], results[2]) << test::describe(g);
}

TEST(WinogradConv, SameBitsForEveryThreadCount) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(73);
  const ConvGeometry g = random_geometry(rng);
  const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
  const std::vector<float> kernel = rng.floats(9 * g.in_channels * g.out_channels);
  const auto results = test::results_for_thread_counts(
      [&] { return winograd(g, input, kernel, false, nullptr, false); });
  EXPECT_EQ(results[0], results[1]) << test::describe(g);
  EXPECT_EQ(results[0], results[2]) << test::describe(g);
}

TEST(WinogradConv, DeclinesOtherGeometriesWritingNothing) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  ConvGeometry fits;
  fits.batch = 8;
  fits.input = fits.output = {1, 16, 16};
  fits.kernel = {1, 3, 3};
  fits.pad_before = {0, 1, 1};
  fits.in_channels = fits.out_channels = 16;
  const auto declined = test::changed_geometries(
      fits, {{"stride 2",
              [](ConvGeometry& g) {
                g.strides = {1, 2, 2}, g.output = {1, 8, 8};
              }},
             {"dilation 2",
              [](ConvGeometry& g) {
                g.dilation = {1, 2, 2}, g.output = {1, 14, 14};
              }},
             {"5x5 kernel",
              [](ConvGeometry& g) {
                g.kernel = {1, 5, 5}, g.output = {1, 14, 14};
              }},
             {"3D", [](ConvGeometry& g) { g.input[0] = g.output[0] = 3; }},
             {"2 groups", [](ConvGeometry& g) { g.groups = 2; }},
             {"12 input channels", [](ConvGeometry& g) { g.in_channels = 12; }},
             {"8 input channels", [](ConvGeometry& g) { g.in_channels = 8; }},
             {"20 filters", [](ConvGeometry& g) { g.out_channels = 20; }},
             {"63 tiles", [](ConvGeometry& g) {
                g.batch = 7, g.input = g.output = {1, 12, 12};
              }}});
  for (const auto& [what, g] : declined) {
    EXPECT_TRUE(test::declines_writing_nothing(g, [&g = g](const float* x, const float* k,
                                                           float* y) {
      return detail::conv_winograd(g, x, k, false, nullptr, false, y);
    })) << what;
    const std::vector<float> input(g.batch * volume(g.input) * g.in_channels, 1.0f);
    const std::vector<float> dy(g.batch * volume(g.output) * g.out_channels, 1.0f);
    std::vector<float> dk = nans(volume(g.kernel) * g.in_channels * g.out_channels);
    EXPECT_FALSE(detail::conv_winograd_kernel_grad(g, input.data(), dy.data(), dk.data())) << what;
    for (float v : dk) ASSERT_TRUE(std::isnan(v)) << what << ": wrote a kernel gradient";
  }
}

TEST(WinogradConv, KernelGradientDeclinesChannelsWhosePartialSumsWouldBeTooLarge) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  ConvGeometry g;  // 36 x 256 x 512 = 4.7M floats per copy of the sums
  g.batch = 4;
  g.input = g.output = {1, 16, 16};
  g.kernel = {1, 3, 3};
  g.pad_before = {0, 1, 1};
  g.in_channels = 256;
  g.out_channels = 512;
  const std::vector<float> input(4 * 256 * 256, 1.0f), dy(4 * 256 * 512, 1.0f);
  std::vector<float> dk = nans(9 * 256 * 512);
  EXPECT_FALSE(detail::conv_winograd_kernel_grad(g, input.data(), dy.data(), dk.data()));
  EXPECT_TRUE(std::isnan(dk[0]));
  g.out_channels = 256;  // 2.4M floats: taken
  std::vector<float> dk_taken = nans(9 * 256 * 256);
  EXPECT_TRUE(detail::conv_winograd_kernel_grad(g, input.data(), dy.data(), dk_taken.data()));
}

TEST(WinogradConv, ConvForwardTakesItWhereItFits) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(74);
  const ConvGeometry g = random_geometry(rng);
  const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
  const std::vector<float> kernel = rng.floats(9 * g.in_channels * g.out_channels);
  const std::vector<float> bias = rng.floats(g.out_channels);
  std::vector<float> out = nans(g.batch * volume(g.output) * g.out_channels);
  conv_forward(KernelPath::kFast, g, input.data(), kernel.data(), bias.data(), out.data(), true);
  EXPECT_EQ(out, winograd(g, input, kernel, false, bias.data(), true)) << test::describe(g);
}

TEST(WinogradConv, ConvGradientsTakeItWhereItFits) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(77);
  ConvGeometry g = random_geometry(rng);
  g.pad_before = {0, 1, 1};  // 'same'
  g.output = g.input;
  g.batch = images_for_64_tiles(g.output);
  const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
  const std::vector<float> kernel = rng.floats(9 * g.in_channels * g.out_channels);
  const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);

  std::vector<float> dx = nans(input.size());
  conv_backward_input(KernelPath::kFast, g, dy.data(), kernel.data(), dx.data());
  ConvGeometry dual = g;
  std::swap(dual.in_channels, dual.out_channels);  // same spatial sizes, pad 2 - 1
  EXPECT_EQ(dx, winograd(dual, dy, kernel, true, nullptr, false)) << test::describe(g);

  std::vector<float> dk = nans(kernel.size()), bias_grad = nans(g.out_channels);
  conv_backward_kernel(KernelPath::kFast, g, input.data(), dy.data(), dk.data(), bias_grad.data());
  EXPECT_EQ(dk, winograd_kernel_grad(g, input, dy)) << test::describe(g);
  std::vector<float> expected_bias(g.out_channels, 0.0f);
  for (Dim p = 0; p < g.batch * volume(g.output); ++p)
    for (Dim f = 0; f < g.out_channels; ++f) expected_bias[f] += dy[p * g.out_channels + f];
  for (Dim f = 0; f < g.out_channels; ++f)
    EXPECT_NEAR(bias_grad[f], expected_bias[f], 1e-3) << "filter " << f;
}

#ifdef STRIDE_X86_KERNELS
// The AVX-512 build of the kernels does each element's arithmetic as the
// AVX2 build does (only the vectors are wider): both give the same bits,
// so the reference comparisons above, made with whichever build the CPU
// picks, hold for both.
TEST(WinogradConv, Avx512GivesTheSameBitsAsAvx2) {
  if (!detail::cpu_has_avx512()) GTEST_SKIP() << "no AVX-512 on this CPU";
  test::Rng rng(78);
  for (int trial = 0; trial < 8; ++trial) {
    ConvGeometry g = random_geometry(rng);
    g.in_channels = 16 * rng.in(1, 4);  // 16..64: AVX-512 takes multiples of 16
    g.out_channels = 16 * rng.in(1, 4);
    const bool relu = trial % 2 == 1, flip = trial % 4 >= 2;
    ConvGeometry run = g;  // with `flip`, a same-sized convolution read as a gradient's
    if (flip) std::swap(run.in_channels, run.out_channels);
    const Dim channels = std::max(g.in_channels, g.out_channels);  // enough for both
    const std::vector<float> input = rng.floats(g.batch * volume(g.input) * channels);
    const std::vector<float> kernel = rng.floats(9 * g.in_channels * g.out_channels);
    const std::vector<float> bias = rng.floats(channels);
    const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
    const Dim out_size = g.batch * volume(g.output) * run.out_channels;
    std::vector<float> wide = nans(out_size), narrow = nans(out_size);
    ASSERT_TRUE(detail::conv_winograd_avx512(run, input.data(), kernel.data(), flip,
                                             relu ? bias.data() : nullptr, relu, wide.data()))
        << test::describe(run);
    ASSERT_TRUE(detail::conv_winograd_avx2(run, input.data(), kernel.data(), flip,
                                           relu ? bias.data() : nullptr, relu, narrow.data()));
    EXPECT_EQ(wide, narrow) << "forward, trial " << trial << ": " << test::describe(run);

    std::vector<float> dk_wide = nans(kernel.size()), dk_narrow = nans(kernel.size());
    ASSERT_TRUE(
        detail::conv_winograd_kernel_grad_avx512(g, input.data(), dy.data(), dk_wide.data()));
    ASSERT_TRUE(
        detail::conv_winograd_kernel_grad_avx2(g, input.data(), dy.data(), dk_narrow.data()));
    EXPECT_EQ(dk_wide, dk_narrow) << "kernel gradient, trial " << trial << ": "
                                  << test::describe(g);
  }
}

TEST(WinogradConv, Avx512DeclinesChannelsThatAreNotMultiplesOf16) {
  if (!detail::cpu_has_avx512()) GTEST_SKIP() << "no AVX-512 on this CPU";
  ConvGeometry g;
  g.batch = 8;
  g.input = g.output = {1, 16, 16};
  g.kernel = {1, 3, 3};
  g.pad_before = {0, 1, 1};
  g.in_channels = 24;  // AVX2 takes it; the dispatch falls back to that
  g.out_channels = 16;
  const std::vector<float> input(8 * 256 * 24, 1.0f), kernel(9 * 24 * 16, 1.0f),
      dy(8 * 256 * 16, 1.0f);
  std::vector<float> out = nans(8 * 256 * 16), dk = nans(kernel.size());
  EXPECT_FALSE(detail::conv_winograd_avx512(g, input.data(), kernel.data(), false, nullptr, false,
                                            out.data()));
  EXPECT_FALSE(detail::conv_winograd_kernel_grad_avx512(g, input.data(), dy.data(), dk.data()));
  EXPECT_TRUE(std::isnan(out[0]) && std::isnan(dk[0]));
  EXPECT_TRUE(
      detail::conv_winograd(g, input.data(), kernel.data(), false, nullptr, false, out.data()));
  EXPECT_FLOAT_EQ(out[(5 * 16 + 5) * 16], 9.0f * 24.0f);  // an inner pixel: 9 taps x 24 ones
}
#endif

}  // namespace
}  // namespace stride::kernels
