// max_pool_forward_taps / max_pool_backward_taps: the recorded taps by
// hand, then both against pool_forward and the reference pool_backward on
// random geometries (overlapping, padded, 1-3 spatial axes, channel counts
// around the SSE blocks), with ties and NaNs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <vector>

#include "kernels/backward_test_util.hpp"
#include "kernels/kernel_test_util.hpp"
#include "kernels/pool.hpp"

namespace stride::kernels {
namespace {

using test::agree;
using test::nans;
using test::volume;

struct TapsRun {
  std::vector<float> output;
  std::vector<std::uint8_t> taps;
  std::vector<float> input_grad;
};

TapsRun run_taps(const PoolGeometry& g, const std::vector<float>& input,
                 const std::vector<float>& output_grad) {
  const Dim outputs = g.batch * volume(g.output) * g.channels;
  TapsRun run{nans(outputs), std::vector<std::uint8_t>(outputs, 255),
              nans(g.batch * volume(g.input) * g.channels)};
  max_pool_forward_taps(g, input.data(), run.output.data(), run.taps.data());
  max_pool_backward_taps(g, run.taps.data(), output_grad.data(), run.input_grad.data());
  return run;
}

// 1D, 2 channels, window 3 stride 2 over 5 pixels, padding 1 before:
// windows {pad, 0, 1}, {1, 2, 3}, {3, 4, pad}. Taps count the padding.
TEST(MaxPoolTaps, RecordsTheWinnersIndexInTheFullWindow) {
  PoolGeometry g;
  g.channels = 2;
  g.input = {1, 1, 5};
  g.output = {1, 1, 3};
  g.window = {1, 1, 3};
  g.strides = {1, 1, 2};
  g.pad_before = {0, 0, 1};
  // channel 0: 5 1 7 7 2 (tie at pixels 2 and 3); channel 1: NaN everywhere
  // but pixel 4.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x{5, nan, 1, nan, 7, nan, 7, nan, 2, 9};
  const TapsRun run = run_taps(g, x, {10, 20, 30, 40, 50, 60});
  EXPECT_EQ(run.output[0], 5.0f);  // window 0: pixel 0 is tap 1
  EXPECT_EQ(run.taps[0], 1);
  EXPECT_EQ(run.output[2], 7.0f);  // window 1: the first 7 (pixel 2) is tap 1
  EXPECT_EQ(run.taps[2], 1);
  EXPECT_EQ(run.output[4], 7.0f);  // window 2: pixel 3 is tap 0
  EXPECT_EQ(run.taps[4], 0);
  // Channel 1: NaN never wins, so windows 0 and 1 keep their first real
  // element (taps 1 and 0) with -inf; window 2 takes pixel 4's 9.
  EXPECT_EQ(run.output[1], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(run.taps[1], 1);
  EXPECT_EQ(run.taps[3], 0);
  EXPECT_EQ(run.output[5], 9.0f);
  EXPECT_EQ(run.taps[5], 1);
  // Gradients: channel 0's pixel 0 <- 10, pixel 2 <- 30, pixel 3 <- 50;
  // channel 1's pixel 0 <- 20, pixel 1 <- 40, pixel 4 <- 60.
  EXPECT_EQ(run.input_grad, (std::vector<float>{10, 20, 0, 40, 30, 0, 50, 0, 0, 60}));
}

TEST(MaxPoolTaps, FitsWindowsOfAtMost256Elements) {
  PoolGeometry g;
  g.window = {1, 16, 16};
  EXPECT_TRUE(max_pool_taps_fit(g));
  g.window = {1, 16, 17};
  EXPECT_FALSE(max_pool_taps_fit(g));
}

void expect_taps_agree(std::uint32_t seed, int trials, bool ties, bool disjoint) {
  test::Rng rng(seed);
  constexpr Dim kChannels[] = {1, 2, 3, 4, 5, 16, 23, 36};
  for (int trial = 0; trial < trials; ++trial) {
    PoolGeometry g = test::pool_geometry(test::random_conv_geometry(rng, /*dilated=*/false),
                                         kChannels[rng.in(0, std::size(kChannels) - 1)]);
    if (disjoint) {  // stride = window from the first pixel, an unread tail or not
      for (int axis = 0; axis < 3; ++axis) {
        g.strides[axis] = g.window[axis];
        g.pad_before[axis] = 0;
        g.output[axis] = std::max<Dim>(1, g.input[axis] / g.window[axis]);
        g.input[axis] = std::max(g.input[axis], g.window[axis]);
      }
    }
    std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.channels);
    if (ties)
      for (float& x : input) x = float(rng.in(-1, 1));
    const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.channels);
    const TapsRun run = run_taps(g, input, dy);
    std::vector<float> y = nans(run.output.size()), dx = nans(run.input_grad.size());
    pool_forward(KernelPath::kFast, PoolKind::kMax, g, input.data(), y.data());
    pool_backward(KernelPath::kReference, PoolKind::kMax, g, input.data(), dy.data(), dx.data());
    const std::string where =
        "trial " + std::to_string(trial) + ": " + test::spatial_text(g.input) + "x" +
        std::to_string(g.channels) + ", window " + test::spatial_text(g.window) + ", strides " +
        test::spatial_text(g.strides) + ", pad_before " + test::spatial_text(g.pad_before);
    EXPECT_EQ(run.output, y) << where;
    EXPECT_TRUE(agree(run.input_grad, dx)) << where;
  }
}

TEST(MaxPoolTaps, AgreeWithPoolingOnRandomConfigurations) {
  expect_taps_agree(81, 120, false, false);
}

TEST(MaxPoolTaps, AgreeWithPoolingOnTies) {
  expect_taps_agree(82, 60, true, false);
}

// Disjoint windows store each pixel's gradient once and zero only the
// unread tail; dx starts as NaN, so a pixel they missed shows.
TEST(MaxPoolTaps, AgreeWithPoolingWhereWindowsAreDisjoint) {
  expect_taps_agree(83, 80, false, true);
  expect_taps_agree(84, 40, true, true);
}

// relu_max_pool_backward: the pooling's backward of recorded taps and relu's
// backward in one pass, against the two passes one after the other on
// random 2D and 1D disjoint poolings of relu(z): dz bit for bit (both are
// the pooled gradient times 1 or 0 at a winner, 0 elsewhere, NaN-filled dz
// shows a position missed), the bias sums to rounding. Ties (z in -1, 0, 1)
// put relu's zeros in many windows.
TEST(MaxPoolTaps, ReluMaxPoolBackwardIsTheTwoPassesInOne) {
  test::Rng rng(85);
  constexpr Dim kChannels[] = {1, 3, 8, 16, 23, 32, 64};
  int taken = 0;
  for (int trial = 0; trial < 80; ++trial) {
    PoolGeometry g = test::pool_geometry(test::random_conv_geometry(rng, /*dilated=*/false),
                                         kChannels[rng.in(0, std::size(kChannels) - 1)]);
    g.input[0] = g.output[0] = g.window[0] = g.strides[0] = 1;  // 2D or 1D
    g.pad_before[0] = 0;
    for (int axis = 1; axis < 3; ++axis) {
      g.strides[axis] = g.window[axis];
      g.pad_before[axis] = 0;
      g.input[axis] = std::max(g.input[axis], g.window[axis]);
      g.output[axis] = g.input[axis] / g.window[axis];
    }
    std::vector<float> z = rng.floats(g.batch * volume(g.input) * g.channels);
    if (trial % 3 == 0)
      for (float& x : z) x = float(rng.in(-1, 1));
    std::vector<float> relu_z = z;
    for (float& x : relu_z) x = std::max(x, 0.0f);
    const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.channels);
    const TapsRun run = run_taps(g, relu_z, dy);
    std::vector<float> expected = run.input_grad, expected_bias(g.channels, 0.0f);
    for (Dim i = 0; i < Dim(expected.size()); ++i) {
      expected[i] *= relu_z[i] > 0.0f ? 1.0f : 0.0f;
      expected_bias[i % g.channels] += expected[i];
    }
    std::vector<float> dz = nans(expected.size()), bias = nans(g.channels);
    ASSERT_TRUE(relu_max_pool_backward(g, run.taps.data(), run.output.data(), dy.data(), dz.data(),
                                       bias.data()))
        << "trial " << trial;
    ++taken;
    for (Dim i = 0; i < Dim(dz.size()); ++i)
      ASSERT_EQ(std::signbit(dz[i]), std::signbit(expected[i])) << "trial " << trial << " at " << i;
    EXPECT_EQ(dz, expected) << "trial " << trial;
    for (Dim c = 0; c < g.channels; ++c)
      EXPECT_NEAR(bias[c], expected_bias[c], 1e-4f * (1.0f + std::fabs(expected_bias[c])))
          << "trial " << trial << ", channel " << c;
  }
  EXPECT_EQ(taken, 80);
  PoolGeometry overlapping;  // stride 1 under a 2x2 window: declined, nothing written
  overlapping.channels = 1;
  overlapping.input = {1, 3, 3};
  overlapping.output = {1, 2, 2};
  overlapping.window = {1, 2, 2};
  std::vector<float> pooled(4, 1.0f), grad(4, 1.0f), dz = nans(9);
  const std::vector<std::uint8_t> taps(4, 0);
  EXPECT_FALSE(relu_max_pool_backward(overlapping, taps.data(), pooled.data(), grad.data(),
                                      dz.data(), nullptr));
  EXPECT_TRUE(std::isnan(dz[0]));
}

}  // namespace
}  // namespace stride::kernels
