// The kernel gradient of a 3x3 stride-1 convolution by Winograd's F(3x3, 4x4)
// (winograd_avx2.hpp), AVX2+FMA. One 4x4 tile of output pixels contributes
//   dK[kh][kw][c][f] += sum over (u, v) in the tile of d[kh+u][kw+v][c] * e[u][v][f]
// where d is the tile's 6x6 input block and e its 4x4 output gradient: a
// correlation with a 4x4 "kernel" e and a 3x3 result, so with
//   V = B^T d B (as the forward's),  W = G' e G'^T (6x6),  dK = A'^T S A'
// the transformed sums S[xi][c][f] = sum over tiles of V[xi][tile][c] *
// W[xi][tile][f] are 36 gemms whose inner dimension is the tiles, and the
// output transform runs once at the end: 36 products per 9 kernel taps x 16
// pixels, a quarter of the direct kernel's multiply-adds.
//
// The tiles are cut into a fixed number of chunks (a function of the tile
// count only), each summed on its own and added in chunk order: the same
// bits for every thread count.
#include <algorithm>
#include <vector>

#include "kernels/parallel.hpp"
#include "kernels/winograd_avx2.hpp"
#include "stride/parallel.hpp"

namespace stride::kernels::detail {
namespace {

using namespace winograd;

constexpr Dim kMaxChunks = 8;       // partial sums of S at most
constexpr Dim kMinChunkTiles = 32;  // a chunk's sum is worth its own S
// The partial sums' floats at most (64 MiB): 8 copies of S for 128 x 128
// channels take 19 MiB; from 256 x 256 on there are fewer copies, and from
// 36 x Cin x Cout > 4M floats (e.g. 256 x 512) the direct kernel takes the
// gradient instead.
constexpr Dim kMaxSumFloats = Dim{16} << 20;
constexpr Dim kMaxChunkFloats = Dim{4} << 20;

// G' (6x4) applied to four vectors: one column or row of a tile's output
// gradient.
STRIDE_TARGET_AVX2_FMA inline void grad_transform4(const __m256 e[4], __m256 w[6]) {
  const __m256 sixth = _mm256_set1_ps(1.0f / 6), twelfth = _mm256_set1_ps(1.0f / 12);
  const __m256 third = _mm256_set1_ps(1.0f / 3), twenty_fourth = _mm256_set1_ps(1.0f / 24);
  const __m256 even = _mm256_add_ps(e[0], e[2]), odd = _mm256_add_ps(e[1], e[3]);
  const __m256 p = _mm256_fmadd_ps(twenty_fourth, e[0], _mm256_mul_ps(sixth, e[2]));
  const __m256 q = _mm256_fmadd_ps(twelfth, e[1], _mm256_mul_ps(third, e[3]));
  w[0] = _mm256_mul_ps(_mm256_set1_ps(0.25f), e[0]);
  w[1] = _mm256_mul_ps(_mm256_set1_ps(-1.0f / 6), _mm256_add_ps(even, odd));
  w[2] = _mm256_mul_ps(_mm256_set1_ps(-1.0f / 6), _mm256_sub_ps(even, odd));
  w[3] = _mm256_add_ps(p, q);
  w[4] = _mm256_sub_ps(p, q);
  w[5] = e[3];
}

// A'^T (3x6) applied to six vectors: three kernel taps.
STRIDE_TARGET_AVX2_FMA inline void tap_transform6(const __m256 m[6], __m256 o[3]) {
  const __m256 sum12 = _mm256_add_ps(m[1], m[2]), diff12 = _mm256_sub_ps(m[1], m[2]);
  const __m256 sum34 = _mm256_add_ps(m[3], m[4]), diff34 = _mm256_sub_ps(m[3], m[4]);
  o[0] = _mm256_add_ps(_mm256_add_ps(m[0], sum12), sum34);
  o[1] = _mm256_fmadd_ps(_mm256_set1_ps(2), diff34, diff12);
  o[2] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(4), sum34, sum12), m[5]);
}

