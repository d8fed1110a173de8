// The convolution kernel gradient as a direct (implicit) gemm, a body over
// the vector type S (simd.hpp; conv_kernel_grad_avx2.cpp and _avx512.cpp
// build it):
//   dK[r, f] = sum over output pixels p of X[corner(p) + offset(r)] * dY[p, f]
// where r = ((kd*KH + kh)*KW + kw)*C + c runs over the kernel's rows and
// offset(r) is where that tap and channel sit from the window's corner. No
// lowered copy of the input: a register tile of 6 rows x 4 vectors of
// filters (AVX-512; 2 with AVX2) adds one pixel per step (6 broadcasts, 4
// loads, 24 FMAs), taps in the padding are skipped on the border pixels only.
// (6 x 2 with AVX-512 ran bench (e)'s fwd+bwd 1.11x slower: 8 memory
// operations per 12 FMAs.)
//
// The sum over pixels is cut by the geometry alone: chunks of output lines,
// each summed by a tile in pixel order and added to its group's copy of dK
// (chunks in order), the groups' copies added in order at the end. Threads
// share out (group, tiles) items, never part of one sum, so every element is
// the same for every thread count, tile shape and vector width.
#pragma once

#ifndef STRIDE_SIMD_TARGET
#error "define STRIDE_SIMD_TARGET before including conv_kernel_grad_direct.hpp"
#endif

#include <algorithm>
#include <vector>

#include "kernels/conv_plan.hpp"
#include "kernels/parallel.hpp"
#include "kernels/simd.hpp"

namespace stride::kernels::detail::direct_kernel_grad {
namespace {

constexpr int kTileRows = 6;       // kernel rows per register tile
constexpr Dim kChunkPixels = 128;  // output pixels summed per chunk (about)
constexpr Dim kPixelGroups = 4;    // partial sums over the pixels, added at the end

// Adds lines [first, last)'s products to rows [row0, row0 + MR) and filters
// [f0, f0 + NV vectors) of the kernel gradient; with kTail (NV == 1), to the
// last f_count - f0 < kLanes filters only (masked loads and stores).
// output_grad holds the output gradients of those lines, from line `first` on.
template <class S, int MR, int NV, bool kTail>
STRIDE_SIMD_TARGET void tile_chunk(const ConvPlan& p, const float* input, const float* output_grad,
                                   Dim row0, Dim f0, Dim first, Dim last, float* kernel_grad) {
  static_assert(!kTail || NV == 1);
  using V = typename S::V;
  constexpr int kLanes = S::kLanes;
  const ConvGeometry& g = p.g;
  const Dim c_count = g.in_channels, f_count = g.out_channels;
  const auto lanes = S::first_lanes(int(std::min<Dim>(kLanes, f_count - f0)));
  const auto load = [&](const float* from) __attribute__((always_inline)) STRIDE_SIMD_TARGET {
    return kTail ? S::load(from, lanes) : S::load(from);
  };
  const Dim ow_count = g.output[2], x_step = g.strides[2] * c_count;
  const ConvRow* rows = p.rows.data() + row0;
  Dim offset[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) offset[i] = rows[i].offset;

  V acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[i][v] = S::zero();

  // One pixel: its window's corner at input index `corner` in floats (may
  // be negative on the border), row i's tap read where tap_inside(i).
  const auto add_pixel = [&](const float* dy, Dim corner, auto tap_inside)
      __attribute__((always_inline)) STRIDE_SIMD_TARGET {
    V y[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) y[v] = load(dy + v * kLanes);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      if (!tap_inside(i)) continue;
      const V x = S::broadcast(input + (corner + offset[i]));
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = S::fmadd(x, y[v], acc[i][v]);
    }
  };
  const auto every_tap = [](int) { return true; };

  for (Dim l = first; l < last; ++l) {
    const ConvLine& line = p.lines[l];
    const float* dy = output_grad + (l - first) * ow_count * f_count + f0;
    // Border pixels check each tap against the input's extent.
    const auto add_border_pixel = [&](Dim ow) __attribute__((always_inline)) STRIDE_SIMD_TARGET {
      add_pixel(dy + ow * f_count, line.corner + ow * x_step,
                [&](int i) { return p.tap_inside(line, ow, row0 + i); });
    };
    const Dim lo = line.inside ? p.lo[2] : ow_count, hi = line.inside ? p.hi[2] : ow_count;
    Dim ow = 0;
    for (; ow < lo; ++ow) add_border_pixel(ow);
    for (Dim corner = line.corner + ow * x_step; ow < hi; ++ow, corner += x_step)
      add_pixel(dy + ow * f_count, corner, every_tap);
    for (; ow < ow_count; ++ow) add_border_pixel(ow);
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    float* k = kernel_grad + (row0 + i) * f_count + f0;
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const V sum = S::add(load(k + v * kLanes), acc[i][v]);
      if constexpr (kTail) {
        S::store(k, lanes, sum);
      } else {
        S::store(k + v * kLanes, sum);
      }
    }
  }
}

using TileFn = void (*)(const ConvPlan&, const float*, const float*, Dim, Dim, Dim, Dim, float*);

// Vectors of filters per register tile (tile_fn): 6 x 4 of AVX-512's 32
// registers accumulate, 6 x 2 of AVX2's 16.
template <class S>
constexpr Dim kTileVectors = S::kLanes == 16 ? 4 : 2;

template <class S, int NV, bool kTail = false>
TileFn tile_fn(Dim rows) {
  switch (rows) {
    case 1:
      return tile_chunk<S, 1, NV, kTail>;
    case 2:
      return tile_chunk<S, 2, NV, kTail>;
    case 3:
      return tile_chunk<S, 3, NV, kTail>;
    case 4:
      return tile_chunk<S, 4, NV, kTail>;
    case 5:
      return tile_chunk<S, 5, NV, kTail>;
    default:
      return tile_chunk<S, kTileRows, NV, kTail>;
  }
}

