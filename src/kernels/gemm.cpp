// gemm: the reference triple loop and the fast path: cache-blocked, or for
// at most 4 rows (batch-1 Dense layers) a vector-matrix loop without packing.
//
// The fast path is the classic Goto/BLIS loop nest: B is packed in blocks of
// kc x nc into panels nr columns wide, A in blocks of mc x kc into panels mr
// rows high, and a micro-kernel (gemm_micro.hpp) computes one mr x nr tile of
// C from a pair of panels. Panels are zero-padded to whole tiles; edge tiles
// go through a small buffer so C is never written out of bounds. Transposed
// operands only change how the panels are packed.
#include "kernels/gemm.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/gemm_micro.hpp"
#include "kernels/parallel.hpp"
#include "stride/parallel.hpp"

namespace stride::kernels {

namespace detail {

namespace {

// Block sizes: a kc x nr panel of B stays in L1, an mc x kc block of A in L2,
// a kc x nc block of B in L3. mc is a multiple of every micro-kernel's mr.
constexpr Dim kKc = 256;
constexpr Dim kMc = 96;
constexpr Dim kNc = 2048;
// B is packed whole, for one parallel region over all of k, up to this many
// floats (256 KiB: half of L2).
constexpr Dim kPackWholeB = Dim{1} << 16;
// Below this many multiply-adds a gemm stays on the calling thread: waking
// the pool costs more than it saves.
constexpr Dim kParallelFlops = Dim{1} << 18;

Dim round_up(Dim x, Dim multiple) {
  return (x + multiple - 1) / multiple * multiple;
}

// op(X)[row, col] of a row-major array with leading dimension ld.
float element(const float* x, Dim ld, Transpose t, Dim row, Dim col) {
  return t == Transpose::kNo ? x[row * ld + col] : x[col * ld + row];
}

void gemm_reference(Transpose ta, Transpose tb, Dim m, Dim n, Dim k, const float* a, Dim lda,
                    const float* b, Dim ldb, float* c, Dim ldc, bool accumulate) {
  for (Dim i = 0; i < m; ++i) {
    for (Dim j = 0; j < n; ++j) {
      double sum = accumulate ? c[i * ldc + j] : 0.0;
      for (Dim p = 0; p < k; ++p) {
        sum += double(element(a, lda, ta, i, p)) * double(element(b, ldb, tb, p, j));
      }
      c[i * ldc + j] = float(sum);
    }
  }
}

// packed[q*kc*nr + p*nr + j] = op(B)[p, q*nr + j], zero beyond column nc;
// b points at op(B)[0, 0]. Transposition is cheap here: only the order in
// which the panel is read changes.
void pack_b(Dim kc, Dim nc, const float* b, Dim ldb, Transpose tb, Dim nr, float* packed) {
  for (Dim q = 0; q < nc; q += nr) {
    const Dim width = std::min(nr, nc - q);
    if (tb == Transpose::kNo) {
      for (Dim p = 0; p < kc; ++p) {
        const float* src = b + p * ldb + q;
        for (Dim j = 0; j < width; ++j) packed[p * nr + j] = src[j];
      }
    } else {
      for (Dim j = 0; j < width; ++j) {
        const float* src = b + (q + j) * ldb;
        for (Dim p = 0; p < kc; ++p) packed[p * nr + j] = src[p];
      }
    }
    for (Dim p = 0; p < kc; ++p) {
      for (Dim j = width; j < nr; ++j) packed[p * nr + j] = 0.0f;
    }
    packed += kc * nr;
  }
}

// packed[r*kc*mr + p*mr + i] = op(A)[r*mr + i, p], zero beyond row mc; a
// points at op(A)[0, 0]. mr is at most kMaxPanelRows.
constexpr Dim kMaxPanelRows = 16;
void pack_a(Dim mc, Dim kc, const float* a, Dim lda, Transpose ta, Dim mr, float* packed) {
  for (Dim r = 0; r < mc; r += mr) {
    const Dim height = std::min(mr, mc - r);
    if (ta == Transpose::kNo) {
      // Column by column of the panel, so that the writes are sequential
      // (row by row, strided writes took 6 cycles a float).
      const float* src[kMaxPanelRows];
      for (Dim i = 0; i < height; ++i) src[i] = a + (r + i) * lda;
      for (Dim p = 0; p < kc; ++p)
        for (Dim i = 0; i < height; ++i) packed[p * mr + i] = src[i][p];
    } else {
      for (Dim p = 0; p < kc; ++p) {
        const float* src = a + p * lda + r;
        for (Dim i = 0; i < height; ++i) packed[p * mr + i] = src[i];
      }
    }
    for (Dim i = height; i < mr; ++i) {
      for (Dim p = 0; p < kc; ++p) packed[p * mr + i] = 0.0f;
    }
    packed += kc * mr;
  }
}

// The address of op(X)[row, col].
const float* at(const float* x, Dim ld, Transpose t, Dim row, Dim col) {
  return t == Transpose::kNo ? x + row * ld + col : x + col * ld + row;
}

// C[mc, nc] (+)= packed A block * packed B block, tile by tile.
void macro_kernel(const MicroKernel& micro, Dim mc, Dim nc, Dim kc, const float* packed_a,
                  const float* packed_b, float* c, Dim ldc, bool add) {
  const Dim mr = micro.mr, nr = micro.nr;
  float edge[kMaxTileFloats];  // one edge tile, written in full by the micro-kernel
  for (Dim q = 0; q < nc; q += nr) {
    const float* b_panel = packed_b + q * kc;
    const Dim width = std::min(nr, nc - q);
    for (Dim r = 0; r < mc; r += mr) {
      const float* a_panel = packed_a + r * kc;
      const Dim height = std::min(mr, mc - r);
      float* tile = c + r * ldc + q;
      if (height == mr && width == nr) {
        micro.run(kc, a_panel, b_panel, tile, ldc, add);
        continue;
      }
      micro.run(kc, a_panel, b_panel, edge, nr, false);
      for (Dim i = 0; i < height; ++i) {
        for (Dim j = 0; j < width; ++j) {
          float& out = tile[i * ldc + j];
          out = add ? out + edge[i * nr + j] : edge[i * nr + j];
        }
      }
    }
  }
}

// At most this many rows of C go through gemm_few_rows, in blocks of this
// many columns.
constexpr Dim kFewRows = 4;
constexpr Dim kFewRowsColumns = 64;

// Four floats as one value (GCC and Clang vector extension): SSE on any
// x86-64, NEON on ARM. The auto-vectorizer left few_rows_chunk scalar.
typedef float Floats4 __attribute__((vector_size(16)));

Floats4 load4(const float* p) {
  Floats4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// chunk[i][j] = sum over p in [p0, p1) of op(A)[i, p] * B[p, j] for the
// first `width` (<= kFewRowsColumns) columns of a B that is not transposed.
// Rows of B are contiguous: each is read once, as groups of 8 columns whose
// M rows of sums stay in registers.
template <Dim M>
void few_rows_chunk(Transpose ta, Dim p0, Dim p1, const float* a, Dim lda, const float* b, Dim ldb,
                    Dim width, float (*chunk)[kFewRowsColumns]) {
  Dim j0 = 0;
  for (; j0 + 8 <= width; j0 += 8) {
    Floats4 low[M] = {}, high[M] = {};
    for (Dim p = p0; p < p1; ++p) {
      const Floats4 b_low = load4(b + p * ldb + j0), b_high = load4(b + p * ldb + j0 + 4);
      for (Dim i = 0; i < M; ++i) {
        const float a_ip = element(a, lda, ta, i, p);
        low[i] += a_ip * b_low;
        high[i] += a_ip * b_high;
      }
    }
    for (Dim i = 0; i < M; ++i) {
      std::memcpy(chunk[i] + j0, &low[i], sizeof low[i]);
      std::memcpy(chunk[i] + j0 + 4, &high[i], sizeof high[i]);
    }
  }
  if (j0 == width) return;
  float tail[M][8] = {};  // the last width - j0 < 8 columns
  for (Dim p = p0; p < p1; ++p) {
    const float* b_row = b + p * ldb + j0;
    for (Dim i = 0; i < M; ++i) {
      const float a_ip = element(a, lda, ta, i, p);
      for (Dim l = 0; l < width - j0; ++l) tail[i][l] += a_ip * b_row[l];
    }
  }
  for (Dim i = 0; i < M; ++i) std::copy(tail[i], tail[i] + (width - j0), chunk[i] + j0);
}

using FewRowsChunk = void (*)(Transpose, Dim, Dim, const float*, Dim, const float*, Dim, Dim,
                              float (*)[kFewRowsColumns]);
constexpr FewRowsChunk kFewRowsChunks[kFewRows] = {few_rows_chunk<1>, few_rows_chunk<2>,
                                                   few_rows_chunk<3>, few_rows_chunk<4>};

// C[m, n] (+)= op(A) op(B) for m <= kFewRows (a Dense layer on one image):
// packing B into zero-padded panels for tiles mostly made of padding cost
// more than the products themselves (a fifth of a batch-1 MNIST inference).
// As in gemm_blocked, k is summed in chunks of kKc whose sums are added to C
// (one running float sum over thousands of terms drifts by ~1e-5). Each
// block of columns is one task, so the result does not depend on the thread
// count.
void gemm_few_rows(Transpose ta, Transpose tb, Dim m, Dim n, Dim k, const float* a, Dim lda,
                   const float* b, Dim ldb, float* c, Dim ldc, bool accumulate) {
  const Dim blocks = (n + kFewRowsColumns - 1) / kFewRowsColumns;
  const bool parallel = m * n * k >= kParallelFlops;
  parallel_for(blocks, parallel ? 1 : blocks, [&](Dim first, Dim last) {
    float sums[kFewRows][kFewRowsColumns], chunk[kFewRows][kFewRowsColumns];
    for (Dim block = first; block < last; ++block) {
      const Dim j0 = block * kFewRowsColumns, width = std::min(kFewRowsColumns, n - j0);
      for (Dim i = 0; i < m; ++i)
        for (Dim j = 0; j < width; ++j) sums[i][j] = accumulate ? c[i * ldc + j0 + j] : 0.0f;
      for (Dim p0 = 0; p0 < k; p0 += kKc) {
        const Dim p1 = std::min(k, p0 + kKc);
        if (tb == Transpose::kNo) {
          kFewRowsChunks[m - 1](ta, p0, p1, a, lda, b + j0, ldb, width, chunk);
        } else {
          // Column j of op(B) is row j of B: a dot product, in 8 partial
          // sums so that it vectorizes.
          for (Dim i = 0; i < m; ++i) std::fill(chunk[i], chunk[i] + width, 0.0f);
          for (Dim j = 0; j < width; ++j) {
            const float* b_col = b + (j0 + j) * ldb;
            for (Dim i = 0; i < m; ++i) {
              float partial[8] = {};
              Dim p = p0;
              for (; p + 8 <= p1; p += 8)
                for (Dim l = 0; l < 8; ++l)
                  partial[l] += element(a, lda, ta, i, p + l) * b_col[p + l];
              for (; p < p1; ++p) chunk[i][j] += element(a, lda, ta, i, p) * b_col[p];
              for (float x : partial) chunk[i][j] += x;
            }
          }
        }
        for (Dim i = 0; i < m; ++i)
          for (Dim j = 0; j < width; ++j) sums[i][j] += chunk[i][j];
      }
      for (Dim i = 0; i < m; ++i) std::copy(sums[i], sums[i] + width, c + i * ldc + j0);
    }
  });
}

}  // namespace

void gemm_blocked(const MicroKernel& micro, Transpose ta, Transpose tb, Dim m, Dim n, Dim k,
                  const float* a, Dim lda, const float* b, Dim ldb, float* c, Dim ldc,
                  bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) {
      for (Dim i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    }
    return;
  }
  // Reused across calls, one per thread: no allocation once warm.
  thread_local std::vector<float> packed_b;
  // Threads split C by blocks of rows; every element is still summed over k
  // in the same order, so the result does not depend on the thread count (nor
  // on the block height). Few rows are cut into blocks thinner than kMc so
  // that each thread gets some: 128 rows went 96 + 32 over two threads.
  const bool parallel = m * n * k >= kParallelFlops;
  const Dim share = 2 * (parallel ? Dim(num_threads()) : 1);
  const Dim block_rows = std::min(kMc, round_up((m + share - 1) / share, micro.mr));
  const Dim row_blocks = (m + block_rows - 1) / block_rows;
  const Dim a_size = round_up(std::min(m, block_rows), micro.mr) * std::min(k, kKc);
  // Row blocks [first, last) of C's columns [jc, jc + nc) times the k block
  // from pc, with that block of B packed at shared_b.
  const auto run_row_blocks = [&](Dim pc, Dim jc, Dim nc, const float* shared_b, Dim first,
                                  Dim last) {
    thread_local std::vector<float> packed_a;
    if (Dim(packed_a.size()) < a_size) packed_a.resize(a_size);
    const Dim kc = std::min(kKc, k - pc);
    for (Dim block = first; block < last; ++block) {
      const Dim ic = block * block_rows, mc = std::min(block_rows, m - ic);
      pack_a(mc, kc, at(a, lda, ta, ic, pc), lda, ta, micro.mr, packed_a.data());
      macro_kernel(micro, mc, nc, kc, packed_a.data(), shared_b, c + ic * ldc + jc, ldc,
                   accumulate || pc > 0);
    }
  };

