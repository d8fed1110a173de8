// kernels::conv_max_pool_forward (conv_max_pool_avx2.cpp): a convolution,
// relu optional, then max pooling in one pass, against the reference
// convolution, relu and pooling run one after the other: a hand-worked case,
// random geometries, NaN windows, thread counts, and the pairs it declines.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "kernels/activation.hpp"
#include "kernels/conv.hpp"
#include "kernels/gemm_micro.hpp"
#include "kernels/internal.hpp"
#include "kernels/kernel_test_util.hpp"
#include "kernels/pool.hpp"

namespace stride::kernels {
namespace {

using test::volume;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Pair {
  ConvGeometry conv;
  PoolGeometry pool;
};

// Pools conv's output with windows w x w at stride s, unpadded.
Pair with_pool(const ConvGeometry& conv, Dim w_h, Dim w_w, Dim s_h, Dim s_w) {
  Pair p{conv, {}};
  p.pool.batch = conv.batch;
  p.pool.channels = conv.out_channels;
  p.pool.input = conv.output;
  p.pool.window = {1, w_h, w_w};
  p.pool.strides = {1, s_h, s_w};
  p.pool.output = {1, (conv.output[1] - w_h) / s_h + 1, (conv.output[2] - w_w) / s_w + 1};
  return p;
}

Dim output_size(const Pair& p) {
  return p.pool.batch * volume(p.pool.output) * p.pool.channels;
}

std::vector<float> fused(const Pair& p, const std::vector<float>& input,
                         const std::vector<float>& kernel, const float* bias, bool relu) {
  std::vector<float> out(output_size(p), kNaN);
  EXPECT_TRUE(
      conv_max_pool_forward(p.conv, p.pool, input.data(), kernel.data(), bias, relu, out.data()))
      << "declined " << test::describe(p.conv);
  return out;
}

// The reference convolution, relu and max pooling, one after the other.
std::vector<float> separate(const Pair& p, const std::vector<float>& input,
                            const std::vector<float>& kernel, const float* bias, bool relu) {
  std::vector<float> conv(p.conv.batch * volume(p.conv.output) * p.conv.out_channels);
  conv_forward(KernelPath::kReference, p.conv, input.data(), kernel.data(), bias, conv.data());
  if (relu)
    apply_activation(KernelPath::kReference, Activation::kRelu, conv.data(), Dim(conv.size()),
                     p.conv.out_channels);
  std::vector<float> out(output_size(p), kNaN);
  pool_forward(KernelPath::kReference, PoolKind::kMax, p.pool, conv.data(), out.data());
  return out;
}

bool available() {
  ConvGeometry conv;
  conv.out_channels = 8;
  const Pair p = with_pool(conv, 1, 1, 1, 1);
  std::vector<float> x(1, 1.0f), k(8, 1.0f), y(8);
  return conv_max_pool_forward(p.conv, p.pool, x.data(), k.data(), nullptr, false, y.data());
}

// A 2D convolution with 1-3 input channels, kernels up to 3x3, strides and
// dilation 1-2, 'valid' or 'same', 8-40 filters; pooled by windows of 1-4
// per axis at strides 1-3.
Pair random_pair(test::Rng& rng) {
  ConvGeometry g;
  for (int axis = 1; axis < 3; ++axis) {
    const Dim in = rng.in(4, 12), k = rng.in(1, 3), s = rng.in(1, 2), d = rng.in(1, 2);
    const bool same = rng.coin();
    g.input[axis] = in;
    g.kernel[axis] = k;
    g.strides[axis] = s;
    g.dilation[axis] = d;
    const Dim k_eff = (k - 1) * d + 1;
    g.output[axis] = same ? (in + s - 1) / s : (in - k_eff) / s + 1;
    const Dim total_pad = std::max<Dim>((g.output[axis] - 1) * s + k_eff - in, 0);
    g.pad_before[axis] = same ? total_pad / 2 : 0;
  }
  g.in_channels = rng.in(1, 3);
  g.out_channels = 8 * rng.in(1, 5);
  g.batch = rng.in(1, 3);
  const Dim w_h = rng.in(1, std::min<Dim>(4, g.output[1]));
  const Dim w_w = rng.in(1, std::min<Dim>(4, g.output[2]));
  return with_pool(g, w_h, w_w, rng.in(1, 3), rng.in(1, 3));
}

TEST(ConvMaxPool, HandWorkedSums) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  // One 4x4 image of 0..15, a 2x2 kernel of ones (valid: 3x3 sums of four
  // neighbours), 8 filters scaled 1..8, bias -30, relu, 2x2 pooling at
  // stride 1: the sums are 10 14 18 / 26 30 34 / 42 46 50, each window's
  // largest is its bottom-right, so filter f gives relu(f*(30, 34; 46, 50) - 30).
  ConvGeometry g;
  g.input = {1, 4, 4};
  g.kernel = {1, 2, 2};
  g.output = {1, 3, 3};
  g.out_channels = 8;
  const Pair p = with_pool(g, 2, 2, 1, 1);
  std::vector<float> x(16), k(4 * 8), bias(8, -30.0f);
  for (int i = 0; i < 16; ++i) x[i] = float(i);
  for (int tap = 0; tap < 4; ++tap)
    for (int f = 0; f < 8; ++f) k[tap * 8 + f] = float(f + 1);
  const std::vector<float> out = fused(p, x, k, bias.data(), true);
  const float sums[4] = {30, 34, 46, 50};
  for (int o = 0; o < 4; ++o)
    for (int f = 0; f < 8; ++f)
      EXPECT_EQ(out[o * 8 + f], std::max(0.0f, float(f + 1) * sums[o] - 30.0f))
          << "output " << o << ", filter " << f;
}

TEST(ConvMaxPool, AgreesWithTheSeparateReferencePasses) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(81);
  for (int trial = 0; trial < 120; ++trial) {
    const Pair p = random_pair(rng);
    const std::vector<float> input =
        rng.floats(p.conv.batch * volume(p.conv.input) * p.conv.in_channels);
    const std::vector<float> kernel =
        rng.floats(volume(p.conv.kernel) * p.conv.in_channels * p.conv.out_channels);
    const std::vector<float> bias = rng.floats(p.conv.out_channels);
    const float* b = rng.coin() ? bias.data() : nullptr;
    const bool relu = rng.coin();
    EXPECT_TRUE(test::agree(fused(p, input, kernel, b, relu), separate(p, input, kernel, b, relu)))
        << "trial " << trial << ": " << test::describe(p.conv) << ", pool " << p.pool.window[1]
        << "x" << p.pool.window[2] << " stride " << p.pool.strides[1] << "x" << p.pool.strides[2]
        << (b ? ", bias" : "") << (relu ? ", relu" : "");
  }
}

