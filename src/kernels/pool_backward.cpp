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

// Max pooling's gradient for channels [c0, c0 + W) of one window rd x rh x rw
// (clipped to the input): each channel's first tap holding its largest value
// (beats(): a later tap wins only when strictly greater, so NaNs never win
// and a window without a winner routes to its first tap, as the reference
// does) gets dy, the window's other pixels 0. Added to dx where windows may
// share pixels (kAdd), stored where each pixel has one window. W = 16 or 4
// channels are held in SSE registers (value and tap) over the window; W = 1
// is the scalar remainder.
template <int W, bool kAdd>
void route_max(const Spatial& in, Dim channels, const float* in_b, Range rd, Range rh, Range rw,
               Dim c0, const float* dy, float* dx_b) {
  const auto for_each_tap = [&](auto visit) {
    std::int32_t t = 0;
    for (Dim id = rd.lo; id < rd.hi; ++id)
      for (Dim ih = rh.lo; ih < rh.hi; ++ih)
        for (Dim iw = rw.lo; iw < rw.hi; ++iw, ++t)
          visit(grid_index(in, id, ih, iw) * channels + c0, t);
  };
#if defined(__SSE2__)
  if constexpr (W >= 4) {
    constexpr int V = W / 4;
    __m128 best[V];
    __m128i best_tap[V];
    for (int v = 0; v < V; ++v)
      best[v] = _mm_set1_ps(kMinusInfinity), best_tap[v] = _mm_setzero_si128();
    for_each_tap([&](Dim at, std::int32_t t) {
      const __m128i tap = _mm_set1_epi32(t);
      for (int v = 0; v < V; ++v)
        argmax_step(_mm_loadu_ps(in_b + at + 4 * v), tap, best[v], best_tap[v]);
    });
    for_each_tap([&](Dim at, std::int32_t t) {
      const __m128i tap = _mm_set1_epi32(t);
      for (int v = 0; v < V; ++v) {
        const __m128 won = _mm_castsi128_ps(_mm_cmpeq_epi32(best_tap[v], tap));
        const __m128 share = _mm_and_ps(won, _mm_loadu_ps(dy + c0 + 4 * v));
        float* dx = dx_b + at + 4 * v;
        _mm_storeu_ps(dx, kAdd ? _mm_add_ps(_mm_loadu_ps(dx), share) : share);
      }
    });
    return;
  }
#endif
  static_assert(W == 1 || W % 4 == 0);
  for (Dim c = 0; c < W; ++c) {
    float best = kMinusInfinity;
    std::int32_t best_tap = 0;
    for_each_tap([&](Dim at, std::int32_t t) {
      if (beats(in_b[at + c], best)) best = in_b[at + c], best_tap = t;
    });
    for_each_tap([&](Dim at, std::int32_t t) {
      const float share = t == best_tap ? dy[c0 + c] : 0.0f;
      float& dx = dx_b[at + c];
      dx = kAdd ? dx + share : share;
    });
  }
}

// All channels of one max window: blocks of 16 and 4, then one at a time.
template <bool kAdd>
void route_max_window(const Spatial& in, Dim channels, const float* in_b, Range rd, Range rh,
                      Range rw, const float* dy, float* dx_b) {
  Dim c0 = 0;
#if defined(__SSE2__)
  for (; c0 + 16 <= channels; c0 += 16)
    route_max<16, kAdd>(in, channels, in_b, rd, rh, rw, c0, dy, dx_b);
  for (; c0 + 4 <= channels; c0 += 4)
    route_max<4, kAdd>(in, channels, in_b, rd, rh, rw, c0, dy, dx_b);
#endif
  for (; c0 < channels; ++c0) route_max<1, kAdd>(in, channels, in_b, rd, rh, rw, c0, dy, dx_b);
}

// Windows walked row by row of output positions (depth and height clipped
// once per row, no division per position); windows of one image may
// overlap, so images are the pieces shared out.
void pool_backward_fast(PoolKind kind, const PoolGeometry& g, const float* input,
                        const float* output_grad, float* input_grad) {
  const Dim channels = g.channels;
  const Spatial &in = g.input, &out = g.output;
  const bool disjoint = kind == PoolKind::kMax && windows_are_disjoint(g);
  const auto window_range = [&](int axis, Dim o) {
    return clip(o, g.strides[axis], g.pad_before[axis], g.window[axis], in[axis]);
  };
  parallel_for(g.batch, 1, [&](Dim first, Dim last) {
    if (!disjoint)
      std::fill(input_grad + first * volume(in) * channels,
                input_grad + last * volume(in) * channels, 0.0f);
    std::vector<float> share(channels);  // average: each real element's share of dy
    for (Dim b = first; b < last; ++b) {
      const float* in_b = input + b * volume(in) * channels;
      float* dx_b = input_grad + b * volume(in) * channels;
      const float* dy = output_grad + b * volume(out) * channels;
      if (disjoint) zero_unread_tail(g, dx_b);
      for (Dim row = 0; row < out[0] * out[1]; ++row) {
        const Range rd = window_range(0, row / out[1]), rh = window_range(1, row % out[1]);
        for (Dim ow = 0; ow < out[2]; ++ow, dy += channels) {
          const Range rw = window_range(2, ow);
          if (rd.lo >= rd.hi || rh.lo >= rh.hi || rw.lo >= rw.hi) continue;  // no real element
          if (kind == PoolKind::kMax) {
            if (disjoint)
              route_max_window<false>(in, channels, in_b, rd, rh, rw, dy, dx_b);
            else
              route_max_window<true>(in, channels, in_b, rd, rh, rw, dy, dx_b);
            continue;
          }
          const float count = float((rd.hi - rd.lo) * (rh.hi - rh.lo) * (rw.hi - rw.lo));
          for (Dim c = 0; c < channels; ++c) share[c] = dy[c] / count;
          for (Dim id = rd.lo; id < rd.hi; ++id) {
            for (Dim ih = rh.lo; ih < rh.hi; ++ih) {
              for (Dim iw = rw.lo; iw < rw.hi; ++iw) {
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

// See internal.hpp.
bool windows_are_disjoint(const PoolGeometry& g) {
  for (int axis = 0; axis < 3; ++axis)
    if (g.strides[axis] != g.window[axis] || g.pad_before[axis] != 0) return false;
  return true;
}

// The pixels of one image past the last window on some axis.
void zero_unread_tail(const PoolGeometry& g, float* dx_b) {
  const Spatial& in = g.input;
  Spatial read;  // pixels [0, read) of each axis lie in a window
  for (int axis = 0; axis < 3; ++axis)
    read[axis] = std::min(in[axis], g.output[axis] * g.strides[axis]);
  if (read == in) return;
  const Dim channels = g.channels;
  for (Dim id = 0; id < in[0]; ++id) {
    for (Dim ih = 0; ih < in[1]; ++ih) {
      const Dim from = id < read[0] && ih < read[1] ? read[2] : 0;
      std::fill(dx_b + grid_index(in, id, ih, from) * channels,
                dx_b + grid_index(in, id, ih, in[2]) * channels, 0.0f);
    }
  }
}

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
