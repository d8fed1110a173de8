// pool_forward: Keras's documented example and hand-worked SAME corners on
// both paths, then the fast path against the reference on random
// configurations.
#include "kernels/pool.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "kernels/kernel_test_util.hpp"
#include "stride/error.hpp"

namespace stride::kernels {
namespace {

using test::agree;
using test::kBothPaths;
using test::path_name;
using test::volume;

std::vector<float> run_pool(KernelPath path, PoolKind kind, const PoolGeometry& g,
                            const std::vector<float>& input) {
  std::vector<float> out(g.batch * volume(g.output) * g.channels,
                         std::numeric_limits<float>::quiet_NaN());
  pool_forward(path, kind, g, input.data(), out.data());
  return out;
}

// 2D pooling of one channel, stride 1, SAME with the given split.
PoolGeometry pool2d_same(Dim in, Dim window, Dim pad_before) {
  PoolGeometry g;
  g.input = g.output = {1, in, in};
  g.window = {1, window, window};
  g.pad_before = {0, pad_before, pad_before};
  return g;
}

const std::vector<float> kOneToNine{1, 2, 3, 4, 5, 6, 7, 8, 9};

TEST(PoolKernel, KerasMaxPooling2DSameExample) {
  // Keras MaxPooling2D docstring: 3x3 input 1..9, pool 2, stride 1, same ->
  // [[5,6,6],[8,9,9],[8,9,9]] (pad total 1, all of it after).
  const PoolGeometry g = pool2d_same(3, 2, 0);
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_pool(path, PoolKind::kMax, g, kOneToNine),
              (std::vector<float>{5, 6, 6, 8, 9, 9, 8, 9, 9}));
  }
}

TEST(PoolKernel, MaxNeverPicksThePadding) {
  // 1D [-3,-1,-2], pool 2, stride 1, same (pad after 1): [-1, -1, -2]; a zero
  // pad would have made the last output 0.
  PoolGeometry g;
  g.input = g.output = {1, 1, 3};
  g.window = {1, 1, 2};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_pool(path, PoolKind::kMax, g, {-3, -1, -2}), (std::vector<float>{-1, -1, -2}));
  }
}

TEST(PoolKernel, AverageSameDividesByTheRealCount) {
  // 3x3 1..9, pool 2, stride 1, same (pad after): full windows divide by 4,
  // the last column and row by 2, the corner by 1:
  //   (1+2+4+5)/4 = 3, (2+3+5+6)/4 = 4, (3+6)/2 = 4.5,
  //   (4+5+7+8)/4 = 6, (5+6+8+9)/4 = 7, (6+9)/2 = 7.5,
  //   (7+8)/2 = 7.5,   (8+9)/2 = 8.5,   9/1 = 9.
  const PoolGeometry g = pool2d_same(3, 2, 0);
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_pool(path, PoolKind::kAverage, g, kOneToNine),
              (std::vector<float>{3, 4, 4.5, 6, 7, 7.5, 7.5, 8.5, 9}));
  }
}

TEST(PoolKernel, AverageSameWithPaddingBefore) {
  // 3x3 1..9, pool 3, stride 1, same: pad total 2, one before. Corner (0,0)
  // covers (1,2,4,5) -> 3; edge (0,1) covers (1..6) -> 21/6 = 3.5; the centre
  // covers all nine -> 5.
  const PoolGeometry g = pool2d_same(3, 3, 1);
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    const std::vector<float> out = run_pool(path, PoolKind::kAverage, g, kOneToNine);
    EXPECT_EQ(out[0], 3.0f);
    EXPECT_EQ(out[1], 3.5f);
    EXPECT_EQ(out[4], 5.0f);
  }
}

TEST(PoolKernel, ValidStrideTwoWithTwoChannels) {
  // 1D, 5 pixels of channels (x, 10x) for x = 1..5, pool 2, stride 2, valid:
  // out 2 windows, (1,2) and (3,4); pixel 5 is unreached.
  //   average: [1.5, 15, 3.5, 35]; max: [2, 20, 4, 40].
  PoolGeometry g;
  g.channels = 2;
  g.input = {1, 1, 5};
  g.output = {1, 1, 2};
  g.window = {1, 1, 2};
  g.strides = {1, 1, 2};
  const std::vector<float> input{1, 10, 2, 20, 3, 30, 4, 40, 5, 50};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_pool(path, PoolKind::kAverage, g, input), (std::vector<float>{1.5, 15, 3.5, 35}));
    EXPECT_EQ(run_pool(path, PoolKind::kMax, g, input), (std::vector<float>{2, 20, 4, 40}));
  }
}

// NaN never wins a max (x > best is false), so a window's NaNs are skipped
// and an all-NaN window gives -inf; on both paths, in every channel block.
TEST(PoolKernel, MaxSkipsNaNOnBothPaths) {
  PoolGeometry g;
  g.channels = 21;  // a block of 16, one of 4, one channel alone
  g.input = {1, 1, 4};
  g.output = {1, 1, 1};
  g.window = {1, 1, 4};
  g.strides = {1, 1, 4};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> input;
  for (float tap : {nan, 1.0f, nan, 0.5f}) input.insert(input.end(), g.channels, tap);
  input[20] = input[20 + 21] = input[20 + 42] = input[20 + 63] = nan;  // channel 20: all NaN
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    std::vector<float> expected(g.channels, 1.0f);
    expected[20] = -std::numeric_limits<float>::infinity();
    EXPECT_EQ(run_pool(path, PoolKind::kMax, g, input), expected);
  }
}

TEST(PoolKernel, RejectsAZeroStride) {
  PoolGeometry g;
  g.strides = {1, 0, 1};
  const float x = 0;
  float y = 0;
  EXPECT_THROW(pool_forward(KernelPath::kFast, PoolKind::kMax, g, &x, &y), Error);
}

PoolGeometry random_geometry(test::Rng& rng) {
  // The conv axis generator without dilation is exactly the pooling rule.
  const ConvGeometry c = test::random_conv_geometry(rng, /*dilated=*/false);
  PoolGeometry g;
  g.batch = c.batch;
  // Up to 5 channels, and counts that take the fast path's blocks of 16 and 4
  // channels held in registers, with and without a remainder.
  constexpr Dim kChannels[] = {1, 2, 3, 4, 5, 16, 23, 36};
  g.channels = kChannels[rng.in(0, std::size(kChannels) - 1)];
  g.input = c.input;
  g.output = c.output;
  g.window = c.kernel;
  g.strides = c.strides;
  g.pad_before = c.pad_before;
  return g;
}

void expect_fast_agrees(PoolKind kind, std::uint32_t seed) {
  test::Rng rng(seed);
  for (int trial = 0; trial < 120; ++trial) {
    const PoolGeometry g = random_geometry(rng);
    const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.channels);
    EXPECT_TRUE(agree(run_pool(KernelPath::kFast, kind, g, input),
                      run_pool(KernelPath::kReference, kind, g, input)))
        << "trial " << trial << ": input " << test::spatial_text(g.input) << "x" << g.channels
        << ", window " << test::spatial_text(g.window) << ", strides "
        << test::spatial_text(g.strides) << ", pad_before " << test::spatial_text(g.pad_before);
  }
}

TEST(PoolKernel, FastMaxAgreesWithReferenceOnRandomConfigurations) {
  expect_fast_agrees(PoolKind::kMax, 8);
}

TEST(PoolKernel, FastAverageAgreesWithReferenceOnRandomConfigurations) {
  expect_fast_agrees(PoolKind::kAverage, 9);
}

}  // namespace
}  // namespace stride::kernels