TEST(ConvMaxPool, NaNsAreSkippedAsThePoolingSkipsThem) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  // A 1x1 convolution of 6x6 images, pooled 2x2: a window with one NaN
  // pixel pools its other three; a window of four NaNs gives -inf after the
  // bias and relu, as relu (NaN stays NaN) then pooling (NaN never wins) do.
  ConvGeometry g;
  g.input = g.output = {1, 6, 6};
  g.out_channels = 8;
  const Pair p = with_pool(g, 2, 2, 2, 2);
  test::Rng rng(82);
  std::vector<float> x = rng.floats(36);
  x[0] = kNaN;                                                   // window (0, 0): one NaN
  for (Dim i : {Dim(4), Dim(5), Dim(10), Dim(11)}) x[i] = kNaN;  // window (0, 2): all NaN
  const std::vector<float> k = rng.floats(8), bias = rng.floats(8);
  for (bool relu : {false, true}) {
    const std::vector<float> got = fused(p, x, k, bias.data(), relu);
    const std::vector<float> want = separate(p, x, k, bias.data(), relu);
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (std::isinf(want[i])) {
        EXPECT_EQ(got[i], want[i]) << "element " << i << (relu ? ", relu" : "");
      } else {
        EXPECT_NEAR(got[i], want[i], 1e-5f) << "element " << i << (relu ? ", relu" : "");
      }
    }
    EXPECT_EQ(got[2 * 8], -std::numeric_limits<float>::infinity());  // the all-NaN window
  }
}