// W[xi][slot][f] for tile `tile`; gradient positions outside the output
// (the last tiles' overhang) read zero.
STRIDE_TARGET_AVX2_FMA void transform_grad_tile(const WinogradShape& s, const float* output_grad,
                                                Dim tile, Dim slot, const PointLayout& layout,
                                                float* w) {
  const Dim b = tile / s.tiles, ty = tile % s.tiles / s.tiles_w, tx = tile % s.tiles_w;
  const float* pixel[4][4];  // nullptr: outside the output
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      const Dim y = ty * 4 + i, x = tx * 4 + j;
      pixel[i][j] = y < s.out_h && x < s.out_w
                        ? output_grad + ((b * s.out_h + y) * s.out_w + x) * s.cout
                        : nullptr;
    }
  for (Dim f = 0; f < s.cout; f += kLanes) {
    __m256 columns[6][4];  // G' e, then G' e G'^T row by row
    for (int j = 0; j < 4; ++j) {
      __m256 e[4], r[6];
      for (int i = 0; i < 4; ++i)
        e[i] = pixel[i][j] ? _mm256_loadu_ps(pixel[i][j] + f) : _mm256_setzero_ps();
      grad_transform4(e, r);
      for (int i = 0; i < 6; ++i) columns[i][j] = r[i];
    }
    float* to = layout.at(w, 0, slot) + f;
    for (int i = 0; i < 6; ++i) {
      __m256 r[6];
      grad_transform4(columns[i], r);
      for (int j = 0; j < 6; ++j) _mm256_storeu_ps(to + (i * 6 + j) * layout.point, r[j]);
    }
  }
}

