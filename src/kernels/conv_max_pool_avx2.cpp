// A small convolution followed by max pooling in one pass, AVX2+FMA: each
// pooled output is the largest convolution value of its window (plain sums
// over the kernel rows, NaNs skipped as pool_forward skips them), then bias
// and relu. Pooling commutes with both: adding a constant and relu are
// monotone, and float rounding is too, so the values are the two passes'
// (with this kernel's sums). The convolution's output, a first layer's
// largest tensor (128 MNIST images: 11 MB), is never written.
//
// A register tile: four window positions x 16 filters (8 accumulators); each
// kernel row loads its 16 weights once for the four. Windows of other sizes
// go in groups of four, the last group padded with repeats of a position
// (a repeat does not change a maximum). Each output is computed whole by one
// thread: the same bits for every thread count.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/internal.hpp"
#include "kernels/parallel.hpp"
#include "kernels/pool.hpp"
#include "stride/parallel.hpp"

namespace stride::kernels::detail {
namespace {

constexpr int kLanes = 8;
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

// Filters [f, f + 8*NV) of one pooled output: the maximum over its window's
// positions, then bias and relu; -inf where every value of the window is NaN,
// as pool_forward gives. With kTaps (training), bias and relu go on each
// position's value before the comparison, as max_pool_forward_taps sees the
// convolution's output, and the winning position (its tap in the window) is
// written to taps[f ...]: the first of equal values, none where all are NaN
// (tap 0, the value -inf), as there.
template <int NV, bool kTaps, class Rows>
STRIDE_TARGET_AVX2_FMA void pooled_filters(const Problem& p, const Rows& rows, Dim positions,
                                           Dim kernel_rows, Dim f, float* y, std::uint8_t* taps) {
  const Dim f_count = p.conv.out_channels;
  const __m256 minus_inf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  const __m256 zero = _mm256_setzero_ps();
  __m256 best[NV], seen[NV];  // seen: some lane value was not NaN
  __m256 bias[NV];
  __m256i best_tap[NV];
#pragma GCC unroll 4
  for (int n = 0; n < NV; ++n) {
    best[n] = minus_inf, seen[n] = zero, best_tap[n] = _mm256_setzero_si256();
    bias[n] = p.bias ? _mm256_loadu_ps(p.bias + f + n * kLanes) : zero;
  }
  for (Dim first = 0; first < positions; first += kGroup) {
    typename Rows::Cursor at[kGroup];
#pragma GCC unroll 4
    for (int i = 0; i < kGroup; ++i)  // a short last group repeats its last position
      at[i] = rows.cursor(std::min<Dim>(first + i, positions - 1));
    __m256 acc[kGroup][NV];
#pragma GCC unroll 4
    for (int i = 0; i < kGroup; ++i)
#pragma GCC unroll 4
      for (int n = 0; n < NV; ++n) acc[i][n] = _mm256_setzero_ps();
    const float* w = p.kernel + f;
    for (Dim r = 0; r < kernel_rows; ++r, w += f_count) {
      __m256 wn[NV];
#pragma GCC unroll 4
      for (int n = 0; n < NV; ++n) wn[n] = _mm256_loadu_ps(w + n * kLanes);
#pragma GCC unroll 4
      for (int i = 0; i < kGroup; ++i) {
        const __m256 x = _mm256_broadcast_ss(rows.at(at[i], r));
#pragma GCC unroll 4
        for (int n = 0; n < NV; ++n) acc[i][n] = _mm256_fmadd_ps(x, wn[n], acc[i][n]);
      }
    }
#pragma GCC unroll 4
    for (int i = 0; i < kGroup; ++i)
#pragma GCC unroll 4
      for (int n = 0; n < NV; ++n) {
        if constexpr (kTaps) {  // a repeated position never beats itself
          __m256 value = p.bias ? _mm256_add_ps(acc[i][n], bias[n]) : acc[i][n];
          if (p.relu) value = _mm256_max_ps(value, zero);
          const __m256 wins = _mm256_cmp_ps(value, best[n], _CMP_GT_OQ);  // NaN: false
          best[n] = _mm256_blendv_ps(best[n], value, wins);
          best_tap[n] = _mm256_castps_si256(
              _mm256_blendv_ps(_mm256_castsi256_ps(best_tap[n]),
                               _mm256_castsi256_ps(_mm256_set1_epi32(int(first + i))), wins));
        } else {
          best[n] = _mm256_max_ps(acc[i][n], best[n]);  // a NaN never wins
          seen[n] = _mm256_or_ps(seen[n], _mm256_cmp_ps(acc[i][n], acc[i][n], _CMP_ORD_Q));
        }
      }
  }
#pragma GCC unroll 4
  for (int n = 0; n < NV; ++n) {
    if constexpr (kTaps) {
      _mm256_storeu_ps(y + f + n * kLanes, best[n]);
      // Taps (0..15) narrowed to bytes with saturating packs.
      const __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(best_tap[n]),
                                            _mm256_extracti128_si256(best_tap[n], 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(taps + f + n * kLanes),
                       _mm_packus_epi16(words, words));
    } else {
      __m256 out = p.bias ? _mm256_add_ps(best[n], bias[n]) : best[n];
      if (p.relu) out = _mm256_max_ps(out, zero);
      _mm256_storeu_ps(y + f + n * kLanes, _mm256_blendv_ps(minus_inf, out, seen[n]));
    }
  }
}

// Every filter of one pooled output (and its taps, where taps is not null).
template <class Rows>
void pooled_output(const Problem& p, const Rows& rows, Dim positions, Dim kernel_rows, float* y,
                   std::uint8_t* taps) {
  for (Dim f = 0; f < p.conv.out_channels; f += 2 * kLanes) {
    const bool wide = p.conv.out_channels - f >= 2 * kLanes;
    if (taps) {
      wide ? pooled_filters<2, true>(p, rows, positions, kernel_rows, f, y, taps)
           : pooled_filters<1, true>(p, rows, positions, kernel_rows, f, y, taps);
    } else {
      wide ? pooled_filters<2, false>(p, rows, positions, kernel_rows, f, y, taps)
           : pooled_filters<1, false>(p, rows, positions, kernel_rows, f, y, taps);
    }
  }
}

}  // namespace

bool conv_max_pool_avx2(const ConvGeometry& g, const PoolGeometry& pool, const float* input,
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
                    windows_inside && g.out_channels % kLanes == 0 &&
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
          pooled_output(p, rows, positions, kernel_rows, y, t);
          continue;
        }
        Dim i = 0;
        for (Dim wh = 0; wh < pool.window[1]; ++wh)
          for (Dim ww = 0; ww < pool.window[2]; ++ww, ++i)
            row_pointers(p, b, ph * pool.strides[1] + wh, pw * pool.strides[2] + ww, zeros.data(),
                         table.data() + i * kernel_rows);
        pooled_output(p, TableRows{table.data(), kernel_rows}, positions, kernel_rows, y, t);
      }
    }
  });
  return true;
}

}  // namespace stride::kernels::detail
