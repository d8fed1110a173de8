// The input gradient of a first layer (1 to 4 input channels, any stride
// and dilation, 16, 32, 48 or 64 filters), gathered per input pixel: a body
// over the vector type S (simd.hpp; conv_input_grad_avx2.cpp and _avx512.cpp
// build it):
//   dX[b, i, c] = sum over taps t whose output o = (i + pad - t*dilation) / stride
//                 is whole and inside: sum over f of dY[b, o, f] * K[t, c, f]
// The sum over taps and filters runs with the filters in the lanes; each
// pixel's lanes are added up once at the end. oneDNN's backward-data kernel
// and the im2col gemm (only taps x C = 9 columns) are both slow here: for
// bench case (a) (128x28x28x1 -> 32, 3x3) 2.8 ms against 0.56 ms with
// AVX-512; 2-4x for 2 to 4 channels (Zen 5, 2 threads). With stride 2 the
// pixels of one parity share their taps and go in groups like stride 1's.
//
// Each input pixel is summed whole, in one fixed order, by one thread: the
// same bits for every thread count. The order is the same at both widths:
// filters go in units of 16 (one AVX-512 vector, two AVX2 ones), with one
// input channel each pixel's taps add even units into one set of sums and
// odd units into another, and the lanes are added as AVX-512 would (the two
// halves of 16, then 8 -> 4 -> 2 -> 1): the same bits with AVX2 and AVX-512.
#pragma once

#ifndef STRIDE_SIMD_TARGET
#error "define STRIDE_SIMD_TARGET before including conv_input_grad.hpp"
#endif

#include <algorithm>
#include <numeric>
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

// The taps along one axis that reach input position i: kernel positions
// k = first + j*step whose output o = (i + pad - k*dilation) / stride is a
// whole number in [0, size), for j < count; tap j's output is
// o_first - j*o_step.
struct AxisTaps {
  Dim first, step, count, o_first, o_step;
};

// What an axis needs to list its taps: the residue of i + pad modulo the
// stride decides which kernel positions land on whole outputs.
struct Axis {
  Dim kernel, stride, dilation, pad, size;
  Dim step;                  // stride / gcd(stride, dilation)
  std::vector<Dim> k_first;  // for each residue r: the least k with k*dilation % stride == r, or -1

  Axis(const ConvGeometry& g, int a)
      : kernel(g.kernel[a]),
        stride(g.strides[a]),
        dilation(g.dilation[a]),
        pad(g.pad_before[a]),
        size(g.output[a]),
        step(stride / std::gcd(stride, dilation)),
        k_first(stride, -1) {
    for (Dim k = step - 1; k >= 0; --k) k_first[k * dilation % stride] = k;
  }

  AxisTaps taps(Dim i) const {
    const Dim at = i + pad;  // >= 0: pads are never negative here
    const Dim k0 = k_first[at % stride];
    const Dim o_step = step * dilation / stride;
    if (k0 < 0) return {0, step, 0, 0, o_step};
    // o <= size - 1 wants k*dilation >= at - (size-1)*stride; o >= 0 wants k*dilation <= at.
    const Dim past = at - (size - 1) * stride;
    const Dim k_lo = past > 0 ? (past + dilation - 1) / dilation : 0;
    const Dim k_hi = std::min(kernel - 1, at / dilation);
    const Dim first = k_lo > k0 ? k0 + (k_lo - k0 + step - 1) / step * step : k0;
    if (first > k_hi) return {first, step, 0, 0, o_step};
    return {first, step, (k_hi - first) / step + 1, (at - first * dilation) / stride, o_step};
  }
};

struct Plan {
  const ConvGeometry& g;
  Axis rows, cols;
  Dim lo_w, hi_w;  // the input columns all of whose kernel columns' outputs lie inside
  // Each input column's taps, listed once: the same for every row, and
  // listing them per pixel group cost bench (a) 12% (divisions).
  std::vector<AxisTaps> col_taps;
};

// P pixels of one row that share their taps (stride apart; their outputs 1
// apart), U units of 16 filters: dy_b is the image's dY; dx points at pixel
// 0's C gradients, the next pixels' dx_step floats on.
template <class S, int C, int U, int P>
STRIDE_SIMD_TARGET void gather_pixels(const Plan& plan, const float* dy_b, AxisTaps rows,
                                      AxisTaps cols, const float* kernel, float* dx, Dim dx_step) {
  using V = typename S::V;
  constexpr int kFilters = U * kUnit, kW = kUnit / S::kLanes;  // vectors per unit
  // One input channel: even units into acc[.][.][0], odd into [1], for
  // enough chains of FMAs in flight. More channels have chains enough.
  constexpr int kChains = C == 1 ? 2 : 1;
  V acc[P][C][kChains][kW];
#pragma GCC unroll 8
  for (int i = 0; i < P; ++i)
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c)
#pragma GCC unroll 2
      for (int w = 0; w < kW; ++w)
