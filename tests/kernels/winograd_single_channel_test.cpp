// Winograd F(2x2, 3x3) for single-channel first layers
// (winograd_single_channel.hpp), reached through detail::conv_winograd:
// hand-worked cases, the reference loops on random geometries (odd and even
// sizes, any padding, lines of several chunks), thread counts, AVX-512
// against AVX2, conv_forward's use of it and the geometries it declines.
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

// The transforms halve and add (G, B and A hold 0, +-1 and +-1/2): rounding
// close to a direct sum's; measured under 2x the agree_to_rounding bound,
// allowed 4x.
constexpr double kRounding = 4.0;

bool available() {
  return detail::cpu_has_avx2_fma();
}

// One channel, 3x3, stride 1: `height` x `width` images, pad_before (top,
// left) and the output as large as that padding and `pad_after` allow.
ConvGeometry first_layer(Dim batch, Dim height, Dim width, Dim filters, Dim pad_top, Dim pad_left,
                         Dim pad_bottom, Dim pad_right) {
  ConvGeometry g;
  g.batch = batch;
  g.input = {1, height, width};
  g.kernel = {1, 3, 3};
  g.pad_before = {0, pad_top, pad_left};
  g.output = {1, height + pad_top + pad_bottom - 2, width + pad_left + pad_right - 2};
  g.out_channels = filters;
  return g;
}

// The output, written into a buffer with a pixel's worth of NaNs after it,
// which must stay as they are.
std::vector<float> winograd(const ConvGeometry& g, const std::vector<float>& input,
                            const std::vector<float>& kernel, const float* bias, bool relu) {
  const Dim size = g.batch * volume(g.output) * g.out_channels;
  std::vector<float> out = nans(size + g.out_channels);
  EXPECT_TRUE(detail::conv_winograd(g, input.data(), kernel.data(), false, bias, relu, out.data()))
      << "declined " << test::describe(g);
  for (Dim i = size; i < Dim(out.size()); ++i)
    EXPECT_TRUE(std::isnan(out[i])) << "wrote past the output: " << test::describe(g);
  out.resize(size);
  return out;
}

TEST(WinogradSingleChannel, OnesCountTheTapsInsideOnOddSizes) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  // 'same' on 5x7 images (the last tile row and column half outside): each
  // output is the number of taps inside the image + the bias 0.25.
  const ConvGeometry g = first_layer(2, 5, 7, 16, 1, 1, 1, 1);
  const std::vector<float> input(2 * 35, 1.0f), kernel(9 * 16, 1.0f), bias(16, 0.25f);
  const std::vector<float> out = winograd(g, input, kernel, bias.data(), false);
  for (Dim b = 0; b < 2; ++b)
    for (Dim y = 0; y < 5; ++y)
      for (Dim x = 0; x < 7; ++x) {
        const int rows = (y == 0 || y == 4) ? 2 : 3, cols = (x == 0 || x == 6) ? 2 : 3;
        for (Dim f = 0; f < 16; ++f)
          ASSERT_FLOAT_EQ(out[((b * 5 + y) * 7 + x) * 16 + f], float(rows * cols) + 0.25f)
              << "image " << b << " at (" << y << ", " << x << "), filter " << f;
      }
}

TEST(WinogradSingleChannel, AnImpulseGivesTheKernelBackwards) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  // Valid 6x6 -> 4x4, one 1 at input (3, 2): output (3 - kh, 2 - kw) sees
  // it through tap (kh, kw), so it holds K[kh][kw][f]; the rest is 0.
  const ConvGeometry g = first_layer(1, 6, 6, 32, 0, 0, 0, 0);
  std::vector<float> input(36, 0.0f), kernel(9 * 32);
  input[3 * 6 + 2] = 1.0f;
  for (Dim i = 0; i < Dim(kernel.size()); ++i) kernel[i] = float(i % 29) * 0.125f - 1.5f;
  const std::vector<float> out = winograd(g, input, kernel, nullptr, false);
  for (Dim y = 0; y < 4; ++y)
    for (Dim x = 0; x < 4; ++x)
      for (Dim f = 0; f < 32; ++f) {
        const Dim kh = 3 - y, kw = 2 - x;
        const bool hit = kh >= 0 && kh < 3 && kw >= 0 && kw < 3;
        ASSERT_FLOAT_EQ(out[(y * 4 + x) * 32 + f], hit ? kernel[(kh * 3 + kw) * 32 + f] : 0.0f)
            << "at (" << y << ", " << x << "), filter " << f;
      }
}

