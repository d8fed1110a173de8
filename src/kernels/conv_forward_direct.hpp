// The convolution forward pass as a direct (implicit) gemm, a body over the
// vector type S (simd.hpp; conv_forward_avx2.cpp and conv_forward_avx512.cpp
// build it):
//   Y[p, f] = bias[f] + sum over kernel rows r of X[corner(p) + offset(r)] * K[r, f]
// with r = ((kd*KH + kh)*KW + kw)*C + c (see conv_plan.hpp). No lowered copy
// of the input: a register tile of 6 output pixels x 2 or 4 vectors of
// filters takes one kernel row per step (2 loads, 6 broadcasts, 12 FMAs; or
// 4, 6, 24). With fewer than 8 channels (first layers) a clean tile walks
// all its kernel rows in one loop instead of a channel loop per tap. A tap
// that falls into the padding reads a row of zeros instead; only tiles
// holding a border pixel look. Bias and relu are applied in registers before
// the one store.
//
// Every output element is one sum over the kernel rows in order, whichever
// thread computes it and whatever the vector width: the same bits for every
// thread count and instruction set.
#pragma once

#ifndef STRIDE_SIMD_TARGET
#error "define STRIDE_SIMD_TARGET before including conv_forward_direct.hpp"
#endif

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/conv_plan.hpp"
#include "kernels/parallel.hpp"
#include "kernels/simd.hpp"
#include "stride/parallel.hpp"

namespace stride::kernels::detail::direct_forward {
namespace {

constexpr int kTilePixels = 6;  // output pixels per register tile
constexpr Dim kItemTiles = 8;   // tiles per work item: each filter block's kernel
                                // rows are reused from L1 by all of them

// The output pixels of one tile: consecutive in memory, possibly on several
// lines (and images).
struct TilePixels {
  Dim first;                // the first pixel's index over the whole output
  int count;                // kTilePixels, fewer at the very end
  bool clean;               // all kTilePixels windows wholly inside the input
  Dim corner[kTilePixels];  // each window's corner, input index in floats
  const ConvLine* line[kTilePixels];
  Dim ow[kTilePixels];
};

// Where an output pixel's window sits: its line and width position, walked
// forward one pixel at a time (no divisions in the loop).
struct PixelCursor {
  const ConvPlan& p;
  Dim line, ow;
  PixelCursor(const ConvPlan& plan, Dim pixel)
      : p(plan), line(pixel / plan.g.output[2]), ow(pixel % plan.g.output[2]) {}
  void next() {
    if (++ow == p.g.output[2]) ow = 0, ++line;
  }
};

// Fills t for the pixels from `first` on (no zeroing of the arrays: entries
// past t.count are never read).
void tile_pixels(PixelCursor& at, Dim first, Dim pixel_count, TilePixels& t) {
  const ConvPlan& p = at.p;
  const Dim x_step = p.g.strides[2] * p.g.in_channels;
  t.first = first;
  // The common case first: a whole tile on one line, every window inside
  // (clean tiles read only the corners).
  const ConvLine& first_line = p.lines[at.line];
  if (pixel_count - first >= kTilePixels && at.ow + kTilePixels <= p.g.output[2] &&
      p.window_inside(first_line, at.ow) && p.window_inside(first_line, at.ow + kTilePixels - 1)) {
    for (int i = 0; i < kTilePixels; ++i) t.corner[i] = first_line.corner + (at.ow + i) * x_step;
    t.count = kTilePixels;
    t.clean = true;
    at.ow += kTilePixels;
    if (at.ow == p.g.output[2]) at.ow = 0, ++at.line;
    return;
  }
  t.count = int(std::min<Dim>(kTilePixels, pixel_count - first));
  bool clean = t.count == kTilePixels;
  for (int i = 0; i < t.count; ++i, at.next()) {
    const ConvLine& line = p.lines[at.line];
    t.corner[i] = line.corner + at.ow * x_step;
    t.line[i] = &line;
    t.ow[i] = at.ow;
    clean = clean && p.window_inside(line, at.ow);
  }
  t.clean = clean;
}

// What one call of a tile computes: filters [f0, f0 + width) over the taps
// [tap0, tap1). The first step of a filter block starts from the bias, the
// others from the partial sums it stored (the same floats, so the same
// result as one pass); the last applies relu.
struct Step {
  Dim f0, tap0, tap1;
  bool first, last;
  const float* kernel;  // the block's kernel row 0 (filter f0)
  Dim kernel_stride;    // floats from one of its rows to the next
  // The tile functions for the block, picked once: for tiles whose windows
  // are all inside the input, and for the others.
  void (*clean_fn)(const ConvPlan&, const TilePixels&, const Step&, const float*, const float*,
                   bool, const float*, float*);
  decltype(clean_fn) border_fn;
};

// One step for the tile's pixels: NV vectors of filters from f0, or with
// kTail (NV == 1) the last f_count - f0 < kLanes (masked loads and stores).
// kClean tiles skip the padding checks.
template <class S, int NV, bool kTail, bool kClean, bool kFlatRows>
STRIDE_SIMD_TARGET void run_tile(const ConvPlan& p, const TilePixels& t, const Step& step,
                                 const float* input, const float* bias, bool relu,
                                 const float* zeros, float* output) {
  static_assert(!kTail || NV == 1);
  using V = typename S::V;
  constexpr int kLanes = S::kLanes;
  const ConvGeometry& g = p.g;
  const Dim c_count = g.in_channels, f_count = g.out_channels, f0 = step.f0;
  const auto lanes = S::first_lanes(int(std::min<Dim>(kLanes, f_count - f0)));
  const auto load = [&](const float* from) __attribute__((always_inline)) STRIDE_SIMD_TARGET {
    return kTail ? S::load(from, lanes) : S::load(from);
  };
  float* y[kTilePixels];
#pragma GCC unroll 8
  for (int i = 0; i < kTilePixels; ++i)  // pixels past the end (never stored) alias pixel 0
    y[i] = output + (t.first + (kClean || i < t.count ? i : 0)) * f_count + f0;

  V acc[kTilePixels][NV];
  if (step.first) {
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const V start = bias ? load(bias + f0 + v * kLanes) : S::zero();
#pragma GCC unroll 8
      for (int i = 0; i < kTilePixels; ++i) acc[i][v] = start;
    }
  } else {
#pragma GCC unroll 8
    for (int i = 0; i < kTilePixels; ++i)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v)
        acc[i][v] = kClean || i < t.count ? load(y[i] + v * kLanes) : S::zero();
  }

