// gemm with transposed operands: one hand-worked product through all four
// combinations on both paths, the reference against the plain product of
// explicitly transposed copies, and the blocked path (best and portable
// micro-kernel) against the reference on sizes around tile and block edges.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/gemm.hpp"
#include "kernels/gemm_micro.hpp"
#include "kernels/kernel_test_util.hpp"

namespace stride::kernels {
namespace {

using test::agree;
using test::kBothPaths;
using test::path_name;

constexpr Transpose kBoth[] = {Transpose::kNo, Transpose::kYes};

const char* name(Transpose t) {
  return t == Transpose::kNo ? "N" : "T";
}

TEST(GemmTransposeKernel, EveryCombinationGivesTheSameProduct) {
  // op(A) = [[1,2,3],[4,5,6]], op(B) = [[7,8],[9,10],[11,12]], stored as is
  // or transposed; the product is [[58,64],[139,154]] (1*7+2*9+3*11 = 58,
  // ...), and accumulate doubles it.
  const std::vector<float> a{1, 2, 3, 4, 5, 6}, a_t{1, 4, 2, 5, 3, 6};
  const std::vector<float> b{7, 8, 9, 10, 11, 12}, b_t{7, 9, 11, 8, 10, 12};
  for (KernelPath path : kBothPaths) {
    for (Transpose ta : kBoth) {
      for (Transpose tb : kBoth) {
        SCOPED_TRACE(std::string(path_name(path)) + " " + name(ta) + name(tb));
        const bool at = ta == Transpose::kYes, bt = tb == Transpose::kYes;
        std::vector<float> c(4, std::numeric_limits<float>::quiet_NaN());
        gemm(path, ta, tb, 2, 2, 3, (at ? a_t : a).data(), at ? 2 : 3, (bt ? b_t : b).data(),
             bt ? 3 : 2, c.data(), 2, false);
        EXPECT_EQ(c, (std::vector<float>{58, 64, 139, 154}));
        gemm(path, ta, tb, 2, 2, 3, (at ? a_t : a).data(), at ? 2 : 3, (bt ? b_t : b).data(),
             bt ? 3 : 2, c.data(), 2, true);
        EXPECT_EQ(c, (std::vector<float>{116, 128, 278, 308}));
      }
    }
  }
}

TEST(GemmTransposeKernel, LeadingDimensionIsTheStoredRowStride) {
  // A^T with A stored (k=2, m=2) inside rows of 3: A = [[1,2,_],[3,4,_]],
  // op(A) = [[1,3],[2,4]]; op(B) = I. C = op(A).
  const std::vector<float> a{1, 2, -1, 3, 4, -1}, identity{1, 0, 0, 1};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    std::vector<float> c(4);
    gemm(path, Transpose::kYes, Transpose::kNo, 2, 2, 2, a.data(), 3, identity.data(), 2, c.data(),
         2, false);
    EXPECT_EQ(c, (std::vector<float>{1, 3, 2, 4}));
  }
}

// Stored (rows, cols) array with leading dimension ld -> its transpose,
// (cols, rows) with leading dimension rows.
std::vector<float> transposed(const std::vector<float>& x, Dim rows, Dim cols, Dim ld) {
  std::vector<float> t(cols * rows);
  for (Dim i = 0; i < rows; ++i) {
    for (Dim j = 0; j < cols; ++j) t[j * rows + i] = x[i * ld + j];
  }
  return t;
}

// One random product op(A) op(B): the reference against the plain
// reference on materialized transposes (bit for bit: same sums, same order),
// and the fast path (or gemm_blocked with `micro`) against the reference.
void expect_random_product_agrees(test::Rng& rng, Transpose ta, Transpose tb, Dim m, Dim n, Dim k,
                                  const detail::MicroKernel* micro) {
  const bool at = ta == Transpose::kYes, bt = tb == Transpose::kYes;
  const Dim a_rows = at ? k : m, a_cols = at ? m : k, b_rows = bt ? n : k, b_cols = bt ? k : n;
  const Dim lda = a_cols + rng.in(0, 2), ldb = b_cols + rng.in(0, 2), ldc = n + rng.in(0, 2);
  const bool accumulate = rng.coin();
  const std::vector<float> a = rng.floats(a_rows * lda), b = rng.floats(b_rows * ldb);
  std::vector<float> c_ref = rng.floats(m * ldc);
  if (!accumulate) {
    for (Dim i = 0; i < m; ++i) {
      for (Dim j = 0; j < n; ++j) c_ref[i * ldc + j] = std::numeric_limits<float>::quiet_NaN();
    }
  }
  std::vector<float> c_fast = c_ref, c_plain = c_ref;
  gemm(KernelPath::kReference, ta, tb, m, n, k, a.data(), lda, b.data(), ldb, c_ref.data(), ldc,
       accumulate);

  const std::vector<float> op_a = at ? transposed(a, a_rows, a_cols, lda) : a;
  const std::vector<float> op_b = bt ? transposed(b, b_rows, b_cols, ldb) : b;
  gemm(KernelPath::kReference, m, n, k, op_a.data(), at ? a_rows : lda, op_b.data(),
       bt ? b_rows : ldb, c_plain.data(), ldc, accumulate);
  const std::string where = std::string(name(ta)) + name(tb) + ", m " + std::to_string(m) + ", n " +
                            std::to_string(n) + ", k " + std::to_string(k) + ", accumulate " +
                            std::to_string(accumulate);
  for (std::size_t i = 0; i < c_ref.size(); ++i) {
    ASSERT_EQ(std::isnan(c_ref[i]), std::isnan(c_plain[i])) << where;
    if (!std::isnan(c_ref[i])) ASSERT_EQ(c_ref[i], c_plain[i]) << where << ", element " << i;
  }

  if (micro) {
    detail::gemm_blocked(*micro, ta, tb, m, n, k, a.data(), lda, b.data(), ldb, c_fast.data(), ldc,
                         accumulate);
  } else {
    gemm(KernelPath::kFast, ta, tb, m, n, k, a.data(), lda, b.data(), ldb, c_fast.data(), ldc,
         accumulate);
  }
  EXPECT_TRUE(agree(c_fast, c_ref)) << where;
}

// Around the tiles (mr 4/6, nr 8/16) and the kc = 256, mc = 96 blocks.
constexpr Dim kEdgeSizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 31, 33, 95, 97, 257};

