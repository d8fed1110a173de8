// The input gradient of a first layer (1 to 4 input channels, stride 1,
// 16, 32, 48 or 64 filters) with AVX-512, gathered per input pixel:
//   dX[b, i, c] = sum over taps t whose output o = i + pad - t*dilation lies
//                 inside: sum over f of dY[b, o, f] * K[t, c, f]
// The sum over taps and filters runs with the filters in the lanes; each
// pixel's lanes are added up once at the end. oneDNN's backward-data kernel
// and the im2col gemm (only taps x C = 9 columns) are both slow here: for
// bench case (a) (128x28x28x1 -> 32, 3x3) 2.8 ms against 0.56 ms; 2-4x for
// 2 to 4 channels (Zen 5, 2 threads).
//
// Each input pixel is summed whole, in one fixed order (taps, then filter
// vectors in two alternating sums, then the lanes), by one thread: the same
// bits for every thread count.
#include <algorithm>
#include <vector>

#include "kernels/internal.hpp"
#include "kernels/parallel.hpp"
#include "kernels/simd.hpp"
#include "stride/parallel.hpp"

namespace stride::kernels::detail {
namespace {

using S = simd::Avx512;
using V = S::V;
constexpr int kLanes = S::kLanes;

// The sum of v's lanes, halves added in a fixed order (a fixed tree):
// _mm512_reduce_add_ps and the cast to 256 bits extract with an undefined
// pass-through that GCC 12 warns of; the zero-masked extracts do not.
STRIDE_TARGET_AVX512 inline float lane_sum(V v) {
  const __m256 half = _mm256_add_ps(_mm512_maskz_extractf32x8_ps(__mmask8(0xFF), v, 0),
                                    _mm512_maskz_extractf32x8_ps(__mmask8(0xFF), v, 1));
  const __m128 quarter = _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
  const __m128 pairs = _mm_add_ps(quarter, _mm_movehl_ps(quarter, quarter));
  return _mm_cvtss_f32(_mm_add_ss(pairs, _mm_movehdup_ps(pairs)));
}

struct Plan {
  const ConvGeometry& g;
  Dim taps, f_count;
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

// P neighbouring pixels of one row, NV vectors of filters, the taps
// rows x cols: `at` is pixel 0's dY[i + pad] as an index from dy_b (itself
// maybe outside dY; the taps read inside), the next pixels' lie NV * 16
// floats on; dx points at pixel 0's C gradients.
template <int C, int NV, int P>
STRIDE_TARGET_AVX512 void gather_pixels(const Plan& plan, const float* dy_b, Dim at, TapRange rows,
                                        TapRange cols, const float* kernel, float* dx) {
  constexpr int kFilters = NV * kLanes;
  // Even filter vectors into acc[.][.][0], odd into [1]: two chains of FMAs
  // in flight per pixel and channel.
  V acc[P][C][2];
#pragma GCC unroll 8
  for (int i = 0; i < P; ++i)
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) acc[i][c][0] = acc[i][c][1] = S::zero();
  const Dim kw_count = plan.g.kernel[2];
  for (Dim kh = rows.lo; kh < rows.hi; ++kh)
    for (Dim t = kh * kw_count + cols.lo; t < kh * kw_count + cols.hi; ++t) {
      const float* dy_t = dy_b + (at - plan.tap_offset[t]);
      const float* k_t = kernel + t * C * kFilters;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        V k[C];
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) k[c] = S::load(k_t + c * kFilters + v * kLanes);
#pragma GCC unroll 8
        for (int i = 0; i < P; ++i) {
          V d = S::load(dy_t + i * kFilters + v * kLanes);
          // In a register: GCC would otherwise fold the load into each
          // channel's FMA, C loads of it (1.5x slower with 3 channels, Zen 5).
          if constexpr (C > 1) asm("" : "+v"(d));
#pragma GCC unroll 4
          for (int c = 0; c < C; ++c) acc[i][c][v % 2] = S::fmadd(d, k[c], acc[i][c][v % 2]);
        }
      }
    }
#pragma GCC unroll 8
  for (int i = 0; i < P; ++i)
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) dx[i * C + c] = lane_sum(S::add(acc[i][c][0], acc[i][c][1]));
}

