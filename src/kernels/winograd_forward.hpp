// 3x3 stride-1 convolutions by Winograd's minimal filtering F(4x4, 3x3)
// (winograd.hpp), a body over the vector type S (winograd_simd.hpp says how
// it is included). Each 4x4 block of output pixels ("tile") reads a 6x6
// block of input; with the transforms
//   V = B^T d B (input, 6x6),  U = G g G^T (kernel, 6x6),  Y = A^T M A (4x4)
// the tile's output is Y with M[xi] = sum over c of V[xi, c] * U[xi, c, f]
// for each of the 36 positions xi: 36 products per 16 outputs instead of
// 144, so a 4x4 tile costs 36/144 = 1/4 of the direct kernel's
// multiply-adds, plus the transforms (a few percent where channels are
// many). The products are 36 small gemms (tiles x Cin) x (Cin x Cout),
// taken a block of tiles at a time so that V and M stay in L2.
//
// Rounding: the transforms' constants (up to 8 and 1/24) make the error a
// few times the direct sum's; tests/kernels/conv_winograd_test.cpp bounds
// it. Each tile is computed whole by one thread, and each element's
// arithmetic is the same for every vector width: the same bits for every
// thread count and instruction set.
#pragma once

#include <algorithm>
#include <vector>

#include "kernels/parallel.hpp"
#include "kernels/winograd_simd.hpp"
#include "stride/parallel.hpp"