TEST(ConvMaxPool, SameBitsForEveryThreadCount) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(83);
  Pair p = random_pair(rng);
  p.conv.batch = p.pool.batch = 16;
  const std::vector<float> input = rng.floats(16 * volume(p.conv.input) * p.conv.in_channels);
  const std::vector<float> kernel =
      rng.floats(volume(p.conv.kernel) * p.conv.in_channels * p.conv.out_channels);
  const auto results =
      test::results_for_thread_counts([&] { return fused(p, input, kernel, nullptr, true); });
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(results[0], results[2]);
}

TEST(ConvMaxPool, DeclinesOtherPairsWritingNothing) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  ConvGeometry conv;
  conv.input = {1, 8, 8};
  conv.kernel = {1, 3, 3};
  conv.output = {1, 6, 6};
  conv.out_channels = 16;
  const Pair fits = with_pool(conv, 2, 2, 2, 2);
  std::vector<std::pair<std::string, Pair>> declined;
  const auto add = [&](std::string what, auto change) {
    Pair p = fits;
    change(p);
    declined.emplace_back(std::move(what), p);
  };
  add("12 filters", [](Pair& p) { p.conv.out_channels = p.pool.channels = 12; });
  add("2 groups", [](Pair& p) {
    p.conv.in_channels = 2;
    p.conv.groups = 2;
  });
  add("65 kernel rows", [](Pair& p) {
    p.conv.kernel = {1, 5, 13};  // 65 taps of one channel
    p.conv.input = {1, 10, 18};
  });
  add("a 5x4 window", [](Pair& p) { p = with_pool(p.conv, 5, 4, 1, 1); });
  add("padded pooling", [](Pair& p) { p.pool.pad_before = {0, 1, 0}; });
  add("windows past the output", [](Pair& p) { p.pool.output[2] += 1; });
  add("3D", [](Pair& p) {
    p.conv.input[0] = p.conv.output[0] = 2;
    p.pool.input[0] = p.pool.output[0] = 2;
  });
  for (const auto& [what, p] : declined) {
    const std::vector<float> input(p.conv.batch * volume(p.conv.input) * p.conv.in_channels, 1.0f);
    const std::vector<float> kernel(
        volume(p.conv.kernel) * (p.conv.in_channels / p.conv.groups) * p.conv.out_channels, 1.0f);
    std::vector<float> out(output_size(p) + 8, kNaN);
    EXPECT_FALSE(conv_max_pool_forward(p.conv, p.pool, input.data(), kernel.data(), nullptr, false,
                                       out.data()))
        << what;
    for (float v : out) ASSERT_TRUE(std::isnan(v)) << what << ": wrote an output";
  }
}

// Training's pass also writes each pooled value's winning tap.
TEST(ConvMaxPool, TapsHandWorked) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  // A 3x3 image (1 2 0 / 3 4 0 / 0 0 9), a 2x2 kernel of ones (valid: the
  // sums 10 6 / 7 13), one 2x2 window: tap 3 (13) wins. Odd filters have the
  // kernel negated (-10 -6 / -7 -13): tap 1 (-6) wins. With a bias of -20 and
  // relu every value is 0 and the first tap (0) keeps the window, as the
  // separate pooling keeps it.
  ConvGeometry g;
  g.input = {1, 3, 3};
  g.kernel = {1, 2, 2};
  g.output = {1, 2, 2};
  g.out_channels = 8;
  const Pair p = with_pool(g, 2, 2, 2, 2);
  const std::vector<float> x = {1, 2, 0, 3, 4, 0, 0, 0, 9};
  std::vector<float> k(4 * 8), minus_20(8, -20.0f);
  for (int tap = 0; tap < 4; ++tap)
    for (int f = 0; f < 8; ++f) k[tap * 8 + f] = f % 2 ? -1.0f : 1.0f;
  std::vector<float> out(8, kNaN);
  std::vector<std::uint8_t> taps(8, 99);
  ASSERT_TRUE(conv_max_pool_forward(p.conv, p.pool, x.data(), k.data(), nullptr, false, out.data(),
                                    taps.data()));
  for (int f = 0; f < 8; ++f) {
    EXPECT_EQ(out[f], f % 2 ? -6.0f : 13.0f) << "filter " << f;
    EXPECT_EQ(taps[f], f % 2 ? 1 : 3) << "filter " << f;
  }
  ASSERT_TRUE(conv_max_pool_forward(p.conv, p.pool, x.data(), k.data(), minus_20.data(), true,
                                    out.data(), taps.data()));
  for (int f = 0; f < 8; ++f) {
    EXPECT_EQ(out[f], 0.0f) << "filter " << f;
    EXPECT_EQ(taps[f], 0) << "filter " << f;
  }
}

