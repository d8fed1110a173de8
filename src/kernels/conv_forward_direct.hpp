// The convolution forward pass as a direct (implicit) gemm, a body over the
// vector type S (simd.hpp; conv_forward_avx2.cpp and conv_forward_avx512.cpp
// build it):
//   Y[p, f] = bias[f] + sum over kernel rows r of X[corner(p) + offset(r)] * K[r, f]
// with r = ((kd*KH + kh)*KW + kw)*C + c (see conv_plan.hpp). No lowered copy
// of the input. Two walks over the output: items of consecutive 6-pixel
// register tiles (conv_forward_tiles.hpp), filter block by filter block; and,
// for single-channel first layers, line by line in tiles of up to 13 pixels.
//
// Every output element is one sum over the kernel rows in order, whichever
// thread computes it, whichever walk and whatever the vector width: the same
// bits for every thread count and instruction set.
#pragma once

#ifndef STRIDE_SIMD_TARGET
#error "define STRIDE_SIMD_TARGET before including conv_forward_direct.hpp"
#endif

#include <algorithm>
#include <utility>
#include <vector>

#include "kernels/conv_forward_tiles.hpp"
#include "kernels/parallel.hpp"
#include "stride/parallel.hpp"
#include "stride/tensor.hpp"

namespace stride::kernels::detail::direct_forward {
namespace {

constexpr Dim kItemTiles = 8;  // tiles per work item: they share each step's kernel rows

// Single-channel input at width stride 1 (first layers such as MNIST's),
// one block of 1 or 2 AVX-512 vectors of filters: the windows of a line's
// consecutive pixels lie 1 float apart, so a tile of up to kLinePixels of
// them reads every kernel row at constant offsets from one pointer, and its
// sums fill the registers: 2 kernel loads and 13 broadcasts per 26 FMAs,
// with none of run_tile's per-tile set-up. Each sum runs over the same rows
// in the same order as run_tile's: the same bits.
constexpr int kLinePixels = 13;

template <class S, int NV, int P>
STRIDE_SIMD_TARGET void run_line_tile(const float* x, const ConvRow* rows, Dim row_count,
                                      const float* kernel, const float* bias, bool relu, float* y) {
  using V = typename S::V;
  constexpr int kLanes = S::kLanes, kFilters = NV * kLanes;
  V acc[P][NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) {
    const V start = bias ? S::load(bias + v * kLanes) : S::zero();
#pragma GCC unroll 16
    for (int i = 0; i < P; ++i) acc[i][v] = start;
  }
  // The output two tiles on, fetched for writing while this one computes
  // (1.07x on bench case (a), whose 11 MB output outgrows L2).
#pragma GCC unroll 16
  for (int i = 0; i < P * NV; ++i) __builtin_prefetch(y + (2 * P * NV + i) * kLanes, 1, 3);
  const float* k = kernel;
  for (const ConvRow* row = rows; row != rows + row_count; ++row, k += kFilters) {
    const float* xr = x + row->offset;
    V w[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) w[v] = S::load(k + v * kLanes);
#pragma GCC unroll 16
    for (int i = 0; i < P; ++i) {
      const V xi = S::broadcast(xr + i);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[i][v] = S::fmadd(xi, w[v], acc[i][v]);
    }
  }
  const V zero = S::zero();
#pragma GCC unroll 16
  for (int i = 0; i < P; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v)
      S::store(y + i * kFilters + v * kLanes, relu ? S::max(acc[i][v], zero) : acc[i][v]);
}

using LineTileFn = void (*)(const float*, const ConvRow*, Dim, const float*, const float*, bool,
                            float*);

// run_line_tile for P pixels (1..kLinePixels).
template <class S, int NV, int... P>
LineTileFn line_tile_fn(int pixels, std::integer_sequence<int, P...>) {
  constexpr LineTileFn table[] = {run_line_tile<S, NV, P + 1>...};
  return table[pixels - 1];
}

// Where the line walk takes the whole pass: one filter block (16 or 32
// filters) and one block of kernel rows, so one step.
template <class S>
bool line_tiles_apply(const ConvGeometry& g) {
  return S::kLanes == 16 && g.groups == 1 && g.in_channels == 1 && g.strides[2] == 1 &&
         (g.out_channels == S::kLanes || g.out_channels == 2 * S::kLanes) &&
         volume(g.kernel) <= block_rows<S>();
}

// The forward pass line by line: each line's clean run [lo, hi) in equal
// tiles of at most kLinePixels (the last one shifted back to end at hi,
// recomputing a few pixels with the same bits), the rest in run_tile's
// border tiles. `step` is the only step (one filter block, one tap block).
template <class S>
void conv_forward_lines(const ConvPlan& plan, const Step& step, const float* input,
                        const float* bias, bool relu, const float* zeros, float* output) {
  const ConvGeometry& g = plan.g;
  const Dim out_w = g.output[2], f_count = g.out_channels;
  const Dim line_count = g.batch * g.output[0] * g.output[1];
  const Dim lo = plan.lo[2], hi = plan.hi[2], width = hi - lo;
  const Dim tiles = width > 0 ? (width + kLinePixels - 1) / kLinePixels : 0;
  const int pixels = tiles > 0 ? int((width + tiles - 1) / tiles) : 1;
  const LineTileFn tile =
      f_count == S::kLanes
          ? line_tile_fn<S, 1>(pixels, std::make_integer_sequence<int, kLinePixels>())
          : line_tile_fn<S, 2>(pixels, std::make_integer_sequence<int, kLinePixels>());
  // Pixels [first, last) through run_tile (all of one line).
  const auto border = [&](Dim first, Dim last) {
    if (first == last) return;
    PixelCursor at(plan, first);
    for (Dim p = first; p < last; p += kTilePixels) {
      TilePixels t;
      tile_pixels(at, p, last, t);
      (t.clean ? step.clean_fn : step.border_fn)(plan, t, step, input, bias, relu, zeros, output);
    }
  };
  const double line_flops = conv_flops(g) / double(std::max<Dim>(line_count, 1));
  parallel_for(line_count, flop_grain(line_count, line_flops), [&](Dim first_line, Dim last_line) {
    // (b, od, oh) of the line, divided out once a share and then counted.
    Dim oh = first_line % g.output[1], od = first_line / g.output[1] % g.output[0],
        b = first_line / (g.output[1] * g.output[0]);
    for (Dim line = first_line; line < last_line; ++line) {
      const ConvLine l = conv_line(g, plan.lo, plan.hi, b, od, oh);
      if (++oh == g.output[1]) {
        oh = 0;
        if (++od == g.output[0]) od = 0, ++b;
      }
      const Dim first = line * out_w;
      if (!l.inside || tiles == 0) {
        border(first, first + out_w);
        continue;
      }
      border(first, first + lo);
      for (Dim t = 0; t < tiles; ++t) {
        const Dim ow = std::min(lo + t * pixels, hi - pixels);
        tile(input + l.corner + ow, plan.rows.data(), Dim(plan.rows.size()), step.kernel, bias,
             relu, output + (first + ow) * f_count);
      }
      border(first + hi, first + out_w);
    }
  });
}

// The whole forward pass (conv_forward_direct's contract, internal.hpp).
template <class S>
bool conv_forward(const ConvGeometry& g, const float* input, const float* kernel, const float* bias,
                  float* output, bool relu) {
  if (g.groups != 1) return false;
  const Dim pixel_count = g.batch * volume(g.output), f_count = g.out_channels;
  if (pixel_count == 0) return true;
  // The line walk reads no ConvPlan::lines unless it meets border pixels.
  const bool line_walk = line_tiles_apply<S>(g);
  const ConvPlan plan = make_conv_plan(g, !line_walk || has_border_pixels(g));
  const std::vector<float> zeros(g.in_channels, 0.0f);
  const Dim tile_count = (pixel_count + kTilePixels - 1) / kTilePixels;
  // Fewer tiles per item where the output has few (batch 1), so that the
  // threads get even shares: 21 tiles in items of 8 went 2:1 over 2 threads.
  const Dim item_tiles = std::clamp<Dim>(tile_count / (4 * num_threads()), 1, kItemTiles);
  const Dim item_count = (tile_count + item_tiles - 1) / item_tiles;

  // Pieces of at least ~0.5 MFLOP (thread hand-over costs microseconds) and,
  // where there is enough work, about 8 per thread so that a slowed core
  // takes fewer of them. Each output element is computed whole by one tile,
  // so the cut never changes a result.
  const double item_flops =
      2.0 * item_tiles * kTilePixels * double(f_count) * double(plan.rows.size());
  const Dim min_items = std::max<Dim>(1, Dim(5e5 / std::max(item_flops, 1.0)));
  const Dim grain = std::max(min_items, (item_count + 8 * num_threads() - 1) / (8 * num_threads()));
  // The steps of every item: filter blocks, each over the taps cut into
  // blocks of at most block_rows<S>() kernel rows.
  constexpr Dim kBlockRows = block_rows<S>();
  const Dim taps = volume(g.kernel), tap_rows = g.in_channels, row_count = taps * tap_rows;
  const Dim tap_blocks = std::clamp<Dim>((row_count + kBlockRows - 1) / kBlockRows, 1, taps);
  const bool flat_rows = g.in_channels < kFlatRowsBelow;
  // With several filter blocks, each block's kernel rows are copied together
  // first: in Keras's (taps, C, F) layout a block reads a part of every row
  // (256 of 512 bytes in (e)), a strided stream that the copy made 8% faster
  // at batch 32 ((e), Zen 5). Not for small outputs, whose few tiles would
  // not repay the copy.
  const bool pack =
      filter_block_width(f_count, S::kLanes, kTileVectors<S>) < f_count && pixel_count >= 256;
  Tensor packed = pack ? Tensor::uninitialized({row_count * f_count}) : Tensor();  // 64-aligned
  std::vector<Step> steps;
  for (Dim f0 = 0, width = 0; f0 < f_count; f0 += width) {
    width = filter_block_width(f_count - f0, S::kLanes, kTileVectors<S>);
    const float* block = kernel + f0;
    Dim stride = f_count;
    if (pack) {
      float* to = packed.data() + f0 * row_count;
      for (Dim r = 0; r < row_count; ++r)
        std::copy_n(kernel + r * f_count + f0, width, to + r * width);
      block = to, stride = width;
    }
    const TileFn clean_fn =
        flat_rows ? tile_fn<S, true, true>(width) : tile_fn<S, true, false>(width);
    for (Dim b = 0; b < tap_blocks; ++b)
      steps.push_back({f0, b * taps / tap_blocks, (b + 1) * taps / tap_blocks, b == 0,
                       b == tap_blocks - 1, block, stride, clean_fn,
                       tile_fn<S, false, false>(width)});
  }
  if constexpr (S::kLanes == 16) {  // line tiles are AVX-512's only
    if (line_walk) {
      conv_forward_lines<S>(plan, steps.front(), input, bias, relu, zeros.data(), output);
      return true;
    }
  }
  // A kernel that fits in L1 whole is taken tile by tile, so that the
  // output is written in order.
  const bool tile_major = tap_blocks == 1 && row_count * f_count <= 4096;

  parallel_for(item_count, grain, [&](Dim first_item, Dim last_item) {
    for (Dim item = first_item; item < last_item; ++item) {
      const Dim first_tile = item * item_tiles;
      const Dim n = std::min(tile_count, first_tile + item_tiles) - first_tile;
      TilePixels tiles[kItemTiles];
      PixelCursor at(plan, first_tile * kTilePixels);
      for (Dim t = 0; t < n; ++t)
        tile_pixels(at, (first_tile + t) * kTilePixels, pixel_count, tiles[t]);
      const auto run = [&](Dim t, const Step& step) {
        (tiles[t].clean ? step.clean_fn : step.border_fn)(plan, tiles[t], step, input, bias, relu,
                                                          zeros.data(), output);
      };
      if (tile_major) {
        for (Dim t = 0; t < n; ++t)
          for (const Step& step : steps) run(t, step);
      } else {
        for (const Step& step : steps)
          for (Dim t = 0; t < n; ++t) run(t, step);
      }
    }
  });
  return true;
}

}  // namespace
}  // namespace stride::kernels::detail::direct_forward