  // A small B (a Dense layer's kernel, a thin filter bank) is packed whole,
  // and one parallel region takes every block of k, rather than a thread
  // hand-over per block: the MNIST Dense layer's 1600-deep product took 7.
  const Dim padded_n = round_up(n, micro.nr);
  if (n <= kNc && padded_n * k <= kPackWholeB) {
    if (Dim(packed_b.size()) < padded_n * k) packed_b.resize(padded_n * k);
    for (Dim pc = 0; pc < k; pc += kKc)
      pack_b(std::min(kKc, k - pc), n, at(b, ldb, tb, pc, 0), ldb, tb, micro.nr,
             packed_b.data() + pc * padded_n);
    const float* whole_b = packed_b.data();
    parallel_for(row_blocks, parallel ? 1 : row_blocks, [&](Dim first, Dim last) {
      for (Dim pc = 0; pc < k; pc += kKc)
        run_row_blocks(pc, 0, n, whole_b + pc * padded_n, first, last);
    });
    return;
  }

  const Dim b_size = round_up(std::min(n, kNc), micro.nr) * std::min(k, kKc);
  if (Dim(packed_b.size()) < b_size) packed_b.resize(b_size);
  for (Dim jc = 0; jc < n; jc += kNc) {
    const Dim nc = std::min(kNc, n - jc);
    for (Dim pc = 0; pc < k; pc += kKc) {
      pack_b(std::min(kKc, k - pc), nc, at(b, ldb, tb, pc, jc), ldb, tb, micro.nr, packed_b.data());
      // packed_b is thread_local: the workers get the caller's by pointer.
      const float* shared_b = packed_b.data();
      parallel_for(row_blocks, parallel ? 1 : row_blocks,
                   [&](Dim first, Dim last) { run_row_blocks(pc, jc, nc, shared_b, first, last); });
    }
  }
}

void gemm_blocked(const MicroKernel& micro, Dim m, Dim n, Dim k, const float* a, Dim lda,
                  const float* b, Dim ldb, float* c, Dim ldc, bool accumulate) {
  gemm_blocked(micro, Transpose::kNo, Transpose::kNo, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
}

}  // namespace detail

void gemm(KernelPath path, Dim m, Dim n, Dim k, const float* a, Dim lda, const float* b, Dim ldb,
          float* c, Dim ldc, bool accumulate) {
  gemm(path, Transpose::kNo, Transpose::kNo, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
}

void gemm(KernelPath path, Transpose ta, Transpose tb, Dim m, Dim n, Dim k, const float* a, Dim lda,
          const float* b, Dim ldb, float* c, Dim ldc, bool accumulate) {
  if (path == KernelPath::kReference) {
    detail::gemm_reference(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
  } else if (m <= detail::kFewRows && m > 0 && n > 0 && k > 0) {
    detail::gemm_few_rows(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
  } else {
    detail::gemm_blocked(detail::best_micro_kernel(), ta, tb, m, n, k, a, lda, b, ldb, c, ldc,
                         accumulate);
  }
}

}  // namespace stride::kernels
