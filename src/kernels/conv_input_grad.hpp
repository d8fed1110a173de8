// The input gradient of a first layer (1 to 4 input channels, stride 1,
// 16, 32, 48 or 64 filters), gathered per input pixel: a body over the
// vector type S (simd.hpp; conv_input_grad_avx2.cpp and _avx512.cpp build
// it):
//   dX[b, i, c] = sum over taps t whose output o = i + pad - t*dilation lies
//                 inside: sum over f of dY[b, o, f] * K[t, c, f]
// The sum over taps and filters runs with the filters in the lanes; each
// pixel's lanes are added up once at the end. oneDNN's backward-data kernel
// and the im2col gemm (only taps x C = 9 columns) are both slow here: for
// bench case (a) (128x28x28x1 -> 32, 3x3) 2.8 ms against 0.56 ms with
// AVX-512; 2-4x for 2 to 4 channels (Zen 5, 2 threads).
//
// Each input pixel is summed whole, in one fixed order, by one thread: the
// same bits for every thread count. The order is the same at both widths:
// filters go in units of 16 (one AVX-512 vector, two AVX2 ones), each
// pixel's taps add even units into one set of sums and odd units into
// another, and the lanes are added as AVX-512 would (the two halves of 16,
// then 8 -> 4 -> 2 -> 1): the same bits with AVX2 and AVX-512.
#pragma once

#ifndef STRIDE_SIMD_TARGET
#error "define STRIDE_SIMD_TARGET before including conv_input_grad.hpp"
#endif

#include <algorithm>
#include <vector>

#include "kernels/internal.hpp"
#include "kernels/parallel.hpp"
#include "kernels/simd.hpp"
#include "stride/parallel.hpp"