TEST(ConvMaxPool, TapsPointAtTheLargestValueOfTheWindow) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  // Against the reference convolution (+ bias, relu) one pass at a time: the
  // pooled value is the window's largest to rounding, and the recorded tap's
  // own value is that largest too (to rounding: where two values are within
  // it, either may win).
  test::Rng rng(91);
  int checked = 0;
  for (int trial = 0; trial < 60; ++trial) {
    Pair p = random_pair(rng);
    p = with_pool(p.conv, p.pool.window[1], p.pool.window[2], p.pool.window[1],
                  p.pool.window[2]);                 // disjoint windows, as training's pass needs
    if (test::volume(p.conv.kernel) == 1) continue;  // 1x1: declined (tested below)
    const std::vector<float> input =
        rng.floats(p.conv.batch * volume(p.conv.input) * p.conv.in_channels);
    const std::vector<float> kernel =
        rng.floats(volume(p.conv.kernel) * p.conv.in_channels * p.conv.out_channels);
    const std::vector<float> bias = rng.floats(p.conv.out_channels);
    const bool relu = rng.coin();
    std::vector<float> conv(p.conv.batch * volume(p.conv.output) * p.conv.out_channels);
    conv_forward(KernelPath::kReference, p.conv, input.data(), kernel.data(), bias.data(),
                 conv.data());
    if (relu)
      for (float& v : conv) v = std::max(v, 0.0f);
    std::vector<float> out(output_size(p), kNaN);
    std::vector<std::uint8_t> taps(out.size(), 255);
    ASSERT_TRUE(conv_max_pool_forward(p.conv, p.pool, input.data(), kernel.data(), bias.data(),
                                      relu, out.data(), taps.data()))
        << test::describe(p.conv);
    const Dim f_count = p.conv.out_channels, ow = p.pool.output[2], iw = p.conv.output[2];
    for (Dim b = 0; b < p.pool.batch; ++b)
      for (Dim y = 0; y < p.pool.output[1]; ++y)
        for (Dim x = 0; x < ow; ++x)
          for (Dim f = 0; f < f_count; ++f) {
            const Dim o = ((b * p.pool.output[1] + y) * ow + x) * f_count + f;
            const auto at = [&](Dim wh, Dim ww) {
              const Dim h = y * p.pool.window[1] + wh, w = x * p.pool.window[2] + ww;
              return conv[((b * p.conv.output[1] + h) * iw + w) * f_count + f];
            };
            float largest = -std::numeric_limits<float>::infinity();
            for (Dim wh = 0; wh < p.pool.window[1]; ++wh)
              for (Dim ww = 0; ww < p.pool.window[2]; ++ww) largest = std::max(largest, at(wh, ww));
            ASSERT_LT(taps[o], p.pool.window[1] * p.pool.window[2]) << test::describe(p.conv);
            const float won = at(taps[o] / p.pool.window[2], taps[o] % p.pool.window[2]);
            const float tolerance = 1e-5f * (1.0f + std::fabs(largest));
            ASSERT_NEAR(out[o], largest, tolerance) << test::describe(p.conv) << " output " << o;
            ASSERT_NEAR(won, largest, tolerance) << test::describe(p.conv) << " output " << o;
            ++checked;
          }
  }
  EXPECT_GT(checked, 1000);
}