TEST(WinogradSingleChannel, AgreesWithReferenceToItsRounding) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(91);
  for (int trial = 0; trial < 40; ++trial) {
    // Widths to 70: lines of 1 to 3 chunks of 16 tiles.
    const Dim height = rng.in(1, 20), width = trial % 5 == 0 ? rng.in(33, 70) : rng.in(1, 20);
    const Dim pad_top = rng.in(0, 2), pad_left = rng.in(0, 2);
    const Dim pad_bottom = std::max<Dim>(rng.in(0, 2), 3 - height - pad_top);
    const Dim pad_right = std::max<Dim>(rng.in(0, 2), 3 - width - pad_left);
    const ConvGeometry g = first_layer(rng.in(1, 3), height, width, 16 * rng.in(1, 2), pad_top,
                                       pad_left, pad_bottom, pad_right);
    const std::vector<float> input = rng.floats(g.batch * volume(g.input));
    const std::vector<float> kernel = rng.floats(9 * g.out_channels);
    const std::vector<float> bias = rng.floats(g.out_channels);
    const bool relu = rng.coin();
    const float* b = rng.coin() ? bias.data() : nullptr;
    std::vector<float> expected = reference_forward(g, input, kernel, b);
    if (relu)
      for (float& v : expected) v = std::max(v, 0.0f);
    std::vector<float> magnitude = reference_forward(g, absolute(input), absolute(kernel), nullptr);
    if (b)
      for (Dim i = 0; i < Dim(magnitude.size()); ++i)
        magnitude[i] += std::fabs(bias[i % g.out_channels]);
    EXPECT_TRUE(test::agree_to_rounding(winograd(g, input, kernel, b, relu), expected, magnitude,
                                        kRounding))
        << "trial " << trial << ": " << test::describe(g) << (b ? ", bias" : "")
        << (relu ? ", relu" : "");
  }
}

TEST(WinogradSingleChannel, SameBitsForEveryThreadCount) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(92);
  const ConvGeometry g = first_layer(5, 28, 27, 32, 0, 1, 0, 1);
  const std::vector<float> input = rng.floats(g.batch * volume(g.input));
  const std::vector<float> kernel = rng.floats(9 * 32), bias = rng.floats(32);
  const auto results = test::results_for_thread_counts(
      [&] { return winograd(g, input, kernel, bias.data(), false); });
  EXPECT_EQ(results[0], results[1]) << test::describe(g);
  EXPECT_EQ(results[0], results[2]) << test::describe(g);
}

TEST(WinogradSingleChannel, ConvForwardTakesIt) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(93);
  const ConvGeometry g = first_layer(3, 28, 28, 32, 0, 0, 0, 0);  // bench case (a)'s layer
  const std::vector<float> input = rng.floats(g.batch * volume(g.input));
  const std::vector<float> kernel = rng.floats(9 * 32), bias = rng.floats(32);
  std::vector<float> out = nans(g.batch * volume(g.output) * 32);
  conv_forward(KernelPath::kFast, g, input.data(), kernel.data(), bias.data(), out.data(), true);
  EXPECT_EQ(out, winograd(g, input, kernel, bias.data(), true));
}

