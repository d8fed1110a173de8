// Max and average pooling: the reference loops and the fast path, which
// walks output positions row by row, clips each window to the input once per
// position and keeps the channels innermost, in SSE registers where it can.
#include "kernels/pool.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <limits>

#include "kernels/gemm_micro.hpp"
#include "kernels/internal.hpp"
#include "kernels/pool_window.hpp"

namespace stride::kernels {

namespace detail {

namespace {

constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();

inline float max_of(float best, float x) {
  return beats(x, best) ? x : best;
}

// Channels [c0, c0 + 4*V) of one output position from the window
// rd x rh x rw (clipped to the input), held in V SSE registers across the
// taps and stored once (storing to y at every tap took 20% longer on 8
// MNIST images). _mm_max_ps(x, best) is x > best ? x : best, so ties and
// NaNs go as in beats().
#if defined(__SSE2__)
template <int V>
void pool_channels_sse(PoolKind kind, const Spatial& in, Dim channels, const float* in_b, Range rd,
                       Range rh, Range rw, Dim c0, float* y) {
  __m128 acc[V];
  for (int v = 0; v < V; ++v) acc[v] = _mm_set1_ps(kind == PoolKind::kMax ? kMinusInfinity : 0.0f);
  for (Dim id = rd.lo; id < rd.hi; ++id) {
    for (Dim ih = rh.lo; ih < rh.hi; ++ih) {
      for (Dim iw = rw.lo; iw < rw.hi; ++iw) {
        const float* x = in_b + grid_index(in, id, ih, iw) * channels + c0;
        for (int v = 0; v < V; ++v) {
          const __m128 xv = _mm_loadu_ps(x + 4 * v);
          acc[v] = kind == PoolKind::kMax ? _mm_max_ps(xv, acc[v]) : _mm_add_ps(acc[v], xv);
        }
      }
    }
  }
  for (int v = 0; v < V; ++v) _mm_storeu_ps(y + c0 + 4 * v, acc[v]);
}
#endif

// One output position's channels: blocks of 16 and 4 channels in registers
// (SSE2), the rest through y.
void pool_position(PoolKind kind, const Spatial& in, Dim channels, const float* in_b,
                   const PoolWindow& w, float* y) {
  const Range &rd = w.r[0], &rh = w.r[1], &rw = w.r[2];
  Dim c0 = 0;
#if defined(__SSE2__)
  for (; c0 + 16 <= channels; c0 += 16)
    pool_channels_sse<4>(kind, in, channels, in_b, rd, rh, rw, c0, y);
  for (; c0 + 4 <= channels; c0 += 4)
    pool_channels_sse<1>(kind, in, channels, in_b, rd, rh, rw, c0, y);
#endif
  std::fill(y + c0, y + channels, kind == PoolKind::kMax ? kMinusInfinity : 0.0f);
  for (Dim id = rd.lo; id < rd.hi && c0 < channels; ++id) {
    for (Dim ih = rh.lo; ih < rh.hi; ++ih) {
      for (Dim iw = rw.lo; iw < rw.hi; ++iw) {
        const float* x = in_b + grid_index(in, id, ih, iw) * channels;
        if (kind == PoolKind::kMax) {
          for (Dim c = c0; c < channels; ++c) y[c] = max_of(y[c], x[c]);
        } else {
          for (Dim c = c0; c < channels; ++c) y[c] += x[c];
        }
      }
    }
  }
  // An empty window (impossible for valid and SAME geometry) averages to 0.
  if (kind == PoolKind::kAverage && rd.hi > rd.lo && rh.hi > rh.lo && rw.hi > rw.lo) {
    const float divisor = float((rd.hi - rd.lo) * (rh.hi - rh.lo) * (rw.hi - rw.lo));
    for (Dim c = 0; c < channels; ++c) y[c] /= divisor;
  }
}

// Output positions of all images are independent (pool_window.hpp).
void pool_fast(PoolKind kind, const PoolGeometry& g, const float* input, float* output) {
  const Dim channels = g.channels, positions = volume(g.output);
  for_each_pool_window(g, [&](Dim b, Dim position, const PoolWindow& w) {
    pool_position(kind, g.input, channels, input + b * volume(g.input) * channels, w,
                  output + (b * positions + position) * channels);
  });
}

}  // namespace

void pool_forward_reference(PoolKind kind, const PoolGeometry& g, const float* input,
                            float* output) {
  const Spatial &in = g.input, &out = g.output, &w = g.window, &s = g.strides, &pad = g.pad_before;
  Dim o_index = 0;  // (b, od, oh, ow) in output order
  for (Dim b = 0; b < g.batch; ++b) {
    for (Dim od = 0; od < out[0]; ++od) {
      for (Dim oh = 0; oh < out[1]; ++oh) {
        for (Dim ow = 0; ow < out[2]; ++ow, ++o_index) {
          for (Dim c = 0; c < g.channels; ++c) {
            float best = kMinusInfinity;
            double sum = 0.0;
            Dim count = 0;
            for (Dim wd = 0; wd < w[0]; ++wd) {
              for (Dim wh = 0; wh < w[1]; ++wh) {
                for (Dim ww = 0; ww < w[2]; ++ww) {
                  const Dim id = od * s[0] + wd - pad[0];
                  const Dim ih = oh * s[1] + wh - pad[1];
                  const Dim iw = ow * s[2] + ww - pad[2];
                  if (!inside(id, in[0]) || !inside(ih, in[1]) || !inside(iw, in[2])) continue;
                  const float x =
                      input[(b * volume(in) + grid_index(in, id, ih, iw)) * g.channels + c];
                  best = max_of(best, x);
                  sum += x;
                  ++count;
                }
              }
            }
            float& y = output[o_index * g.channels + c];
            if (kind == PoolKind::kMax) {
              y = best;
            } else {
              y = count > 0 ? float(sum / double(count)) : 0.0f;
            }
          }
        }
      }
    }
  }
}

}  // namespace detail

void pool_forward(KernelPath path, PoolKind kind, const PoolGeometry& g, const float* input,
                  float* output) {
  detail::check_pool_geometry(g);
  if (path == KernelPath::kReference) {
    detail::pool_forward_reference(kind, g, input, output);
  } else {
    detail::pool_fast(kind, g, input, output);
  }
}

bool conv_max_pool_forward(const ConvGeometry& g, const PoolGeometry& pool, const float* input,
                           const float* kernel, const float* bias, bool relu, float* output,
                           std::uint8_t* taps) {
  detail::check_conv_geometry(g, "convolution");
  detail::check_pool_geometry(pool);
  // Training's pass is taken only where conv_backward_kernel_relu_pooled
  // takes the backward pass (Conv2D's backward_with_next).
  if (taps && (!detail::windows_are_disjoint(pool) || detail::is_pointwise(g))) return false;
#ifdef STRIDE_X86_KERNELS
  if (!detail::direct_kernels()) return false;
  return (detail::avx512_kernels() &&
          detail::conv_max_pool_avx512(g, pool, input, kernel, bias, relu, output, taps)) ||
         (detail::cpu_has_avx2_fma() &&
          detail::conv_max_pool_avx2(g, pool, input, kernel, bias, relu, output, taps));
#else
  (void)input, (void)kernel, (void)bias, (void)relu, (void)output, (void)taps;
  return false;
#endif
}

}  // namespace stride::kernels
