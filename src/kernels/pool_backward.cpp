// Pooling gradients: the reference loops (double accumulation) and the fast
// path, which like the forward clips each window once per output position
// and keeps the channel loop innermost. Max pooling finds the argmax with the
// forward's comparison (internal.hpp), so ties go to the first element.
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/internal.hpp"
#include "kernels/parallel.hpp"

namespace stride::kernels {

namespace detail {

namespace {

constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();

// Per channel, the first window tap holding the largest value (ties and
// NaNs as the forward's beats(): a later tap wins only when strictly
// greater). SSE2 compares and blends four channels at once; GCC does not
// if-convert the scalar loop.
void argmax_taps(const float* in_b, const std::vector<Dim>& window, Dim channels, float* best,
                 std::int32_t* best_tap) {
  std::fill(best, best + channels, kMinusInfinity);
  std::fill(best_tap, best_tap + channels, 0);
  for (std::int32_t t = 0; t < std::int32_t(window.size()); ++t) {
    const float* x = in_b + window[t] * channels;
    Dim c = 0;
#if defined(__SSE2__)
    const __m128i tap = _mm_set1_epi32(t);
    for (; c + 4 <= channels; c += 4) {
      const __m128 v = _mm_loadu_ps(x + c), b = _mm_loadu_ps(best + c);
      const __m128 wins = _mm_cmpgt_ps(v, b);  // false for NaN, like beats()
      _mm_storeu_ps(best + c, _mm_or_ps(_mm_and_ps(wins, v), _mm_andnot_ps(wins, b)));
      const __m128i old_tap = _mm_loadu_si128(reinterpret_cast<const __m128i*>(best_tap + c));
      const __m128i mask = _mm_castps_si128(wins);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(best_tap + c),
                       _mm_or_si128(_mm_and_si128(mask, tap), _mm_andnot_si128(mask, old_tap)));
    }
#endif
    for (; c < channels; ++c) {
      if (beats(x[c], best[c])) {
        best[c] = x[c];
        best_tap[c] = t;
      }
    }
  }
}

// dL/dx of pixel dx from one window: dy[c] for the channels whose maximum is
// at tap t, 0 for the others. Added to dx where other windows may share the
// pixel; stored where the window is the pixel's only one.
template <bool kAdd>
void route_to_winners(float* dx, const float* dy, const std::int32_t* best_tap, std::int32_t t,
                      Dim channels) {
  Dim c = 0;
#if defined(__SSE2__)
  const __m128i tap = _mm_set1_epi32(t);
  for (; c + 4 <= channels; c += 4) {
    const __m128i won =
        _mm_cmpeq_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(best_tap + c)), tap);
    const __m128 share = _mm_and_ps(_mm_castsi128_ps(won), _mm_loadu_ps(dy + c));
    _mm_storeu_ps(dx + c, kAdd ? _mm_add_ps(_mm_loadu_ps(dx + c), share) : share);
  }
#endif
  for (; c < channels; ++c) {
    const float share = best_tap[c] == t ? dy[c] : 0.0f;
    dx[c] = kAdd ? dx[c] + share : share;
  }
}

// Whether every input pixel lies in exactly one window (windows that neither
// overlap nor leave gaps, as in the usual 2x2 pooling of an even size): then
// each pixel's gradient is stored once, with no zeroing pass before.
bool windows_tile_input(const PoolGeometry& g) {
  for (int axis = 0; axis < 3; ++axis) {
    const Dim s = g.strides[axis], w = g.window[axis];
    if (s != w || g.pad_before[axis] != 0 || g.output[axis] * s < g.input[axis]) return false;
  }
  return true;
}