// S[c0 + i][f0 ...] += sum over t < tiles of V[t][c0 + i] * W[t][f0 ...] for
// ROWS channels and 8*NV filters (v, w and sum point at V[xi][0][c0],
// W[xi][0][f0] and S[xi][c0][f0]; the tiles' rows are v_rows and w_rows
// floats apart, S's rows cout).
template <int ROWS, int NV>
STRIDE_TARGET_AVX2_FMA void accumulate_tile(const float* v, Dim v_rows, const float* w, Dim w_rows,
                                            Dim cout, Dim tiles, float* sum) {
  __m256 acc[ROWS][NV];
#pragma GCC unroll 8
  for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 2
    for (int n = 0; n < NV; ++n) acc[i][n] = _mm256_loadu_ps(sum + i * cout + n * kLanes);
  for (Dim t = 0; t < tiles; ++t, v += v_rows, w += w_rows) {
    __m256 wn[NV];
#pragma GCC unroll 2
    for (int n = 0; n < NV; ++n) wn[n] = _mm256_loadu_ps(w + n * kLanes);
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; ++i) {
      const __m256 x = _mm256_broadcast_ss(v + i);
#pragma GCC unroll 2
      for (int n = 0; n < NV; ++n) acc[i][n] = _mm256_fmadd_ps(x, wn[n], acc[i][n]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 2
    for (int n = 0; n < NV; ++n) _mm256_storeu_ps(sum + i * cout + n * kLanes, acc[i][n]);
}

using AccumulateFn = void (*)(const float*, Dim, const float*, Dim, Dim, Dim, float*);

template <int NV>
AccumulateFn accumulate_fn(Dim rows) {
  return rows >= 6   ? accumulate_tile<6, NV>
         : rows >= 4 ? accumulate_tile<4, NV>
                     : accumulate_tile<2, NV>;
}

// Adds one block of tiles [first, first + count) to the chunk's S.
STRIDE_TARGET_AVX2_FMA void accumulate_block(const WinogradShape& s, const float* input,
                                             const float* output_grad, Dim first, Dim count,
                                             Dim block, float* v, float* w, float* sum) {
  const PointLayout v_layout = point_major(block, s.cin), w_layout = point_major(block, s.cout);
  for (Dim t = 0; t < count; ++t) {
    transform_input_tile(s, input, first + t, t, v_layout, v);
    transform_grad_tile(s, output_grad, first + t, t, w_layout, w);
  }
  for (int xi = 0; xi < kPoints; ++xi) {
    const float* v_xi = v_layout.at(v, xi, 0);
    const float* w_xi = w_layout.at(w, xi, 0);
    float* s_xi = sum + xi * s.cin * s.cout;
    for (Dim f = 0; f < s.cout; f += 2 * kLanes) {
      const bool wide = s.cout - f >= 2 * kLanes;
      for (Dim c = 0; c < s.cin;) {  // Cin is a multiple of 8: rows of 6, then 4 or 2
        const Dim rows = std::min<Dim>(6, s.cin - c);
        (wide ? accumulate_fn<2>(rows) : accumulate_fn<1>(rows))(
            v_xi + c, v_layout.slot_stride, w_xi + f, w_layout.slot_stride, s.cout, count,
            s_xi + c * s.cout + f);
        c += rows >= 6 ? 6 : rows >= 4 ? 4 : 2;
      }
    }
  }
}

// dK[kh][kw][c][f] = A'^T (sum over chunks of S) A' for channels
// [c_begin, c_end), all filters.
STRIDE_TARGET_AVX2_FMA void transform_taps(const WinogradShape& s, const float* sums, Dim chunks,
                                           Dim c_begin, Dim c_end, float* kernel_grad) {
  const Dim sum_size = kPoints * s.cin * s.cout, tap_stride = s.cin * s.cout;
  for (Dim c = c_begin; c < c_end; ++c)
    for (Dim f = 0; f < s.cout; f += kLanes) {
      __m256 half[6][3];  // S A', row by row
      for (int i = 0; i < 6; ++i) {
        __m256 row[6];
        for (int j = 0; j < 6; ++j) {
          const float* at = sums + ((i * 6 + j) * s.cin + c) * s.cout + f;
          row[j] = _mm256_loadu_ps(at);
          for (Dim k = 1; k < chunks; ++k)
            row[j] = _mm256_add_ps(row[j], _mm256_loadu_ps(at + k * sum_size));
        }
        tap_transform6(row, half[i]);
      }
      for (int kw = 0; kw < 3; ++kw) {
        __m256 column[6], taps[3];
        for (int i = 0; i < 6; ++i) column[i] = half[i][kw];
        tap_transform6(column, taps);
        for (int kh = 0; kh < 3; ++kh)
          _mm256_storeu_ps(kernel_grad + (kh * 3 + kw) * tap_stride + c * s.cout + f, taps[kh]);
      }
    }
}

}  // namespace

bool conv_winograd_kernel_grad_avx2(const ConvGeometry& g, const float* input,
                                    const float* output_grad, float* kernel_grad) {
  WinogradShape s;
  const Dim sum_size = kPoints * g.in_channels * g.out_channels;
  if (!winograd_shape(g, s) || sum_size > kMaxChunkFloats) return false;
  const Dim all_tiles = s.batch * s.tiles;
  const Dim chunks = std::clamp<Dim>(std::min(all_tiles / kMinChunkTiles, kMaxSumFloats / sum_size),
                                     1, kMaxChunks);
  // Long blocks: each gemm's inner dimension is the block's tiles, so
  // the register tiles of S are loaded and stored once per block; V and W
  // are written and read once, from L3 where they leave L2.
  const Dim block = s.block_tiles(1536 * 1024, 192);
  thread_local std::vector<float> sums_buffer;  // taken here, on the calling thread
  sums_buffer.assign(std::size_t(chunks * sum_size), 0.0f);
  float* sums = sums_buffer.data();
  parallel_for(chunks, 1, [&](Dim first_chunk, Dim last_chunk) {
    thread_local std::vector<float> scratch;
    const std::size_t v_size = point_major(block, s.cin).floats;
    scratch.resize(std::max(scratch.size(), v_size + point_major(block, s.cout).floats));
    for (Dim k = first_chunk; k < last_chunk; ++k) {
      const Dim begin = k * all_tiles / chunks, end = (k + 1) * all_tiles / chunks;
      for (Dim first = begin; first < end; first += block)
        accumulate_block(s, input, output_grad, first, std::min(block, end - first), block,
                         scratch.data(), scratch.data() + v_size, sums + k * sum_size);
    }
  });
  parallel_for(s.cin, 8, [&](Dim c_begin, Dim c_end) {
    transform_taps(s, sums, chunks, c_begin, c_end, kernel_grad);
  });
  return true;
}

}  // namespace stride::kernels::detail
