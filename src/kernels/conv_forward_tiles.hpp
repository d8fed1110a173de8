// The direct forward convolution's register tile (conv_forward_direct.hpp
// walks the output with it), a body over the vector type S: 6 output pixels x
// 1, 2 or 4 vectors of filters, one kernel row per step (2 loads, 6
// broadcasts, 12 FMAs; or 4, 6, 24). With fewer than 8 channels a clean tile
// walks all its kernel rows in one loop instead of a channel loop per tap. A
// tap that falls into the padding reads a row of zeros instead; only tiles
// holding a border pixel look. Bias and relu are applied in registers before
// the one store.
#pragma once

#ifndef STRIDE_SIMD_TARGET
#error "define STRIDE_SIMD_TARGET before including conv_forward_tiles.hpp"
#endif

#include <algorithm>

#include "kernels/conv_plan.hpp"
#include "kernels/simd.hpp"

namespace stride::kernels::detail::direct_forward {
namespace {

constexpr int kTilePixels = 6;  // output pixels per register tile

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

  // One kernel row into the tile: acc[i] += (the float at x_at(i)) * the row.
  const auto add_row = [&](const float* k_row, const auto& x_at) __attribute__((always_inline))
  STRIDE_SIMD_TARGET {
    V w[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) w[v] = load(k_row + v * kLanes);
#pragma GCC unroll 8
    for (int i = 0; i < kTilePixels; ++i) {
      const V xi = S::broadcast(x_at(i));
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = S::fmadd(xi, w[v], acc[i][v]);
    }
  };
  const Dim k_stride = step.kernel_stride;
  const float* k = step.kernel + step.tap0 * c_count * k_stride;
  const bool fetch_inputs = kLanes == 16 && g.strides[2] > 1 && c_count >= 16;
  if constexpr (kClean && kFlatRows) {
    // Few channels a tap (first layers): one loop over the kernel rows, each
    // read at its offset from the fixed corners, instead of a short channel
    // loop per tap whose pointer set-up cost as much as its FMAs.
    const ConvRow* row = p.rows.data() + step.tap0 * c_count;
    const ConvRow* const end = p.rows.data() + step.tap1 * c_count;
    for (; row != end; ++row, k += k_stride) {
      const Dim offset = row->offset;
      add_row(k, [&](int i) { return corner[i] + offset; });
    }
  } else {
    // Pixel i's input for kernel row r (a tap's channel 0), or null where
    // the tap falls into the padding or i is past the tile's end.
    const auto tap_input = [&](int i, Dim r) __attribute__((always_inline))
                           STRIDE_SIMD_TARGET->const float* {
      const Dim offset = p.rows[r].offset;
      if constexpr (kClean) {
        return corner[i] + offset;
      } else {
        const bool real = i < t.count && p.tap_inside(*t.line[i], t.ow[i], r);
        return real ? input + (t.corner[i] + offset) : nullptr;
      }
    };
    for (Dim tap = step.tap0; tap < step.tap1; ++tap) {
      const Dim r = tap * c_count;
      const float* x[kTilePixels];
#pragma GCC unroll 8
      for (int i = 0; i < kTilePixels; ++i) {
        const float* at = tap_input(i, r);
        x[i] = at ? at : zeros;
      }
      // The next tap's inputs, fetched while this tap's rows compute. Strided
      // tiles read their pixels' inputs as separate runs (a gap between
      // pixels), which the hardware's prefetchers did not fetch in time:
      // bench case (e) 1.07x by bench/ab.py, other strided AVX-512 layers
      // 1.00-1.13x (Zen 5, 2 threads). Not for stride 1 (a 5x5 layer ran 4%
      // slower) nor AVX2 (0.9-1.1x), nor a tap of under 16 channels.
      if (fetch_inputs && tap + 1 < step.tap1) {
#pragma GCC unroll 8
        for (int i = 0; i < kTilePixels; ++i)
          if (const float* next = tap_input(i, r + c_count))
            for (Dim c = 0; c < c_count; c += 16) __builtin_prefetch(next + c, 0, 3);
      }
      for (Dim c = 0; c < c_count; ++c, k += k_stride) add_row(k, [&](int i) { return x[i] + c; });
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

// Channels a tap below which clean tiles take the kernel rows in one loop.
constexpr Dim kFlatRowsBelow = 8;

// The kernel rows (x the tile's filters) of one step: at most 512 KiB
// (AVX-512) or 128 KiB (AVX2). The item's tiles stream a block from L2 one
// after the other; each cut costs a store and reload of the partial sums. On
// Zen 5, bench case (e) (576 rows x 64 filters, 147 KiB) ran 5-8% faster in
// one block than cut into 2 (128 KiB) or 5 (32 KiB, sized for L1); AVX2
// gained 4% going from 16 KiB to 128 KiB. The caps stay below the L2 of the
// CPUs each build targets.
template <class S>
constexpr Dim block_rows() {
  constexpr Dim kBlockBytes = S::kLanes == 16 ? (Dim{1} << 19) : (Dim{1} << 17);
  return kBlockBytes / Dim(sizeof(float) * S::kLanes * kTileVectors<S>);
}

}  // namespace
}  // namespace stride::kernels::detail::direct_forward