#pragma GCC unroll 2
        for (int h = 0; h < kChains; ++h) acc[i][c][h][w] = S::zero();
  // Where the first tap's dY and kernel rows are, and the steps from one tap
  // to the next along a row of taps and from row to row (indices, not
  // pointers: the last step may lead outside).
  const Dim kw_count = plan.g.kernel[2], out_w = plan.g.output[2];
  const Dim dy_col_step = cols.o_step * kFilters, k_col_step = cols.step * C * kFilters;
  const Dim dy_row_step = rows.o_step * out_w * kFilters;
  const Dim k_row_step = rows.step * kw_count * C * kFilters;
  Dim dy_row = (rows.o_first * out_w + cols.o_first) * kFilters;
  Dim k_row = (rows.first * kw_count + cols.first) * C * kFilters;
  for (Dim jh = 0; jh < rows.count; ++jh, dy_row -= dy_row_step, k_row += k_row_step) {
    Dim dy_at = dy_row, k_at = k_row;
    for (Dim jw = 0; jw < cols.count; ++jw, dy_at -= dy_col_step, k_at += k_col_step) {
      const float* dy_t = dy_b + dy_at;
      const float* k_t = kernel + k_at;
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
              acc[i][c][u % kChains][w] = S::fmadd(d, k[c], acc[i][c][u % kChains][w]);
          }
        }
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < P; ++i)
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      V unit[kW];
#pragma GCC unroll 2
      for (int w = 0; w < kW; ++w)
        unit[w] = kChains == 2 ? S::add(acc[i][c][0][w], acc[i][c][1][w]) : acc[i][c][0][w];
      dx[i * dx_step + c] = unit_sum<S>(unit);
    }
}

// Pixels per group (the most; the rest of a row goes in halves). AVX-512:
// 8 x 2 sums for one channel, 8 x C for two or three, 4 x 4 for four (6 x 4
// ran 1.07x slower, 4 x 4 x 2 spilled). AVX2's 16 registers: 3 x 2 x 2 for
// one channel, 3 x 2 x 2 for two, 2 x 3 x 2 for three, 1 x 4 x 2 for four.
template <class S, int C>
constexpr int kGroup = S::kLanes == 16 ? (C == 4 ? 4 : 8)
                                       : (C <= 2   ? 3
                                          : C == 3 ? 2
                                                   : 1);

// The columns from iw on in blocks of P * stride while they fit below
// hi_w, each block as stride groups of P pixels (one per residue); then the
// rest in groups half the size.
template <class S, int C, int U, int P>
STRIDE_SIMD_TARGET void gather_groups(const Plan& plan, const float* dy_b, AxisTaps rows,
                                      const float* kernel, float* dx, Dim& iw) {
  const Dim s = plan.cols.stride;
  for (; iw + P * s <= plan.hi_w; iw += P * s)
    for (Dim r = 0; r < s; ++r)
      gather_pixels<S, C, U, P>(plan, dy_b, rows, plan.col_taps[iw + r], kernel, dx + (iw + r) * C,
                                s * C);
  if constexpr (P > 1) gather_groups<S, C, U, P / 2>(plan, dy_b, rows, kernel, dx, iw);
}

// One input row (image b, row ih): the columns whose every kernel column
// lands inside in groups that share their taps (gather_groups), the few
// others one by one with their own taps.
template <class S, int C, int U>
STRIDE_SIMD_TARGET void input_row(const Plan& plan, const float* output_grad, const float* kernel,
                                  Dim b, Dim ih, float* input_grad) {
  constexpr int kFilters = U * kUnit;
  const ConvGeometry& g = plan.g;
  const Dim width = g.input[2];
  const float* dy_b = output_grad + b * g.output[1] * g.output[2] * kFilters;
  float* dx = input_grad + (b * g.input[1] + ih) * width * C;
  const AxisTaps rows = plan.rows.taps(ih);
  const auto one = [&](Dim iw) {
    gather_pixels<S, C, U, 1>(plan, dy_b, rows, plan.col_taps[iw], kernel, dx + iw * C, C);
  };
  for (Dim iw = 0; iw < plan.lo_w; ++iw) one(iw);
  Dim iw = plan.lo_w;
  gather_groups<S, C, U, kGroup<S, C>>(plan, dy_b, rows, kernel, dx, iw);
  for (; iw < width; ++iw) one(iw);
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

// gather_rows for C channels and out_channels / 16 units.
template <class S, int C>
void gather_for_filters(const Plan& plan, const float* output_grad, const float* kernel,
                        float* input_grad) {
  switch (plan.g.out_channels / kUnit) {
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
  const bool two_d = g.input[0] == 1 && g.kernel[0] == 1 && g.pad_before[0] == 0;
  if (g.groups != 1 || g.in_channels < 1 || g.in_channels > 4 || g.out_channels % kUnit != 0 ||
      g.out_channels > 4 * kUnit || !two_d || g.pad_before[1] < 0 || g.pad_before[2] < 0 ||
      g.batch * volume(g.output) == 0)
    return false;
  Plan plan{g, Axis(g, 1), Axis(g, 2), 0, 0, {}};
  // Column iw's every kernel column lands inside where iw + pad - (K-1)*dilation
  // >= 0 and iw + pad <= (output width - 1) * stride.
  plan.lo_w = std::clamp<Dim>((g.kernel[2] - 1) * g.dilation[2] - g.pad_before[2], 0, g.input[2]);
  plan.hi_w = std::clamp<Dim>((g.output[2] - 1) * g.strides[2] - g.pad_before[2] + 1, plan.lo_w,
                              g.input[2]);
  for (Dim iw = 0; iw < g.input[2]; ++iw) plan.col_taps.push_back(plan.cols.taps(iw));
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