TEST(GemmTransposeKernel, FastAgreesWithReferenceOnEdgeSizes) {
  test::Rng rng(71);
  for (int trial = 0; trial < 120; ++trial) {
    const auto pick = [&] { return kEdgeSizes[rng.in(0, std::size(kEdgeSizes) - 1)]; };
    Dim m = pick(), n = pick(), k = pick();
    while (m * n * k > 300000) (m > n ? m : n) /= 2;  // small enough for a sanitizer build
    expect_random_product_agrees(rng, kBoth[trial % 2], kBoth[trial / 2 % 2], m, n, k, nullptr);
  }
}

TEST(GemmTransposeKernel, EveryMicroKernelAgreesWithReference) {
  test::Rng rng(72);
  for (const detail::MicroKernel* micro : detail::supported_micro_kernels()) {
    for (int trial = 0; trial < 40; ++trial) {
      expect_random_product_agrees(rng, kBoth[trial % 2], kBoth[trial / 2 % 2], rng.in(1, 30),
                                   rng.in(1, 40), rng.in(1, 40), micro);
    }
  }
}

TEST(GemmTransposeKernel, FastAgreesAcrossBlockBoundaries) {
  test::Rng rng(73);
  for (Transpose ta : kBoth) {
    for (Transpose tb : kBoth) {
      expect_random_product_agrees(rng, ta, tb, 3, 2100, 3, nullptr);   // n crosses nc = 2048
      expect_random_product_agrees(rng, ta, tb, 13, 20, 600, nullptr);  // k crosses kc twice
      expect_random_product_agrees(rng, ta, tb, 200, 17, 5, nullptr);   // m crosses mc twice
    }
  }
}

// Up to four rows (a Dense layer on one image) skip the packed panels: the
// column blocks of 64, the 8-wide partial dot products of a transposed B and
// their remainders, and a product big enough to be shared between threads.
TEST(GemmTransposeKernel, FewRowsAgreeWithReference) {
  test::Rng rng(74);
  for (Transpose ta : kBoth) {
    for (Transpose tb : kBoth) {
      for (Dim m : {1, 2, 4}) {
        for (Dim n : {1, 10, 64, 65, 130}) {
          for (Dim k : {1, 7, 8, 17, 1600})
            expect_random_product_agrees(rng, ta, tb, m, n, k, nullptr);
        }
      }
    }
  }
}

TEST(GemmTransposeKernel, FewRowsAreTheSameForEveryThreadCount) {
  test::Rng rng(75);
  const Dim m = 3, n = 300, k = 1000;  // 900,000 multiply-adds: parallel
  const std::vector<float> a = rng.floats(m * k), b = rng.floats(n * k);
  for (Transpose tb : kBoth) {
    const auto results = test::results_for_thread_counts([&] {
      std::vector<float> c(m * n);
      gemm(KernelPath::kFast, Transpose::kNo, tb, m, n, k, a.data(), k, b.data(),
           tb == Transpose::kNo ? n : k, c.data(), n, false);
      return c;
    });
    EXPECT_EQ(results[0], results[1]) << name(tb);
    EXPECT_EQ(results[0], results[2]) << name(tb);
  }
}

}  // namespace
}  // namespace stride::kernels