  // A clean tile's corners are inside the input: pointers to them are valid.
  const float* corner[kTilePixels];
#pragma GCC unroll 8
  for (int i = 0; i < kTilePixels; ++i) corner[i] = kClean ? input + t.corner[i] : nullptr;

  const Dim k_stride = step.kernel_stride;
  const float* k = step.kernel + step.tap0 * c_count * k_stride;
  if constexpr (kClean && kFlatRows) {
    // Few channels a tap (first layers): one loop over the kernel rows, each
    // read at its offset from the fixed corners, instead of a short channel
    // loop per tap whose pointer set-up cost as much as its FMAs.
    const ConvRow* row = p.rows.data() + step.tap0 * c_count;
    const ConvRow* const end = p.rows.data() + step.tap1 * c_count;
    for (; row != end; ++row, k += k_stride) {
      const Dim offset = row->offset;
      V w[NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) w[v] = load(k + v * kLanes);
#pragma GCC unroll 8
      for (int i = 0; i < kTilePixels; ++i) {
        const V xi = S::broadcast(corner[i] + offset);
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[i][v] = S::fmadd(xi, w[v], acc[i][v]);
      }
    }
  } else {
    for (Dim tap = step.tap0; tap < step.tap1; ++tap) {
      const Dim r = tap * c_count, offset = p.rows[r].offset;
      const float* x[kTilePixels];
#pragma GCC unroll 8
      for (int i = 0; i < kTilePixels; ++i) {
        if constexpr (kClean) {
          x[i] = corner[i] + offset;
        } else {
          const bool real = i < t.count && p.tap_inside(*t.line[i], t.ow[i], r);
          x[i] = real ? input + (t.corner[i] + offset) : zeros;
        }
      }
      for (Dim c = 0; c < c_count; ++c, k += k_stride) {
        V w[NV];
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) w[v] = load(k + v * kLanes);
#pragma GCC unroll 8
        for (int i = 0; i < kTilePixels; ++i) {
          const V xi = S::broadcast(x[i] + c);
#pragma GCC unroll 8
          for (int v = 0; v < NV; ++v) acc[i][v] = S::fmadd(xi, w[v], acc[i][v]);
        }
      }
    }
  }

  const V zero = S::zero();
  const bool apply_relu = relu && step.last;