namespace stride::kernels::detail::winograd {
namespace {

// Tiles per gemm register tile: 6 x 16 filters in AVX2's 16 registers,
// 12 x 32 in AVX-512's 32.
template <class S>
constexpr int kGemmRows = S::kLanes == 16 ? 12 : 6;

// M[xi][slot0 + i][f0 ...] = sum over c of V[xi][slot0 + i][c] * U[xi][c][f0 ...]
// for kGemmRows slots and NV vectors of filters (v and m point at slot0's
// rows, which are v_rows and m_rows floats apart).
template <class S, int NV>
STRIDE_SIMD_TARGET void gemm_tile(const float* v, Dim v_rows, Dim cin, const float* u, Dim cout,
                                  float* m, Dim m_rows) {
  constexpr int kRows = kGemmRows<S>;
  typename S::V acc[kRows][NV];
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i)
#pragma GCC unroll 2
    for (int n = 0; n < NV; ++n) acc[i][n] = S::zero();
  for (Dim c = 0; c < cin; ++c, u += cout) {
    typename S::V w[NV];
#pragma GCC unroll 2
    for (int n = 0; n < NV; ++n) w[n] = S::load(u + n * S::kLanes);
#pragma GCC unroll 16
    for (int i = 0; i < kRows; ++i) {
      const auto x = S::broadcast(v + i * v_rows + c);
#pragma GCC unroll 2
      for (int n = 0; n < NV; ++n) acc[i][n] = S::fmadd(x, w[n], acc[i][n]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i)
#pragma GCC unroll 2
    for (int n = 0; n < NV; ++n) S::store(m + i * m_rows + n * S::kLanes, acc[i][n]);
}

// Y = A^T M A for tile `tile` (M[xi][slot][f]), plus bias, relu, stored
// where the tile's pixels are inside the output.
template <class S>
STRIDE_SIMD_TARGET void transform_output_tile(const WinogradShape& s, const float* m, Dim tile,
                                              Dim slot, const PointLayout& layout,
                                              const float* bias, bool relu, float* output) {
  using V = typename S::V;
  const Dim b = tile / s.tiles, ty = tile % s.tiles / s.tiles_w, tx = tile % s.tiles_w;
  const int rows = int(std::min<Dim>(4, s.out_h - ty * 4));
  const int cols = int(std::min<Dim>(4, s.out_w - tx * 4));
  float* corner = output + ((b * s.out_h + ty * 4) * s.out_w + tx * 4) * s.cout;
  const V zero = S::zero();
  for (Dim f = 0; f < s.cout; f += S::kLanes) {
    const float* from = layout.at(m, 0, slot) + f;
    V half[6][4];  // M A, row by row
    for (int i = 0; i < 6; ++i) {
      V row[6];
      for (int j = 0; j < 6; ++j) row[j] = S::load(from + (i * 6 + j) * layout.point);
      output_transform6<S>(row, half[i]);
    }
    const V start = bias ? S::load(bias + f) : zero;
    for (int x = 0; x < cols; ++x) {
      V column[6], y[4];
      for (int i = 0; i < 6; ++i) column[i] = half[i][x];
      output_transform6<S>(column, y);
      for (int r = 0; r < rows; ++r) {
        V out = S::add(y[r], start);
        if (relu) out = S::max(out, zero);
        S::store(corner + (r * s.out_w + x) * s.cout + f, out);
      }
    }
  }
}

// One block of tiles [first, first + count): transform, 36 gemms, transform.
template <class S>
STRIDE_SIMD_TARGET void run_block(const WinogradShape& s, const float* input, const float* u,
                                  const float* bias, bool relu, Dim first, Dim count, Dim block,
                                  float* v, float* m, float* output) {
  constexpr int kRows = kGemmRows<S>, kWide = 2 * S::kLanes;
  const Dim rows = (count + kRows - 1) / kRows * kRows;
  const PointLayout v_layout = point_major(block, s.cin), m_layout = point_major(block, s.cout);
  for (Dim t = 0; t < count; ++t) transform_input_tile<S>(s, input, first + t, t, v_layout, v);
  for (int xi = 0; xi < kPoints; ++xi)  // rows past `count` are zero: their M is never read
    for (Dim t = count; t < rows; ++t) std::fill_n(v_layout.at(v, xi, t), s.cin, 0.0f);
  for (int xi = 0; xi < kPoints; ++xi) {
    const float* u_xi = u + xi * s.cin * s.cout;
    for (Dim f = 0; f < s.cout; f += kWide) {
      const bool wide = s.cout - f >= kWide;
      for (Dim r = 0; r < rows; r += kRows) {
        const float* a = v_layout.at(v, xi, r);
        float* c = m_layout.at(m, xi, r) + f;
        wide ? gemm_tile<S, 2>(a, v_layout.slot_stride, s.cin, u_xi + f, s.cout, c,
                               m_layout.slot_stride)
             : gemm_tile<S, 1>(a, v_layout.slot_stride, s.cin, u_xi + f, s.cout, c,
                               m_layout.slot_stride);
      }
    }
  }
  for (Dim t = 0; t < count; ++t)
    transform_output_tile<S>(s, m, first + t, t, m_layout, bias, relu, output);
}

// The whole convolution (detail::conv_winograd's contract, internal.hpp),
// channels in multiples of S::kLanes.
template <class S>
bool winograd_forward(const ConvGeometry& g, const float* input, const float* kernel,
                      bool flip_swap, const float* bias, bool relu, float* output) {
  WinogradShape s;
  if (!winograd_shape(g, S::kLanes, s)) return false;
  const Dim all_tiles = s.batch * s.tiles;

  std::vector<float> u(std::size_t(kPoints) * s.cin * s.cout);
  transform_kernel(kernel, s.cin, s.cout, flip_swap, u.data());
  // V and M of a block stay in L2 (512 KiB on the smallest machines measured).
  const Dim block = s.block_tiles(200 * 1024, kGemmRows<S>, 48),
            block_count = (all_tiles + block - 1) / block;
  const float* u_all = u.data();
  parallel_for(block_count, 1, [&](Dim first_block, Dim last_block) {
    thread_local std::vector<float> scratch;
    const std::size_t v_size = point_major(block, s.cin).floats;
    scratch.resize(std::max(scratch.size(), v_size + point_major(block, s.cout).floats));
    for (Dim k = first_block; k < last_block; ++k) {
      const Dim first = k * block, count = std::min(block, all_tiles - first);
      run_block<S>(s, input, u_all, bias, relu, first, count, block, scratch.data(),
                   scratch.data() + v_size, output);
    }
  });
  return true;
}

}  // namespace
}  // namespace stride::kernels::detail::winograd