namespace stride::kernels::detail::input_grad {
namespace {

constexpr int kUnit = 16;  // filters per unit: one AVX-512 vector, two AVX2 ones

// The sum of 8 lanes: 8 -> 4 -> 2 -> 1.
STRIDE_SIMD_TARGET inline float sum8(__m256 v) {
  const __m128 quarter = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 pairs = _mm_add_ps(quarter, _mm_movehl_ps(quarter, quarter));
  return _mm_cvtss_f32(_mm_add_ss(pairs, _mm_movehdup_ps(pairs)));
}

// The sum of one unit's lanes, u[w] its kUnit / S::kLanes vectors: the two
// halves of 16 added, then sum8. (AVX-512's halves by zero-masked extracts:
// _mm512_reduce_add_ps and the cast to 256 bits extract with an undefined
// pass-through that GCC 12 warns of.)
template <class S>
STRIDE_SIMD_TARGET inline float unit_sum(const typename S::V* u) {
  if constexpr (S::kLanes == 16) {
    return sum8(_mm256_add_ps(_mm512_maskz_extractf32x8_ps(__mmask8(0xFF), u[0], 0),
                              _mm512_maskz_extractf32x8_ps(__mmask8(0xFF), u[0], 1)));
  } else {
    return sum8(_mm256_add_ps(u[0], u[1]));
  }
}

struct Plan {
  const ConvGeometry& g;
  Dim f_count;
  std::vector<Dim> tap_offset;  // floats from dY at o = i + pad back to tap t's output
  Dim lo_w, hi_w;               // the input columns all of whose kernel columns read inside
};

// The kernel rows (or columns) [lo, hi) whose output lies inside for input
// row (or column) i along axis a: o = i + pad - k * dilation in [0, size).
struct TapRange {
  Dim lo, hi;
};
TapRange tap_range(const ConvGeometry& g, int a, Dim i) {
  const Dim at = i + g.pad_before[a], d = g.dilation[a];
  const Dim past = at - g.output[a] + 1;  // k >= past / d
  const Dim lo = past > 0 ? (past + d - 1) / d : 0;
  const Dim hi = std::min(g.kernel[a], at >= 0 ? at / d + 1 : 0);
  return {lo, std::max(lo, hi)};
}

// P neighbouring pixels of one row, U units of 16 filters, the taps
// rows x cols: `at` is pixel 0's dY[i + pad] as an index from dy_b (itself
// maybe outside dY; the taps read inside), the next pixels' lie U * 16
// floats on; dx points at pixel 0's C gradients.
template <class S, int C, int U, int P>
STRIDE_SIMD_TARGET void gather_pixels(const Plan& plan, const float* dy_b, Dim at, TapRange rows,
                                      TapRange cols, const float* kernel, float* dx) {
  using V = typename S::V;
  constexpr int kFilters = U * kUnit, kW = kUnit / S::kLanes;  // vectors per unit
  // Even units into acc[.][.][0], odd into [1]: two chains of FMAs in
  // flight per pixel, channel and vector.
  V acc[P][C][2][kW];
#pragma GCC unroll 8
  for (int i = 0; i < P; ++i)
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c)
#pragma GCC unroll 2
      for (int w = 0; w < kW; ++w) acc[i][c][0][w] = acc[i][c][1][w] = S::zero();
  const Dim kw_count = plan.g.kernel[2];
  for (Dim kh = rows.lo; kh < rows.hi; ++kh)
    for (Dim t = kh * kw_count + cols.lo; t < kh * kw_count + cols.hi; ++t) {
      const float* dy_t = dy_b + (at - plan.tap_offset[t]);
      const float* k_t = kernel + t * C * kFilters;
#pragma GCC unroll 4
      for (int u = 0; u < U; ++u)
#pragma GCC unroll 2
        for (int w = 0; w < kW; ++w) {
          const int f = u * kUnit + w * S::kLanes;
          V k[C];
#pragma GCC unroll 4
          for (int c = 0; c < C; ++c) k[c] = S::load(k_t + c * kFilters + f);
#pragma GCC unroll 8
          for (int i = 0; i < P; ++i) {
            V d = S::load(dy_t + i * kFilters + f);
            // In a register: GCC would otherwise fold the load into each
            // channel's FMA, C loads of it (1.5x slower with 3 channels, Zen 5).
            if constexpr (C > 1) asm("" : "+v"(d));
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c)
              acc[i][c][u % 2][w] = S::fmadd(d, k[c], acc[i][c][u % 2][w]);
          }
        }
    }
#pragma GCC unroll 8
  for (int i = 0; i < P; ++i)
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      V unit[kW];
#pragma GCC unroll 2
      for (int w = 0; w < kW; ++w) unit[w] = S::add(acc[i][c][0][w], acc[i][c][1][w]);
      dx[i * C + c] = unit_sum<S>(unit);
    }
}

// Pixels per group. AVX-512: 8 x 2 sums for one channel, 4 x C x 2 for
// more (with four channels 3 pixels, which would leave no sum out of the 32
// registers, ran 1.2x slower than 4). AVX2's 16 registers: 3 x 2 x 2 for
// one channel, one pixel for more.
template <class S, int C>
constexpr int kGroup = S::kLanes == 16 ? (C == 1 ? 8 : 4) : (C == 1 ? 3 : 1);

// One input row (image b, row ih): the columns whose every kernel column
// reads inside in groups, the few others one by one with their own taps.
template <class S, int C, int U>
STRIDE_SIMD_TARGET void input_row(const Plan& plan, const float* output_grad, const float* kernel,
                                  Dim b, Dim ih, float* input_grad) {
  constexpr int kFilters = U * kUnit, kP = kGroup<S, C>;
  const ConvGeometry& g = plan.g;
  const Dim width = g.input[2];
  const float* dy_b = output_grad + b * g.output[1] * g.output[2] * kFilters;
  float* dx = input_grad + (b * g.input[1] + ih) * width * C;
  const TapRange rows = tap_range(g, 1, ih);
  // dY[i + pad] of column iw, as an index from dy_b.
  const auto at = [&](Dim iw) {
    return ((ih + g.pad_before[1]) * g.output[2] + iw + g.pad_before[2]) * kFilters;
  };
  const TapRange all_cols{0, g.kernel[2]};
  for (Dim iw = 0; iw < plan.lo_w; ++iw)
    gather_pixels<S, C, U, 1>(plan, dy_b, at(iw), rows, tap_range(g, 2, iw), kernel, dx + iw * C);
  Dim iw = plan.lo_w;
  for (; iw + kP <= plan.hi_w; iw += kP)
    gather_pixels<S, C, U, kP>(plan, dy_b, at(iw), rows, all_cols, kernel, dx + iw * C);
  for (; iw < width; ++iw)
    gather_pixels<S, C, U, 1>(plan, dy_b, at(iw), rows, tap_range(g, 2, iw), kernel, dx + iw * C);
}

