// pool_backward: hand-worked routing (ties to the first element in scan
// order, never to padding, averages over the real count) on both paths, the
// reference against finite differences of the forward formula in double,
// then the fast path against the reference on random configurations.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "kernels/backward_test_util.hpp"
#include "kernels/kernel_test_util.hpp"
#include "kernels/pool.hpp"
#include "stride/error.hpp"

namespace stride::kernels {
namespace {

using test::agree;
using test::kBothPaths;
using test::nans;
using test::path_name;
using test::volume;

std::vector<float> input_grad(KernelPath path, PoolKind kind, const PoolGeometry& g,
                              const std::vector<float>& input,
                              const std::vector<float>& output_grad) {
  std::vector<float> dx = nans(g.batch * volume(g.input) * g.channels);
  pool_backward(path, kind, g, input.data(), output_grad.data(), dx.data());
  return dx;
}

PoolGeometry pool1d(Dim in, Dim out, Dim window, Dim stride) {
  PoolGeometry g;
  g.input = {1, 1, in};
  g.output = {1, 1, out};
  g.window = {1, 1, window};
  g.strides = {1, 1, stride};
  return g;
}

TEST(PoolBackwardKernel, MaxTieGoesToTheFirstElement) {
  // [3,3,1,2], pool 2, stride 1, valid: windows (3,3) -> the first 3 (index
  // 0), (3,1) -> index 1, (1,2) -> index 3. dY [1,10,100] -> [1, 10, 0, 100].
  const PoolGeometry g = pool1d(4, 3, 2, 1);
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(input_grad(path, PoolKind::kMax, g, {3, 3, 1, 2}, {1, 10, 100}),
              (std::vector<float>{1, 10, 0, 100}));
  }
}

TEST(PoolBackwardKernel, MaxTieScansDepthThenHeightThenWidth) {
  // One 2x2x2 window over a 2x2x2 input of ones with 5 at (d0, h1, w1) and
  // at (d1, h0, w0): depth is scanned first (outermost), so (d0, h1, w1),
  // flat index 3, wins over index 4.
  PoolGeometry g;
  g.input = g.window = {2, 2, 2};
  const std::vector<float> input{1, 1, 1, 5, 5, 1, 1, 1};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(input_grad(path, PoolKind::kMax, g, input, {7}),
              (std::vector<float>{0, 0, 0, 7, 0, 0, 0, 0}));
  }
}

TEST(PoolBackwardKernel, MaxNeverRoutesToThePadding) {
  // [-3,-1,-2], pool 2, stride 1, SAME (pad 1 after): windows (-3,-1) and
  // (-1,-2) pick index 1, the clipped window (-2) index 2 (a zero pad would
  // have won). dY [1,10,100] -> [0, 11, 100].
  const PoolGeometry g = pool1d(3, 3, 2, 1);
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(input_grad(path, PoolKind::kMax, g, {-3, -1, -2}, {1, 10, 100}),
              (std::vector<float>{0, 11, 100}));
  }
}

TEST(PoolBackwardKernel, AverageSharesOverTheRealCount) {
  // 3 pixels, pool 2, stride 1, SAME (pad 1 after): windows (0,1), (1,2) of
  // 2 real elements and (2) of 1. dY [2,4,8]: dx0 = 2/2 = 1,
  // dx1 = 2/2 + 4/2 = 3, dx2 = 4/2 + 8/1 = 10.
  const PoolGeometry g = pool1d(3, 3, 2, 1);
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(input_grad(path, PoolKind::kAverage, g, {5, 6, 7}, {2, 4, 8}),
              (std::vector<float>{1, 3, 10}));
  }
}

TEST(PoolBackwardKernel, StrideTwoLeavesTheUnreadPixelAtZero) {
  // [1,5,4,2,9], pool 2, stride 2, valid: windows (1,5) and (4,2); 9 is
  // unread. dY [2,6]: max -> [0, 2, 6, 0, 0]; average -> [1, 1, 3, 3, 0].
  const PoolGeometry g = pool1d(5, 2, 2, 2);
  const std::vector<float> input{1, 5, 4, 2, 9}, dy{2, 6};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(input_grad(path, PoolKind::kMax, g, input, dy), (std::vector<float>{0, 2, 6, 0, 0}));
    EXPECT_EQ(input_grad(path, PoolKind::kAverage, g, input, dy),
              (std::vector<float>{1, 1, 3, 3, 0}));
  }
}

TEST(PoolBackwardKernel, TwoChannelsRouteIndependently) {
  // Pixels (1, 20) and (2, 10), one window: channel 0's max is pixel 1,
  // channel 1's pixel 0. dY [3, 4] -> [0, 4, 3, 0].
  PoolGeometry g = pool1d(2, 1, 2, 1);
  g.channels = 2;
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(input_grad(path, PoolKind::kMax, g, {1, 20, 2, 10}, {3, 4}),
              (std::vector<float>{0, 4, 3, 0}));
  }
}

TEST(PoolBackwardKernel, EmptyBatchAndBadGeometry) {
  PoolGeometry g = pool1d(3, 2, 2, 1);
  g.batch = 0;
  for (KernelPath path : kBothPaths) {
    EXPECT_TRUE(input_grad(path, PoolKind::kMax, g, {}, {}).empty());
  }
  g.strides = {1, 0, 1};
  float x = 0;
  EXPECT_THROW(pool_backward(KernelPath::kFast, PoolKind::kMax, g, &x, &x, &x), Error);
}

