// gemm: hand-worked products on both paths, then the blocked path (with the
// best and with the portable micro-kernel) against the reference on sizes
// around every tile and block edge.
#include "kernels/gemm.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <tuple>
#include <vector>

#include "kernels/gemm_micro.hpp"
#include "kernels/kernel_test_util.hpp"

namespace stride::kernels {
namespace {

using test::agree;
using test::kBothPaths;
using test::path_name;

TEST(GemmKernel, TwoByThreeTimesThreeByTwo) {
  // [[1,2,3],[4,5,6]] x [[7,8],[9,10],[11,12]]:
  //   1*7+2*9+3*11 = 58, 1*8+2*10+3*12 = 64, 4*7+5*9+6*11 = 139, 4*8+5*10+6*12 = 154.
  const std::vector<float> a{1, 2, 3, 4, 5, 6}, b{7, 8, 9, 10, 11, 12};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    std::vector<float> c(4, -1.0f);
    gemm(path, 2, 2, 3, a.data(), 3, b.data(), 2, c.data(), 2, false);
    EXPECT_EQ(c, (std::vector<float>{58, 64, 139, 154}));
    // accumulate adds to the old C: 58+58, ...
    gemm(path, 2, 2, 3, a.data(), 3, b.data(), 2, c.data(), 2, true);
    EXPECT_EQ(c, (std::vector<float>{116, 128, 278, 308}));
  }
}

TEST(GemmKernel, LeadingDimensionsSelectSubmatrices) {
  // A is the left 2x2 of a 2x3 array, B the right column of a 2x2 array, C
  // the left column of a 2x3 array: [[1,2],[4,5]] x [[20],[40]] = [[100],[280]];
  // the other C entries stay 9.
  const std::vector<float> a{1, 2, 3, 4, 5, 6}, b{10, 20, 30, 40};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    std::vector<float> c(6, 9.0f);
    gemm(path, 2, 1, 2, a.data(), 3, b.data() + 1, 2, c.data(), 3, false);
    EXPECT_EQ(c, (std::vector<float>{100, 9, 9, 280, 9, 9}));
  }
}

TEST(GemmKernel, EmptyInnerDimensionZeroesOrKeepsC) {
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    std::vector<float> c{1, 2, 3, 4};
    gemm(path, 2, 2, 0, nullptr, 1, nullptr, 2, c.data(), 2, true);
    EXPECT_EQ(c, (std::vector<float>{1, 2, 3, 4}));
    gemm(path, 2, 2, 0, nullptr, 1, nullptr, 2, c.data(), 2, false);
    EXPECT_EQ(c, (std::vector<float>{0, 0, 0, 0}));
    gemm(path, 0, 2, 3, nullptr, 3, nullptr, 2, nullptr, 2, false);  // no rows: nothing to touch
  }
}

// One random product through `fast` and through the reference.
void expect_random_product_agrees(test::Rng& rng, Dim m, Dim n, Dim k,
                                  const detail::MicroKernel* micro) {
  const Dim lda = k + rng.in(0, 2), ldb = n + rng.in(0, 2), ldc = n + rng.in(0, 2);
  const bool accumulate = rng.coin();
  const std::vector<float> a = rng.floats(m * lda), b = rng.floats(k * ldb);
  std::vector<float> c_ref = rng.floats(m * ldc);
  if (!accumulate) {
    // Without accumulate the old C must be ignored, even a NaN (but entries
    // between rows, beyond n, must survive: they are compared too).
    for (Dim i = 0; i < m; ++i) {
      for (Dim j = 0; j < n; ++j) c_ref[i * ldc + j] = std::numeric_limits<float>::quiet_NaN();
    }
  }
  std::vector<float> c_fast = c_ref;
  gemm(KernelPath::kReference, m, n, k, a.data(), lda, b.data(), ldb, c_ref.data(), ldc,
       accumulate);
  if (micro) {
    detail::gemm_blocked(*micro, m, n, k, a.data(), lda, b.data(), ldb, c_fast.data(), ldc,
                         accumulate);
  } else {
    gemm(KernelPath::kFast, m, n, k, a.data(), lda, b.data(), ldb, c_fast.data(), ldc, accumulate);
  }
  EXPECT_TRUE(agree(c_fast, c_ref))
      << "m " << m << ", n " << n << ", k " << k << ", lda " << lda << ", ldb " << ldb << ", ldc "
      << ldc << ", accumulate " << accumulate;
}

// Sizes around the tile edges (mr 4/6/12, nr 8/16/32) and the kc = 256,
// mc = 96 block edges.
constexpr Dim kEdgeSizes[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  11, 12,
                              13, 15, 16, 17, 31, 32, 33, 95, 97, 257};

TEST(GemmKernel, FastAgreesWithReferenceOnEdgeSizes) {
  test::Rng rng(20240601);
  for (int trial = 0; trial < 120; ++trial) {
    const auto pick = [&] { return kEdgeSizes[rng.in(0, std::size(kEdgeSizes) - 1)]; };
    Dim m = pick(), n = pick(), k = pick();
    // Keep each product small enough for a sanitizer build.
    while (m * n * k > 300000) (m > n ? m : n) /= 2;
    expect_random_product_agrees(rng, m, n, k, nullptr);
  }
}

// Each micro-kernel this CPU runs (AVX-512 12x32, AVX2 6x16, portable 4x8),
// not only the one picked, on sizes around its tile.
TEST(GemmKernel, EveryMicroKernelAgreesWithReference) {
  test::Rng rng(7);
  for (const detail::MicroKernel* micro : detail::supported_micro_kernels()) {
    for (int trial = 0; trial < 40; ++trial) {
      expect_random_product_agrees(rng, rng.in(1, 30), rng.in(1, 40), rng.in(1, 40), micro);
    }
  }
}

// Products big enough to be shared between threads, through both ways of
// packing B: whole (a Dense kernel) and block by block (n * k over 64K
// floats), with 1, 2 and 3 threads giving the same bits.
TEST(GemmKernel, FastAgreesWhenThreadsShareTheProduct) {
  test::Rng rng(12);
  for (const auto& [m, n, k] : {std::tuple<Dim, Dim, Dim>{128, 10, 700}, {64, 600, 300}}) {
    const std::vector<float> a = rng.floats(m * k), b = rng.floats(k * n);
    std::vector<float> c_ref(m * n);
    gemm(KernelPath::kReference, m, n, k, a.data(), k, b.data(), n, c_ref.data(), n, false);
    const auto results = test::results_for_thread_counts([&] {
      std::vector<float> c(m * n, std::numeric_limits<float>::quiet_NaN());
      gemm(KernelPath::kFast, m, n, k, a.data(), k, b.data(), n, c.data(), n, false);
      return c;
    });
    EXPECT_TRUE(agree(results[0], c_ref)) << m << "x" << n << "x" << k;
    EXPECT_EQ(results[1], results[0]) << m << "x" << n << "x" << k;
    EXPECT_EQ(results[2], results[0]) << m << "x" << n << "x" << k;
  }
}

TEST(GemmKernel, FastAgreesAcrossBlockBoundaries) {
  test::Rng rng(11);
  expect_random_product_agrees(rng, 3, 2100, 3, nullptr);   // n crosses nc = 2048
  expect_random_product_agrees(rng, 13, 20, 600, nullptr);  // k crosses kc twice
  expect_random_product_agrees(rng, 200, 17, 5, nullptr);   // m crosses mc twice
}

}  // namespace
}  // namespace stride::kernels