TEST(WinogradSingleChannel, DeclinesOtherFirstLayersWritingNothing) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  const ConvGeometry fits = first_layer(2, 12, 12, 16, 1, 1, 1, 1);
  const auto declined = test::changed_geometries(
      fits, {{"stride 2",
              [](ConvGeometry& g) {
                g.strides = {1, 2, 2}, g.output = {1, 6, 6};
              }},
             {"dilation 2",
              [](ConvGeometry& g) {
                g.dilation = {1, 2, 2}, g.output = {1, 10, 10};
              }},
             {"5x5 kernel",
              [](ConvGeometry& g) {
                g.kernel = {1, 5, 5}, g.output = {1, 10, 10};
              }},
             {"3D", [](ConvGeometry& g) { g.input[0] = g.output[0] = 3; }},
             {"2 input channels", [](ConvGeometry& g) { g.in_channels = 2; }},
             {"8 filters", [](ConvGeometry& g) { g.out_channels = 8; }},
             {"24 filters", [](ConvGeometry& g) { g.out_channels = 24; }},
             {"144 filters", [](ConvGeometry& g) { g.out_channels = 144; }}});
  for (const auto& [what, g] : declined)
    EXPECT_TRUE(test::declines_writing_nothing(g, [&g = g](const float* x, const float* k,
                                                           float* y) {
      return detail::conv_winograd(g, x, k, false, nullptr, false, y);
    })) << what;
}

#ifdef STRIDE_X86_KERNELS
TEST(WinogradSingleChannel, Avx512TakesUpTo128FiltersAvx2UpTo32) {
  if (!detail::cpu_has_avx512()) GTEST_SKIP() << "no AVX-512 on this CPU";
  test::Rng rng(95);
  for (Dim filters : {48, 64, 128}) {
    const ConvGeometry g = first_layer(2, 9, 10, filters, 1, 1, 1, 1);
    const std::vector<float> input = rng.floats(g.batch * volume(g.input));
    const std::vector<float> kernel = rng.floats(9 * filters);
    std::vector<float> out = nans(g.batch * volume(g.output) * filters);
    EXPECT_FALSE(detail::conv_winograd_avx2(g, input.data(), kernel.data(), false, nullptr, false,
                                            out.data()))
        << filters << " filters";
    EXPECT_TRUE(std::isnan(out[0]));
    ASSERT_TRUE(detail::conv_winograd_avx512(g, input.data(), kernel.data(), false, nullptr, false,
                                             out.data()))
        << filters << " filters";
    EXPECT_TRUE(test::agree_to_rounding(
        out, reference_forward(g, input, kernel, nullptr),
        reference_forward(g, absolute(input), absolute(kernel), nullptr), kRounding))
        << filters << " filters";
  }
}

TEST(WinogradSingleChannel, Avx512GivesTheSameBitsAsAvx2) {
  if (!detail::cpu_has_avx512()) GTEST_SKIP() << "no AVX-512 on this CPU";
  test::Rng rng(94);
  for (int trial = 0; trial < 8; ++trial) {
    const Dim pad = rng.in(0, 1);
    const ConvGeometry g = first_layer(rng.in(1, 3), rng.in(3, 30), rng.in(3, 50),
                                       16 * rng.in(1, 2), pad, pad, pad, pad);
    const std::vector<float> input = rng.floats(g.batch * volume(g.input));
    const std::vector<float> kernel = rng.floats(9 * g.out_channels);
    const std::vector<float> bias = rng.floats(g.out_channels);
    const bool relu = trial % 2 == 1;
    const Dim out_size = g.batch * volume(g.output) * g.out_channels;
    std::vector<float> wide = nans(out_size), narrow = nans(out_size);
    ASSERT_TRUE(detail::conv_winograd_avx512(g, input.data(), kernel.data(), false, bias.data(),
                                             relu, wide.data()))
        << test::describe(g);
    ASSERT_TRUE(detail::conv_winograd_avx2(g, input.data(), kernel.data(), false, bias.data(), relu,
                                           narrow.data()));
    EXPECT_EQ(wide, narrow) << "trial " << trial << ": " << test::describe(g);
  }
}
#endif

}  // namespace
}  // namespace stride::kernels