// The tile for `rows` rows and the next block of filters, `filters` of them
// left: four vectors (AVX-512) or two while there are, then one, then the
// rest masked.
template <class S>
TileFn tile_fn(Dim rows, Dim filters) {
  if constexpr (kTileVectors<S> == 4)
    if (filters >= 4 * S::kLanes) return tile_fn<S, 4>(rows);
  return filters >= 2 * S::kLanes ? tile_fn<S, 2>(rows)
         : filters >= S::kLanes   ? tile_fn<S, 1>(rows)
                                  : tile_fn<S, 1, true>(rows);
}

struct Tile {
  Dim row0, f0;
  TileFn run;
};

// The whole kernel gradient (conv_backward_kernel_direct's contract,
// internal.hpp).
template <class S>
bool conv_backward_kernel(const ConvGeometry& g, const float* input, const float* output_grad,
                          float* kernel_grad, const LineGradients* lines, float* bias_grad) {
  if (g.groups != 1) return false;
  const ConvPlan plan = make_conv_plan(g);
  const Dim chunk_lines = std::max<Dim>(1, kChunkPixels / std::max<Dim>(1, g.output[2]));
  const Dim row_count = Dim(plan.rows.size()), f_count = g.out_channels;
  std::fill(kernel_grad, kernel_grad + row_count * f_count, 0.0f);
  if (bias_grad) std::fill(bias_grad, bias_grad + f_count, 0.0f);
  const Dim line_count = Dim(plan.lines.size());
  if (line_count == 0 || g.output[2] == 0) return true;

  // Tiles row block by row block, so neighbouring tiles read the same input
  // values (from L1) with the next filters' output gradients.
  std::vector<Tile> tiles;
  for (Dim row0 = 0; row0 < row_count; row0 += kTileRows) {
    const Dim rows = std::min<Dim>(kTileRows, row_count - row0);
    for (Dim f0 = 0; f0 < f_count;
         f0 += filter_block_width(f_count - f0, S::kLanes, kTileVectors<S>))
      tiles.push_back({row0, f0, tile_fn<S>(rows, f_count - f0)});
  }
  // Work items: a quarter of the pixels (a fixed cut, kPixelGroups of the
  // chunks) times a share of the tiles. A group sums into its own copy of the
  // gradient, the copies are added in group order: the order of every sum is
  // fixed by the geometry alone. An item streams its pixels through the cache
  // once, chunk by chunk, all its tiles on each chunk. With `lines`, a
  // chunk's gradients are first written by it into a buffer that stays in
  // cache; the group's first item adds them (in double) to the group's bias
  // sums.
  const Dim chunk_count = (line_count + chunk_lines - 1) / chunk_lines;
  const Dim groups = std::min(kPixelGroups, chunk_count);
  const Dim tile_count = Dim(tiles.size()), size = row_count * f_count;
  const Dim tile_pieces = std::clamp<Dim>(
      (2 * parallel_pieces(tile_count * groups, 1) + groups - 1) / groups, 1, tile_count);
  const Dim tiles_per_piece = (tile_count + tile_pieces - 1) / tile_pieces;
  const Dim line_floats = g.output[2] * f_count;
  std::vector<float> copies((groups - 1) * size, 0.0f);
  std::vector<double> bias_sums(bias_grad ? groups * f_count : 0, 0.0);
  parallel_for(groups * tile_pieces, 1, [&](Dim begin, Dim end) {
    thread_local std::vector<float> chunk_grad;  // one chunk of lines' gradients
    if (lines && Dim(chunk_grad.size()) < chunk_lines * line_floats)
      chunk_grad.resize(chunk_lines * line_floats);
    for (Dim item = begin; item < end; ++item) {
      const Dim group = item / tile_pieces, piece = item % tile_pieces;
      float* sum = group == 0 ? kernel_grad : copies.data() + (group - 1) * size;
      const Dim first_tile = piece * tiles_per_piece;
      const Dim last_tile = std::min(tile_count, first_tile + tiles_per_piece);
      const Dim first_chunk = group * chunk_count / groups;
      const Dim last_chunk = (group + 1) * chunk_count / groups;
      for (Dim chunk = first_chunk; chunk < last_chunk; ++chunk) {
        const Dim first = chunk * chunk_lines;
        const Dim last = std::min(line_count, first + chunk_lines);
        const Dim at = first * line_floats, floats = (last - first) * line_floats;
        if (lines) (*lines)(first, last, chunk_grad.data());
        // output_grad is null when the gradients come from `lines`.
        const float* dy = lines ? chunk_grad.data() : output_grad + at;
        for (Dim t = first_tile; t < last_tile; ++t)
          tiles[t].run(plan, input, dy, tiles[t].row0, tiles[t].f0, first, last, sum);
        if (bias_grad && piece == 0)
          add_rows(dy, floats / f_count, f_count, bias_sums.data() + group * f_count);
      }
    }
  });
  for (Dim group = 1; group < groups; ++group) {
    const float* copy = copies.data() + (group - 1) * size;
    for (Dim i = 0; i < size; ++i) kernel_grad[i] += copy[i];
  }
  if (bias_grad) {
    for (Dim f = 0; f < f_count; ++f) {
      double total = 0.0;
      for (Dim group = 0; group < groups; ++group) total += bias_sums[group * f_count + f];
      bias_grad[f] = float(total);
    }
  }
  return true;
}

}  // namespace
}  // namespace stride::kernels::detail::direct_kernel_grad