TEST(ConvMaxPool, TapsDeclinedWhereTheFusedBackwardWouldBe) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  ConvGeometry g;  // 6x6 -> 3x3 conv outputs, 8 filters
  g.input = {1, 5, 5};
  g.kernel = {1, 3, 3};
  g.output = {1, 3, 3};
  g.out_channels = 8;
  const std::vector<float> x(25, 1.0f), k(9 * 8, 1.0f);
  std::vector<float> out(4 * 8, kNaN);
  std::vector<std::uint8_t> taps(out.size(), 255);
  const Pair overlapping = with_pool(g, 2, 2, 1, 1);  // windows share pixels
  EXPECT_FALSE(conv_max_pool_forward(overlapping.conv, overlapping.pool, x.data(), k.data(),
                                     nullptr, true, out.data(), taps.data()));
  EXPECT_TRUE(std::isnan(out[0]) && taps[0] == 255);
  // Without taps (inference) the same pair is taken.
  EXPECT_TRUE(conv_max_pool_forward(overlapping.conv, overlapping.pool, x.data(), k.data(), nullptr,
                                    true, out.data()));
  ConvGeometry pointwise;
  pointwise.out_channels = 8;
  const Pair one = with_pool(pointwise, 1, 1, 1, 1);
  EXPECT_FALSE(conv_max_pool_forward(one.conv, one.pool, x.data(), k.data(), nullptr, true,
                                     out.data(), taps.data()));
}

#ifdef STRIDE_X86_KERNELS
// The AVX-512 build does each lane's arithmetic as the AVX2 build does: the
// same pooled values and taps, so the tests above, made with whichever build
// the CPU picks, hold for both.
TEST(ConvMaxPool, Avx512GivesTheSameBitsAsAvx2) {
  if (!detail::cpu_has_avx512()) GTEST_SKIP() << "no AVX-512 on this CPU";
  test::Rng rng(92);
  int compared = 0;
  for (int trial = 0; trial < 40; ++trial) {
    Pair p = random_pair(rng);
    p.conv.out_channels = p.pool.channels = 16 * rng.in(1, 3);  // AVX-512 takes multiples of 16
    const bool with_taps = trial % 2 == 1;
    if (with_taps) {
      if (test::volume(p.conv.kernel) == 1) continue;  // declined with taps
      p = with_pool(p.conv, p.pool.window[1], p.pool.window[2], p.pool.window[1], p.pool.window[2]);
    }
    const std::vector<float> input =
        rng.floats(p.conv.batch * volume(p.conv.input) * p.conv.in_channels);
    const std::vector<float> kernel =
        rng.floats(volume(p.conv.kernel) * p.conv.in_channels * p.conv.out_channels);
    const std::vector<float> bias = rng.floats(p.conv.out_channels);
    const bool relu = rng.coin();
    std::vector<float> wide(output_size(p), kNaN), narrow = wide;
    std::vector<std::uint8_t> wide_taps(wide.size(), 255), narrow_taps = wide_taps;
    ASSERT_TRUE(detail::conv_max_pool_avx512(p.conv, p.pool, input.data(), kernel.data(),
                                             bias.data(), relu, wide.data(),
                                             with_taps ? wide_taps.data() : nullptr))
        << test::describe(p.conv);
    ASSERT_TRUE(detail::conv_max_pool_avx2(p.conv, p.pool, input.data(), kernel.data(), bias.data(),
                                           relu, narrow.data(),
                                           with_taps ? narrow_taps.data() : nullptr));
    EXPECT_EQ(wide, narrow) << "trial " << trial << ": " << test::describe(p.conv);
    EXPECT_EQ(wide_taps, narrow_taps) << "trial " << trial << ": " << test::describe(p.conv);
    ++compared;
  }
  EXPECT_GT(compared, 30);
}
#endif

}  // namespace
}  // namespace stride::kernels