#pragma GCC unroll 8
  for (int i = 0; i < kTilePixels; ++i) {
    if (!kClean && i >= t.count) break;
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const V out = apply_relu ? S::max(acc[i][v], zero) : acc[i][v];
      if constexpr (kTail) {
        S::store(y[i], lanes, out);
      } else {
        S::store(y[i] + v * kLanes, out);
      }
    }
  }
}

using TileFn = decltype(Step::clean_fn);

// Vectors of filters per register tile: 6 x 2 of AVX2's 16 registers
// accumulate, 6 x 4 of AVX-512's 32 (two FMA units of 4 cycles' latency
// want at least 8 sums in flight; more of them, fewer loads per FMA).
template <class S>
constexpr int kTileVectors = S::kLanes == 16 ? 4 : 2;

// The tile for the next block of filters, `filters` of them left: as many
// whole vectors as there are, then the rest masked.
template <class S, bool kClean, bool kFlatRows>
TileFn tile_fn(Dim filters) {
  if constexpr (kTileVectors<S> == 4)
    if (filters >= 4 * S::kLanes) return run_tile<S, 4, false, kClean, kFlatRows>;
  return filters >= 2 * S::kLanes ? run_tile<S, 2, false, kClean, kFlatRows>
         : filters >= S::kLanes   ? run_tile<S, 1, false, kClean, kFlatRows>
                                  : run_tile<S, 1, true, kClean, kFlatRows>;
}

// The first 64-byte boundary in a buffer of 16 floats more than it needs.
inline float* aligned_floats(float* from) {
  const auto address = reinterpret_cast<std::uintptr_t>(from);
  return from + (64 - address % 64) % 64 / sizeof(float);
}

// Channels a tap below which clean tiles take the kernel rows in one loop.
constexpr Dim kFlatRowsBelow = 8;

// The whole forward pass (conv_forward_direct's contract, internal.hpp).
template <class S>
bool conv_forward(const ConvGeometry& g, const float* input, const float* kernel, const float* bias,
                  float* output, bool relu) {
  if (g.groups != 1) return false;
  const Dim pixel_count = g.batch * volume(g.output), f_count = g.out_channels;
  if (pixel_count == 0) return true;
  const ConvPlan plan = make_conv_plan(g);
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
  // blocks of at most kBlockBytes of kernel rows (x the tile's filters). The
  // item's tiles stream a block from L2 one after the other; each cut costs
  // a store and reload of the partial sums. On Zen 5, bench case (e) (576
  // rows x 64 filters, 147 KiB) ran 5-8% faster in one block than cut into
  // 2 (128 KiB) or 5 (32 KiB, sized for L1); AVX2 gained 4% going from 16 KiB
  // to 128 KiB. The caps stay below the L2 of the CPUs each build targets.
  constexpr Dim kBlockBytes = S::kLanes == 16 ? (Dim{1} << 19) : (Dim{1} << 17);
  constexpr Dim kBlockRows = kBlockBytes / Dim(sizeof(float) * S::kLanes * kTileVectors<S>);
  const Dim taps = volume(g.kernel), tap_rows = g.in_channels, row_count = taps * tap_rows;
  const Dim tap_blocks = std::clamp<Dim>((row_count + kBlockRows - 1) / kBlockRows, 1, taps);
  // With several filter blocks, each block's kernel rows are copied together
  // first: in Keras's (taps, C, F) layout a block reads a part of every row
  // (256 of 512 bytes in (e)), a strided stream that the copy made 8% faster
  // at batch 32 ((e), Zen 5). Not for small outputs, whose few tiles would
  // not repay the copy.
  const bool flat_rows = g.in_channels < kFlatRowsBelow;
  const bool pack =
      filter_block_width(f_count, S::kLanes, kTileVectors<S>) < f_count && pixel_count >= 256;
  std::vector<float> packed(pack ? row_count * f_count + 16 : 0);
  float* const packed_base = pack ? aligned_floats(packed.data()) : nullptr;
  std::vector<Step> steps;
  for (Dim f0 = 0, width = 0; f0 < f_count; f0 += width) {
    width = filter_block_width(f_count - f0, S::kLanes, kTileVectors<S>);
    const float* block = kernel + f0;
    Dim stride = f_count;
    if (pack) {
      float* to = packed_base + f0 * row_count;
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
