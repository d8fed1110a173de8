// The kernel gradient of a 3x3 stride-1 convolution by Winograd's F(3x3, 4x4)
// (winograd.hpp), a body over the vector type S (winograd_simd.hpp says how
// it is included). One 4x4 tile of output pixels contributes
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
// bits for every thread count, and for every vector width.
#pragma once

#include <algorithm>
#include <vector>

#include "kernels/parallel.hpp"
#include "kernels/winograd_simd.hpp"
#include "stride/parallel.hpp"

namespace stride::kernels::detail::winograd {
namespace {

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
template <class S>
STRIDE_SIMD_TARGET inline void grad_transform4(const typename S::V e[4], typename S::V w[6]) {
  const auto sixth = S::set1(1.0f / 6), twelfth = S::set1(1.0f / 12);
  const auto third = S::set1(1.0f / 3), twenty_fourth = S::set1(1.0f / 24);
  const auto even = S::add(e[0], e[2]), odd = S::add(e[1], e[3]);
  const auto p = S::fmadd(twenty_fourth, e[0], S::mul(sixth, e[2]));
  const auto q = S::fmadd(twelfth, e[1], S::mul(third, e[3]));
  w[0] = S::mul(S::set1(0.25f), e[0]);
  w[1] = S::mul(S::set1(-1.0f / 6), S::add(even, odd));
  w[2] = S::mul(S::set1(-1.0f / 6), S::sub(even, odd));
  w[3] = S::add(p, q);
  w[4] = S::sub(p, q);
  w[5] = e[3];
}

// A'^T (3x6) applied to six vectors: three kernel taps.
template <class S>
STRIDE_SIMD_TARGET inline void tap_transform6(const typename S::V m[6], typename S::V o[3]) {
  const auto sum12 = S::add(m[1], m[2]), diff12 = S::sub(m[1], m[2]);
  const auto sum34 = S::add(m[3], m[4]), diff34 = S::sub(m[3], m[4]);
  o[0] = S::add(S::add(m[0], sum12), sum34);
  o[1] = S::fmadd(S::set1(2), diff34, diff12);
  o[2] = S::add(S::fmadd(S::set1(4), sum34, sum12), m[5]);
}

// W[xi][slot][f] for tile `tile`; gradient positions outside the output
// (the last tiles' overhang) read zero.
template <class S>
STRIDE_SIMD_TARGET void transform_grad_tile(const WinogradShape& s, const float* output_grad,
                                            Dim tile, Dim slot, const PointLayout& layout,
                                            float* w) {
  using V = typename S::V;
  const Dim b = tile / s.tiles, ty = tile % s.tiles / s.tiles_w, tx = tile % s.tiles_w;
  const float* pixel[4][4];  // nullptr: outside the output
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      const Dim y = ty * 4 + i, x = tx * 4 + j;
      pixel[i][j] = y < s.out_h && x < s.out_w
                        ? output_grad + ((b * s.out_h + y) * s.out_w + x) * s.cout
                        : nullptr;
    }
  for (Dim f = 0; f < s.cout; f += S::kLanes) {
    V columns[6][4];  // G' e, then G' e G'^T row by row
    for (int j = 0; j < 4; ++j) {
      V e[4], r[6];
      for (int i = 0; i < 4; ++i) e[i] = pixel[i][j] ? S::load(pixel[i][j] + f) : S::zero();
      grad_transform4<S>(e, r);
      for (int i = 0; i < 6; ++i) columns[i][j] = r[i];
    }
    float* to = layout.at(w, 0, slot) + f;
    for (int i = 0; i < 6; ++i) {
      V r[6];
      grad_transform4<S>(columns[i], r);
      for (int j = 0; j < 6; ++j) S::store(to + (i * 6 + j) * layout.point, r[j]);
    }
  }
}

// S[c0 + i][f0 ...] += sum over t < tiles of V[t][c0 + i] * W[t][f0 ...] for
// ROWS channels and NV vectors of filters (v, w and sum point at
// V[xi][0][c0], W[xi][0][f0] and S[xi][c0][f0]; the tiles' rows are v_rows
// and w_rows floats apart, S's rows cout). With `start`, S starts from zero
// instead (a chunk's first block: its buffer needs no zeroing before).
template <class S, int ROWS, int NV>
STRIDE_SIMD_TARGET void accumulate_tile(const float* v, Dim v_rows, const float* w, Dim w_rows,
                                        Dim cout, Dim tiles, bool start, float* sum) {
  typename S::V acc[ROWS][NV];
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 2
    for (int n = 0; n < NV; ++n)
      acc[i][n] = start ? S::zero() : S::load(sum + i * cout + n * S::kLanes);
  for (Dim t = 0; t < tiles; ++t, v += v_rows, w += w_rows) {
    typename S::V wn[NV];
#pragma GCC unroll 2
    for (int n = 0; n < NV; ++n) wn[n] = S::load(w + n * S::kLanes);
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; ++i) {
      const auto x = S::broadcast(v + i);
#pragma GCC unroll 2
      for (int n = 0; n < NV; ++n) acc[i][n] = S::fmadd(x, wn[n], acc[i][n]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 2
    for (int n = 0; n < NV; ++n) S::store(sum + i * cout + n * S::kLanes, acc[i][n]);
}

using AccumulateFn = void (*)(const float*, Dim, const float*, Dim, Dim, Dim, bool, float*);

// The register tile for the next `rows` channels (an even number): up to 6
// channels x 2 vectors in AVX2's 16 registers, up to 12 in AVX-512's 32.
template <class S, int NV>
AccumulateFn accumulate_fn(Dim rows, Dim& taken) {
  taken = rows >= 6 ? 6 : rows >= 4 ? 4 : 2;
  if constexpr (S::kLanes == 16) {
    if (rows >= 8) taken = rows >= 12 ? 12 : 8;
    if (taken == 12) return accumulate_tile<S, 12, NV>;
    if (taken == 8) return accumulate_tile<S, 8, NV>;
  }
  return taken == 6   ? accumulate_tile<S, 6, NV>
         : taken == 4 ? accumulate_tile<S, 4, NV>
                      : accumulate_tile<S, 2, NV>;
}

// Adds one block of tiles [first, first + count) to the chunk's S (or, with
// `start`, writes S as its sum).
template <class S>
STRIDE_SIMD_TARGET void accumulate_block(const WinogradShape& s, const float* input,
                                         const float* output_grad, Dim first, Dim count, Dim block,
                                         bool start, float* v, float* w, float* sum) {
  constexpr int kWide = 2 * S::kLanes;
  const PointLayout v_layout = point_major(block, s.cin), w_layout = point_major(block, s.cout);
  for (Dim t = 0; t < count; ++t) {
    transform_input_tile<S>(s, input, first + t, t, v_layout, v);
    transform_grad_tile<S>(s, output_grad, first + t, t, w_layout, w);
  }
  for (int xi = 0; xi < kPoints; ++xi) {
    const float* v_xi = v_layout.at(v, xi, 0);
    const float* w_xi = w_layout.at(w, xi, 0);
    float* s_xi = sum + xi * s.cin * s.cout;
    for (Dim f = 0; f < s.cout; f += kWide) {
      const bool wide = s.cout - f >= kWide;
      for (Dim c = 0, taken = 0; c < s.cin; c += taken) {  // Cin is a multiple of 8
        const Dim rows = s.cin - c;
        (wide ? accumulate_fn<S, 2>(rows, taken) : accumulate_fn<S, 1>(rows, taken))(
            v_xi + c, v_layout.slot_stride, w_xi + f, w_layout.slot_stride, s.cout, count, start,
            s_xi + c * s.cout + f);
      }
    }
  }
}

// dK[kh][kw][c][f] = A'^T (sum over chunks of S) A' for channels
// [c_begin, c_end), all filters.
template <class S>
STRIDE_SIMD_TARGET void transform_taps(const WinogradShape& s, const float* sums, Dim chunks,
                                       Dim c_begin, Dim c_end, float* kernel_grad) {
  using V = typename S::V;
  const Dim sum_size = kPoints * s.cin * s.cout, tap_stride = s.cin * s.cout;
  for (Dim c = c_begin; c < c_end; ++c)
    for (Dim f = 0; f < s.cout; f += S::kLanes) {
      V half[6][3];  // S A', row by row
      for (int i = 0; i < 6; ++i) {
        V row[6];
        for (int j = 0; j < 6; ++j) {
          const float* at = sums + ((i * 6 + j) * s.cin + c) * s.cout + f;
          row[j] = S::load(at);
          for (Dim k = 1; k < chunks; ++k) row[j] = S::add(row[j], S::load(at + k * sum_size));
        }
        tap_transform6<S>(row, half[i]);
      }
      for (int kw = 0; kw < 3; ++kw) {
        V column[6], taps[3];
        for (int i = 0; i < 6; ++i) column[i] = half[i][kw];
        tap_transform6<S>(column, taps);
        for (int kh = 0; kh < 3; ++kh)
          S::store(kernel_grad + (kh * 3 + kw) * tap_stride + c * s.cout + f, taps[kh]);
      }
    }
}

// The whole kernel gradient (detail::conv_winograd_kernel_grad's contract,
// internal.hpp), channels in multiples of S::kLanes.
template <class S>
bool winograd_kernel_grad(const ConvGeometry& g, const float* input, const float* output_grad,
                          float* kernel_grad) {
  WinogradShape s;
  const Dim sum_size = kPoints * g.in_channels * g.out_channels;
  if (!winograd_shape(g, S::kLanes, s) || sum_size > kMaxChunkFloats) return false;
  const Dim all_tiles = s.batch * s.tiles;
  const Dim chunks = std::clamp<Dim>(std::min(all_tiles / kMinChunkTiles, kMaxSumFloats / sum_size),
                                     1, kMaxChunks);
  // Long blocks: each gemm's inner dimension is the block's tiles, so
  // the register tiles of S are loaded and stored once per block; V and W
  // are written and read once, from L3 where they leave L2.
  const Dim block = s.block_tiles(1536 * 1024, 6, 192);
  // Each chunk (32+ tiles) writes its S whole in its first block: no zeroing.
  thread_local std::vector<float> sums_buffer;  // taken here, on the calling thread
  sums_buffer.resize(std::max(sums_buffer.size(), std::size_t(chunks * sum_size)));
  float* sums = sums_buffer.data();
  parallel_for(chunks, 1, [&](Dim first_chunk, Dim last_chunk) {
    thread_local std::vector<float> scratch;
    const std::size_t v_size = point_major(block, s.cin).floats;
    scratch.resize(std::max(scratch.size(), v_size + point_major(block, s.cout).floats));
    for (Dim k = first_chunk; k < last_chunk; ++k) {
      const Dim begin = k * all_tiles / chunks, end = (k + 1) * all_tiles / chunks;
      for (Dim first = begin; first < end; first += block)
        accumulate_block<S>(s, input, output_grad, first, std::min(block, end - first), block,
                            first == begin, scratch.data(), scratch.data() + v_size,
                            sums + k * sum_size);
    }
  });
  parallel_for(s.cin, 8, [&](Dim c_begin, Dim c_end) {
    transform_taps<S>(s, sums, chunks, c_begin, c_end, kernel_grad);
  });
  return true;
}

}  // namespace
}  // namespace stride::kernels::detail::winograd
