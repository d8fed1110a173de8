// A small convolution followed by max pooling in one pass, a body over the
// vector type S (simd.hpp; conv_max_pool_avx2.cpp and _avx512.cpp build it): each
// pooled output is the largest convolution value of its window (plain sums
// over the kernel rows, NaNs skipped as pool_forward skips them), then bias
// and relu. Pooling commutes with both: adding a constant and relu are
// monotone, and float rounding is too, so the values are the two passes'
// (with this kernel's sums). The convolution's output, a first layer's
// largest tensor (128 MNIST images: 11 MB), is never written.
//
// A register tile: four window positions x 2 vectors of filters (8
// accumulators); each kernel row loads its weights once for the four. Windows of other sizes
// go in groups of four, the last group padded with repeats of a position
// (a repeat does not change a maximum). Each output is computed whole by one
// thread, each lane's arithmetic the same at every vector width: the same
// bits for every thread count and instruction set.
#pragma once

#ifndef STRIDE_SIMD_TARGET
#error "define STRIDE_SIMD_TARGET before including conv_max_pool.hpp"
#endif

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/internal.hpp"
#include "kernels/parallel.hpp"
#include "kernels/pool.hpp"
#include "kernels/simd.hpp"
#include "stride/parallel.hpp"

namespace stride::kernels::detail::conv_max_pool {
namespace {

constexpr int kGroup = 4;                // window positions per register tile
constexpr Dim kMaxKernelRows = 64;       // taps x input channels: small (first) layers
constexpr Dim kMaxWindowPositions = 16;  // pool windows up to 4x4

struct Problem {
  const ConvGeometry& conv;
  const float* input;
  const float* kernel;
  const float* bias;
  bool relu;
  std::vector<Dim> row_offsets;  // each kernel row's input offset from its window's corner
};

// The input pointer of each kernel row for the convolution output (oh, ow)
// of image b: rows whose tap falls into the padding point at `zeros`.
void row_pointers(const Problem& p, Dim b, Dim oh, Dim ow, const float* zeros, const float** rows) {
  const ConvGeometry& g = p.conv;
  const Dim top = oh * g.strides[1] - g.pad_before[1], left = ow * g.strides[2] - g.pad_before[2];
  const float* image = p.input + b * g.input[1] * g.input[2] * g.in_channels;
  const bool clean = top >= 0 && left >= 0 &&
                     top + (g.kernel[1] - 1) * g.dilation[1] < g.input[1] &&
                     left + (g.kernel[2] - 1) * g.dilation[2] < g.input[2];
  if (clean) {
    const float* corner = image + (top * g.input[2] + left) * g.in_channels;
    for (std::size_t r = 0; r < p.row_offsets.size(); ++r) rows[r] = corner + p.row_offsets[r];
    return;
  }
  Dim r = 0;
  for (Dim kh = 0; kh < g.kernel[1]; ++kh)
    for (Dim kw = 0; kw < g.kernel[2]; ++kw)
      for (Dim c = 0; c < g.in_channels; ++c, ++r) {
        const Dim ih = top + kh * g.dilation[1], iw = left + kw * g.dilation[2];
        rows[r] = inside(ih, g.input[1]) && inside(iw, g.input[2])
                      ? image + (ih * g.input[2] + iw) * g.in_channels + c
                      : zeros;
      }
}

// Where the window positions read the kernel rows: a cursor per position,
// then at(cursor, r) per row. Clean windows (every tap inside the input):
// the position's corner + row[r], a broadcast from a register plus an
// offset. Others: a table of pointers (taps in the padding read a zero).
struct CleanRows {
  const float* base;
  const Dim* position;  // per window position, from the first position's corner
  const Dim* row;       // Problem::row_offsets
  using Cursor = const float*;
  Cursor cursor(Dim i) const { return base + position[i]; }
  const float* at(Cursor c, Dim r) const { return c + row[r]; }
};
struct TableRows {
  const float* const* table;  // positions x kernel rows
  Dim kernel_rows;
  using Cursor = const float* const*;
  Cursor cursor(Dim i) const { return table + i * kernel_rows; }
  const float* at(Cursor c, Dim r) const { return c[r]; }
};

// Filters [f, f + NV vectors) of one pooled output: the maximum over its window's
// positions, then bias and relu; -inf where every value of the window is NaN,
// as pool_forward gives. With kTaps (training), bias and relu go on each
// position's value before the comparison, as max_pool_forward_taps sees the
// convolution's output, and the winning position (its tap in the window) is
// written to taps[f ...]: the first of equal values, none where all are NaN
// (tap 0, the value -inf), as there.
template <class S, int NV, bool kTaps, class Rows>
STRIDE_SIMD_TARGET void pooled_filters(const Problem& p, const Rows& rows, Dim positions,
                                       Dim kernel_rows, Dim f, float* y, std::uint8_t* taps) {
  using V = typename S::V;
  constexpr int kLanes = S::kLanes;
  const Dim f_count = p.conv.out_channels;
  const V minus_inf = S::set1(-std::numeric_limits<float>::infinity());
  const V zero = S::zero();
  V best[NV], bias[NV];
  typename S::Cmp seen[NV];  // some lane value was not NaN
  typename S::I best_tap[NV];
#pragma GCC unroll 4
  for (int n = 0; n < NV; ++n) {
    best[n] = minus_inf, seen[n] = S::none(), best_tap[n] = S::iset1(0);
    bias[n] = p.bias ? S::load(p.bias + f + n * kLanes) : zero;
  }
  for (Dim first = 0; first < positions; first += kGroup) {
    typename Rows::Cursor at[kGroup];
#pragma GCC unroll 4
    for (int i = 0; i < kGroup; ++i)  // a short last group repeats its last position
      at[i] = rows.cursor(std::min<Dim>(first + i, positions - 1));
    V acc[kGroup][NV];
#pragma GCC unroll 4
    for (int i = 0; i < kGroup; ++i)
#pragma GCC unroll 4
      for (int n = 0; n < NV; ++n) acc[i][n] = zero;
    const float* w = p.kernel + f;
    for (Dim r = 0; r < kernel_rows; ++r, w += f_count) {
      V wn[NV];
#pragma GCC unroll 4
      for (int n = 0; n < NV; ++n) wn[n] = S::load(w + n * kLanes);
#pragma GCC unroll 4
      for (int i = 0; i < kGroup; ++i) {
        const V x = S::broadcast(rows.at(at[i], r));
#pragma GCC unroll 4
        for (int n = 0; n < NV; ++n) acc[i][n] = S::fmadd(x, wn[n], acc[i][n]);
      }
    }
#pragma GCC unroll 4
    for (int i = 0; i < kGroup; ++i)
#pragma GCC unroll 4
      for (int n = 0; n < NV; ++n) {
        if constexpr (kTaps) {  // a repeated position never beats itself
          V value = p.bias ? S::add(acc[i][n], bias[n]) : acc[i][n];
          if (p.relu) value = S::max(value, zero);
          const auto wins = S::greater(value, best[n]);  // NaN: false
          best[n] = S::select(wins, best[n], value);
          best_tap[n] = S::iselect(wins, best_tap[n], S::iset1(int(first + i)));
        } else {
          best[n] = S::max(acc[i][n], best[n]);  // a NaN never wins
          seen[n] = S::either(seen[n], S::ordered(acc[i][n]));
        }
      }
  }
#pragma GCC unroll 4
  for (int n = 0; n < NV; ++n) {
    if constexpr (kTaps) {
      S::store(y + f + n * kLanes, best[n]);
      S::store_bytes(taps + f + n * kLanes, best_tap[n]);  // taps 0..15
    } else {
      V out = p.bias ? S::add(best[n], bias[n]) : best[n];
      if (p.relu) out = S::max(out, zero);
      S::store(y + f + n * kLanes, S::select(seen[n], minus_inf, out));
    }
  }
}

// Every filter of one pooled output (and its taps, where taps is not null).
template <class S, class Rows>
void pooled_output(const Problem& p, const Rows& rows, Dim positions, Dim kernel_rows, float* y,
                   std::uint8_t* taps) {
  constexpr int kWide = 2 * S::kLanes;
  for (Dim f = 0; f < p.conv.out_channels; f += kWide) {
    const bool wide = p.conv.out_channels - f >= kWide;
    if (taps) {
      wide ? pooled_filters<S, 2, true>(p, rows, positions, kernel_rows, f, y, taps)
           : pooled_filters<S, 1, true>(p, rows, positions, kernel_rows, f, y, taps);
    } else {
      wide ? pooled_filters<S, 2, false>(p, rows, positions, kernel_rows, f, y, taps)
           : pooled_filters<S, 1, false>(p, rows, positions, kernel_rows, f, y, taps);
    }
  }
}

// The whole pass (detail::conv_max_pool_avx2's contract, internal.hpp),
// filters in multiples of S::kLanes.
template <class S>
bool conv_max_pool(const ConvGeometry& g, const PoolGeometry& pool, const float* input,
                   const float* kernel, const float* bias, bool relu, float* output,
                   std::uint8_t* taps) {
  const Dim kernel_rows = g.kernel[1] * g.kernel[2] * g.in_channels;
  const Dim positions = pool.window[1] * pool.window[2];
  const bool windows_inside =
      (pool.output[1] - 1) * pool.strides[1] + pool.window[1] <= pool.input[1] &&
      (pool.output[2] - 1) * pool.strides[2] + pool.window[2] <= pool.input[2];
  const bool fits = g.groups == 1 && g.input[0] == 1 && g.kernel[0] == 1 && pool.window[0] == 1 &&
                    pool.input == g.output && pool.channels == g.out_channels &&
                    pool.batch == g.batch && pool.pad_before == Spatial{0, 0, 0} &&
                    windows_inside && g.out_channels % S::kLanes == 0 &&
                    kernel_rows <= kMaxKernelRows && positions <= kMaxWindowPositions;
  if (!fits) return false;

  Problem p{g, input, kernel, bias, relu, {}};
  for (Dim kh = 0; kh < g.kernel[1]; ++kh)
    for (Dim kw = 0; kw < g.kernel[2]; ++kw)
      for (Dim c = 0; c < g.in_channels; ++c)
        p.row_offsets.push_back(
            (kh * g.dilation[1] * g.input[2] + kw * g.dilation[2]) * g.in_channels + c);
  const std::vector<float> zeros(1, 0.0f);
  const Dim lines = g.batch * pool.output[1], width = pool.output[2];
  // Lines of pooled outputs, about 8 pieces per thread (a slowed core takes
  // fewer).
  const Dim grain = std::max<Dim>(1, lines / (8 * num_threads()));
  // Each window position's offset from the first's corner, in floats.
  std::vector<Dim> position_offsets;
  for (Dim wh = 0; wh < pool.window[1]; ++wh)
    for (Dim ww = 0; ww < pool.window[2]; ++ww)
      position_offsets.push_back((wh * g.strides[1] * g.input[2] + ww * g.strides[2]) *
                                 g.in_channels);
  const Dim reach_h = (pool.window[1] - 1) * g.strides[1] + (g.kernel[1] - 1) * g.dilation[1];
  const Dim reach_w = (pool.window[2] - 1) * g.strides[2] + (g.kernel[2] - 1) * g.dilation[2];
  parallel_for(lines, grain, [&](Dim first_line, Dim last_line) {
    std::vector<const float*> table(positions * kernel_rows);
    for (Dim line = first_line; line < last_line; ++line) {
      const Dim b = line / pool.output[1], ph = line % pool.output[1];
      const float* image = input + b * g.input[1] * g.input[2] * g.in_channels;
      for (Dim pw = 0; pw < width; ++pw) {
        float* y = output + (line * width + pw) * g.out_channels;
        std::uint8_t* t = taps ? taps + (line * width + pw) * g.out_channels : nullptr;
        // The first window position's corner in the input.
        const Dim top = ph * pool.strides[1] * g.strides[1] - g.pad_before[1];
        const Dim left = pw * pool.strides[2] * g.strides[2] - g.pad_before[2];
        if (top >= 0 && left >= 0 && top + reach_h < g.input[1] && left + reach_w < g.input[2]) {
          const CleanRows rows{image + (top * g.input[2] + left) * g.in_channels,
                               position_offsets.data(), p.row_offsets.data()};
          pooled_output<S>(p, rows, positions, kernel_rows, y, t);
          continue;
        }
        Dim i = 0;
        for (Dim wh = 0; wh < pool.window[1]; ++wh)
          for (Dim ww = 0; ww < pool.window[2]; ++ww, ++i)
            row_pointers(p, b, ph * pool.strides[1] + wh, pw * pool.strides[2] + ww, zeros.data(),
                         table.data() + i * kernel_rows);
        pooled_output<S>(p, TableRows{table.data(), kernel_rows}, positions, kernel_rows, y, t);
      }
    }
  });
  return true;
}

}  // namespace
}  // namespace stride::kernels::detail::conv_max_pool