void pool_backward_fast(PoolKind kind, const PoolGeometry& g, const float* input,
                        const float* output_grad, float* input_grad) {
  const Dim channels = g.channels;
  const Spatial &in = g.input, &out = g.output;
  const bool tiled = kind == PoolKind::kMax && windows_tile_input(g);
  // Windows of one image may overlap, so images are the pieces shared out.
  parallel_for(g.batch, 1, [&](Dim first, Dim last) {
    if (!tiled)
      std::fill(input_grad + first * volume(in) * channels,
                input_grad + last * volume(in) * channels, 0.0f);
    // Per channel: the best value so far and the window tap holding it (max),
    // or each real element's share of the output gradient (average).
    std::vector<float> best(channels), share(channels);
    std::vector<std::int32_t> best_tap(channels);
    std::vector<Dim> window;
    for (Dim b = first; b < last; ++b) {
      const float* in_b = input + b * volume(in) * channels;
      float* dx_b = input_grad + b * volume(in) * channels;
      const float* dy = output_grad + b * volume(out) * channels;
      for (Dim o = 0; o < volume(out); ++o, dy += channels) {
        const Spatial op = grid_position(out, o);
        Range r[3];
        for (int axis = 0; axis < 3; ++axis) {
          r[axis] = clip(op[axis], g.strides[axis], g.pad_before[axis], g.window[axis], in[axis]);
        }
        if (r[0].lo >= r[0].hi || r[1].lo >= r[1].hi || r[2].lo >= r[2].hi) continue;  // no real
        if (kind == PoolKind::kMax) {
          // The window's pixels, then a branch-free argmax over them per
          // channel (it vectorizes): the first strictly greater value wins.
          window.clear();
          for (Dim id = r[0].lo; id < r[0].hi; ++id)
            for (Dim ih = r[1].lo; ih < r[1].hi; ++ih)
              for (Dim iw = r[2].lo; iw < r[2].hi; ++iw)
                window.push_back(grid_index(in, id, ih, iw));
          argmax_taps(in_b, window, channels, best.data(), best_tap.data());
          // Each tap's pixel takes the gradient of the channels it won: one
          // contiguous pass per tap instead of a scatter.
          for (std::int32_t t = 0; t < std::int32_t(window.size()); ++t) {
            float* dx = dx_b + window[t] * channels;
            if (tiled)
              route_to_winners<false>(dx, dy, best_tap.data(), t, channels);
            else
              route_to_winners<true>(dx, dy, best_tap.data(), t, channels);
          }
        } else {
          const float count =
              float((r[0].hi - r[0].lo) * (r[1].hi - r[1].lo) * (r[2].hi - r[2].lo));
          for (Dim c = 0; c < channels; ++c) share[c] = dy[c] / count;
          for (Dim id = r[0].lo; id < r[0].hi; ++id) {
            for (Dim ih = r[1].lo; ih < r[1].hi; ++ih) {
              for (Dim iw = r[2].lo; iw < r[2].hi; ++iw) {
                float* dx = dx_b + grid_index(in, id, ih, iw) * channels;
                for (Dim c = 0; c < channels; ++c) dx[c] += share[c];
              }
            }
          }
        }
      }
    }
  });
}

}  // namespace

void pool_backward_reference(PoolKind kind, const PoolGeometry& g, const float* input,
                             const float* output_grad, float* input_grad) {
  const Spatial &in = g.input, &out = g.output, &w = g.window, &s = g.strides, &pad = g.pad_before;
  const Dim channels = g.channels;
  std::vector<double> sum(g.batch * volume(in) * channels, 0.0);
  std::vector<Dim> window;  // indices into input of one window's real elements, in scan order
  Dim o_index = 0;          // (b, od, oh, ow) in output order
  for (Dim b = 0; b < g.batch; ++b) {
    for (Dim od = 0; od < out[0]; ++od) {
      for (Dim oh = 0; oh < out[1]; ++oh) {
        for (Dim ow = 0; ow < out[2]; ++ow, ++o_index) {
          for (Dim c = 0; c < channels; ++c) {
            window.clear();
            for (Dim wd = 0; wd < w[0]; ++wd) {
              for (Dim wh = 0; wh < w[1]; ++wh) {
                for (Dim ww = 0; ww < w[2]; ++ww) {
                  const Dim id = od * s[0] + wd - pad[0];
                  const Dim ih = oh * s[1] + wh - pad[1];
                  const Dim iw = ow * s[2] + ww - pad[2];
                  if (!inside(id, in[0]) || !inside(ih, in[1]) || !inside(iw, in[2])) continue;
                  window.push_back((b * volume(in) + grid_index(in, id, ih, iw)) * channels + c);
                }
              }
            }
            if (window.empty()) continue;
            const double dy = output_grad[o_index * channels + c];
            if (kind == PoolKind::kMax) {
              Dim arg = window.front();
              float best = kMinusInfinity;
              for (Dim i : window) {
                if (beats(input[i], best)) {
                  best = input[i];
                  arg = i;
                }
              }
              sum[arg] += dy;
            } else {
              for (Dim i : window) sum[i] += dy / double(window.size());
            }
          }
        }
      }
    }
  }
  for (std::size_t i = 0; i < sum.size(); ++i) input_grad[i] = float(sum[i]);
}

}  // namespace detail

void pool_backward(KernelPath path, PoolKind kind, const PoolGeometry& g, const float* input,
                   const float* output_grad, float* input_grad) {
  detail::check_pool_geometry(g);
  if (path == KernelPath::kReference) {
    detail::pool_backward_reference(kind, g, input, output_grad, input_grad);
  } else {
    detail::pool_backward_fast(kind, g, input, output_grad, input_grad);
  }
}

}  // namespace stride::kernels