// n distinct values spaced 2/n apart in [-1, 1), in random order, so a
// perturbation below 1/n never changes which element is a window's max.
std::vector<float> distinct_floats(test::Rng& rng, Dim n) {
  std::vector<float> v(n);
  for (Dim i = 0; i < n; ++i) v[i] = float(2 * i - n) / float(n);
  for (Dim i = n - 1; i > 0; --i) std::swap(v[i], v[rng.in(0, i)]);
  return v;
}

void expect_reference_matches_finite_differences(PoolKind kind, std::uint32_t seed) {
  test::Rng rng(seed);
  for (int trial = 0; trial < 60; ++trial) {
    const PoolGeometry g =
        test::pool_geometry(test::small_conv_geometry(rng, /*dilated=*/false), rng.in(1, 3));
    const Dim n = g.batch * volume(g.input) * g.channels;
    const std::vector<float> input =
        kind == PoolKind::kMax ? distinct_floats(rng, n) : rng.floats(n);
    const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.channels);
    std::vector<double> x = test::to_double(input);
    const auto loss = [&] { return test::pool_loss(kind, g, x, dy); };
    EXPECT_TRUE(test::matches_finite_differences(
        input_grad(KernelPath::kReference, kind, g, input, dy), x, loss, 0.25 / double(n), rng))
        << "trial " << trial << ": input " << test::spatial_text(g.input) << "x" << g.channels
        << ", window " << test::spatial_text(g.window) << ", strides "
        << test::spatial_text(g.strides) << ", pad_before " << test::spatial_text(g.pad_before);
  }
}

TEST(PoolBackwardKernel, MaxReferenceMatchesFiniteDifferences) {
  expect_reference_matches_finite_differences(PoolKind::kMax, 61);
}

TEST(PoolBackwardKernel, AverageReferenceMatchesFiniteDifferences) {
  expect_reference_matches_finite_differences(PoolKind::kAverage, 62);
}

// `ties`: inputs drawn from {-1, 0, 1}, so most max windows tie and both
// paths must pick the same element.
// Channel counts include the fast path's blocks of 16 and 4 held in
// registers, with and without a remainder.
void expect_fast_agrees(PoolKind kind, std::uint32_t seed, int trials, bool ties) {
  test::Rng rng(seed);
  constexpr Dim kChannels[] = {1, 2, 3, 4, 5, 16, 23, 36};
  for (int trial = 0; trial < trials; ++trial) {
    const PoolGeometry g = test::pool_geometry(test::random_conv_geometry(rng, /*dilated=*/false),
                                               kChannels[rng.in(0, std::size(kChannels) - 1)]);
    std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.channels);
    if (ties) {
      for (float& x : input) x = float(rng.in(-1, 1));
    }
    const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.channels);
    EXPECT_TRUE(agree(input_grad(KernelPath::kFast, kind, g, input, dy),
                      input_grad(KernelPath::kReference, kind, g, input, dy)))
        << "trial " << trial << ": input " << test::spatial_text(g.input) << "x" << g.channels
        << ", window " << test::spatial_text(g.window) << ", strides "
        << test::spatial_text(g.strides) << ", pad_before " << test::spatial_text(g.pad_before);
  }
}

TEST(PoolBackwardKernel, FastMaxAgreesWithReferenceOnRandomConfigurations) {
  expect_fast_agrees(PoolKind::kMax, 63, 120, false);
}

TEST(PoolBackwardKernel, FastMaxAgreesWithReferenceOnTies) {
  expect_fast_agrees(PoolKind::kMax, 64, 60, true);
}

TEST(PoolBackwardKernel, FastAverageAgreesWithReferenceOnRandomConfigurations) {
  expect_fast_agrees(PoolKind::kAverage, 65, 120, false);
}

// Disjoint windows from the first pixel (stride = window: 26 -> 13 as in
// the MNIST convnet, and SAME's clipped last window, 5 -> 3 with pad_before
// 0) take a path that stores each pixel's gradient once and never zeroes dx
// first; dx starts as NaN, so a pixel it missed shows. 11 -> 5 leaves the
// last row and column unread, and 5x7x3 -> 2x2x1 a tail on every axis:
// those pixels must still come out zero.
TEST(PoolBackwardKernel, FastMaxAgreesWithReferenceWhereWindowsAreDisjoint) {
  struct Tiling {
    Spatial input, output, window;
    Dim channels;
  };
  const Tiling cases[] = {
      {{1, 26, 26}, {1, 13, 13}, {1, 2, 2}, 32}, {{1, 5, 5}, {1, 3, 3}, {1, 2, 2}, 5},
      {{1, 11, 11}, {1, 5, 5}, {1, 2, 2}, 64},   {{1, 9, 7}, {1, 3, 3}, {1, 3, 3}, 3},
      {{4, 6, 2}, {2, 2, 1}, {2, 3, 2}, 7},      {{1, 1, 10}, {1, 1, 4}, {1, 1, 3}, 9},
      {{5, 7, 3}, {2, 2, 1}, {2, 3, 2}, 20},
  };
  test::Rng rng(66);
  for (const Tiling& t : cases) {
    for (bool ties : {false, true}) {
      PoolGeometry g;
      g.batch = 3;
      g.input = t.input;
      g.output = t.output;
      g.window = t.window;
      g.strides = t.window;
      g.channels = t.channels;
      std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.channels);
      if (ties)
        for (float& x : input) x = float(rng.in(-1, 1));
      const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.channels);
      EXPECT_TRUE(agree(input_grad(KernelPath::kFast, PoolKind::kMax, g, input, dy),
                        input_grad(KernelPath::kReference, PoolKind::kMax, g, input, dy)))
          << test::spatial_text(g.input) << " -> " << test::spatial_text(g.output)
          << (ties ? " with ties" : "");
    }
  }
}

}  // namespace
}  // namespace stride::kernels