template <class S, int C, int U>
void gather_rows(const Plan& plan, const float* output_grad, const float* kernel,
                 float* input_grad) {
  const ConvGeometry& g = plan.g;
  const Dim rows = g.batch * g.input[1];
  const double row_flops = conv_flops(g) / double(rows);  // pieces of ~0.5 MFLOP at least
  const Dim grain = std::max<Dim>(1, Dim(5e5 / std::max(row_flops, 1.0)));
  parallel_for(rows, grain, [&](Dim first, Dim last) {
    for (Dim row = first; row < last; ++row)
      input_row<S, C, U>(plan, output_grad, kernel, row / g.input[1], row % g.input[1], input_grad);
  });
}

// gather_rows for C channels and f_count / 16 units.
template <class S, int C>
void gather_for_filters(const Plan& plan, const float* output_grad, const float* kernel,
                        float* input_grad) {
  switch (plan.f_count / kUnit) {
    case 1:
      return gather_rows<S, C, 1>(plan, output_grad, kernel, input_grad);
    case 2:
      return gather_rows<S, C, 2>(plan, output_grad, kernel, input_grad);
    case 3:
      return gather_rows<S, C, 3>(plan, output_grad, kernel, input_grad);
    default:
      return gather_rows<S, C, 4>(plan, output_grad, kernel, input_grad);
  }
}

// The whole input gradient (conv_input_grad_few_channels's contract,
// internal.hpp).
template <class S>
bool conv_input_grad(const ConvGeometry& g, const float* output_grad, const float* kernel,
                     float* input_grad) {
  const bool unstrided = g.strides[0] == 1 && g.strides[1] == 1 && g.strides[2] == 1;
  const bool two_d = g.input[0] == 1 && g.kernel[0] == 1 && g.pad_before[0] == 0;
  if (g.groups != 1 || g.in_channels < 1 || g.in_channels > 4 || g.out_channels % kUnit != 0 ||
      g.out_channels > 4 * kUnit || !unstrided || !two_d || g.batch * volume(g.output) == 0)
    return false;
  Plan plan{g, g.out_channels, {}, 0, 0};
  for (Dim kh = 0; kh < g.kernel[1]; ++kh)
    for (Dim kw = 0; kw < g.kernel[2]; ++kw)
      plan.tap_offset.push_back((kh * g.dilation[1] * g.output[2] + kw * g.dilation[2]) *
                                g.out_channels);
  // Column iw has every kernel column inside where iw + pad - (K-1)*dilation
  // >= 0 and iw + pad < output width.
  plan.lo_w = std::clamp<Dim>((g.kernel[2] - 1) * g.dilation[2] - g.pad_before[2], 0, g.input[2]);
  plan.hi_w = std::clamp<Dim>(g.output[2] - g.pad_before[2], plan.lo_w, g.input[2]);
  switch (g.in_channels) {
    case 1:
      gather_for_filters<S, 1>(plan, output_grad, kernel, input_grad);
      break;
    case 2:
      gather_for_filters<S, 2>(plan, output_grad, kernel, input_grad);
      break;
    case 3:
      gather_for_filters<S, 3>(plan, output_grad, kernel, input_grad);
      break;
    default:
      gather_for_filters<S, 4>(plan, output_grad, kernel, input_grad);
      break;
  }
  return true;
}

}  // namespace
}  // namespace stride::kernels::detail::input_grad