// Pixels per group: 8 x 2 sums for one channel, 4 x C x 2 for more (with
// four channels 3 pixels, which would leave no sum out of registers, ran
// 1.2x slower than 4).
template <int C>
constexpr int kGroup = C == 1 ? 8 : 4;

// One input row (image b, row ih): the columns whose every kernel column
// reads inside in groups, the few others one by one with their own taps.
template <int C, int NV>
STRIDE_TARGET_AVX512 void input_row(const Plan& plan, const float* output_grad, const float* kernel,
                                    Dim b, Dim ih, float* input_grad) {
  constexpr int kFilters = NV * kLanes;
  const ConvGeometry& g = plan.g;
  const Dim width = g.input[2];
  const float* dy_b = output_grad + b * g.output[1] * g.output[2] * kFilters;
  float* dx = input_grad + (b * g.input[1] + ih) * width * C;
  const TapRange rows = tap_range(g, 1, ih);
  // dY[i + pad] of column iw, as an index from dy_b.
  const auto at = [&](Dim iw) {
    return ((ih + g.pad_before[1]) * g.output[2] + iw + g.pad_before[2]) * kFilters;
  };
  const auto one = [&](Dim iw) {
    gather_pixels<C, NV, 1>(plan, dy_b, at(iw), rows, tap_range(g, 2, iw), kernel, dx + iw * C);
  };
  const TapRange all_cols{0, g.kernel[2]};
  for (Dim iw = 0; iw < plan.lo_w; ++iw) one(iw);
  Dim iw = plan.lo_w;
  for (; iw + kGroup<C> <= plan.hi_w; iw += kGroup<C>)
    gather_pixels<C, NV, kGroup<C>>(plan, dy_b, at(iw), rows, all_cols, kernel, dx + iw * C);
  for (; iw < width; ++iw) one(iw);
}

template <int C, int NV>
void gather_input_grad(const Plan& plan, const float* output_grad, const float* kernel,
                       float* input_grad) {
  const ConvGeometry& g = plan.g;
  const Dim rows = g.batch * g.input[1];
  const double row_flops = 2.0 * double(g.input[2] * C * plan.taps * NV * kLanes);
  const Dim grain = std::max<Dim>(1, Dim(5e5 / std::max(row_flops, 1.0)));
  parallel_for(rows, grain, [&](Dim first, Dim last) {
    for (Dim row = first; row < last; ++row)
      input_row<C, NV>(plan, output_grad, kernel, row / g.input[1], row % g.input[1], input_grad);
  });
}

// gather_input_grad for C channels and f_count / 16 filter vectors.
template <int C>
void gather_for_filters(const Plan& plan, const float* output_grad, const float* kernel,
                        float* input_grad) {
  switch (plan.f_count / kLanes) {
    case 1:
      return gather_input_grad<C, 1>(plan, output_grad, kernel, input_grad);
    case 2:
      return gather_input_grad<C, 2>(plan, output_grad, kernel, input_grad);
    case 3:
      return gather_input_grad<C, 3>(plan, output_grad, kernel, input_grad);
    default:
      return gather_input_grad<C, 4>(plan, output_grad, kernel, input_grad);
  }
}

}  // namespace

bool conv_input_grad_few_channels_avx512(const ConvGeometry& g, const float* output_grad,
                                         const float* kernel, float* input_grad) {
  const bool unstrided = g.strides[0] == 1 && g.strides[1] == 1 && g.strides[2] == 1;
  const bool two_d = g.input[0] == 1 && g.kernel[0] == 1 && g.pad_before[0] == 0;
  if (g.groups != 1 || g.in_channels < 1 || g.in_channels > 4 || g.out_channels % kLanes != 0 ||
      g.out_channels > 4 * kLanes || !unstrided || !two_d || g.batch * volume(g.output) == 0)
    return false;
  Plan plan{g, g.kernel[1] * g.kernel[2], g.out_channels, {}, 0, 0};
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
      gather_for_filters<1>(plan, output_grad, kernel, input_grad);
      break;
    case 2:
      gather_for_filters<2>(plan, output_grad, kernel, input_grad);
      break;
    case 3:
      gather_for_filters<3>(plan, output_grad, kernel, input_grad);
      break;
    default:
      gather_for_filters<4>(plan, output_grad, kernel, input_grad);
      break;
  }
  return true;
}

}  // namespace stride::kernels::detail
