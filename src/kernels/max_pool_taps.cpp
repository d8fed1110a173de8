// Max pooling for training: the forward records each output's winning tap
// (one byte per output value), so that the gradient routes dL/doutput
// without reading the input again. In the MNIST convnet the first pooling's
// input is the largest tensor of the step (11 MB at batch 128); re-reading
// it to find the maxima made the gradient memory-bound.
//
// A tap is an element's index in its full window, depth-major:
// (wd * window_h + wh) * window_w + ww, so windows of up to 256 elements fit
// a byte. Ties and NaNs go as beats() decides (internal.hpp): a later tap
// wins only when strictly greater, and a window where none wins keeps its
// first real element, as pool_backward does.
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/internal.hpp"
#include "kernels/parallel.hpp"
#include "kernels/pool.hpp"
#include "kernels/pool_window.hpp"

namespace stride::kernels {

namespace {

using detail::beats;
using detail::grid_index;
using detail::PoolWindow;
using detail::volume;

constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();

// Calls visit(element index, tap) for the window's real elements in scan
// order.
template <class Visit>
void for_each_tap(const PoolGeometry& g, const PoolWindow& w, Visit&& visit) {
  const Spatial& in = g.input;
  for (Dim id = w.r[0].lo; id < w.r[0].hi; ++id)
    for (Dim ih = w.r[1].lo; ih < w.r[1].hi; ++ih) {
      const Dim row_tap = ((id - w.start[0]) * g.window[1] + ih - w.start[1]) * g.window[2];
      for (Dim iw = w.r[2].lo; iw < w.r[2].hi; ++iw)
        visit(grid_index(in, id, ih, iw), int(row_tap + iw - w.start[2]));
    }
}

int first_tap(const PoolGeometry& g, const PoolWindow& w) {
  return int(((w.r[0].lo - w.start[0]) * g.window[1] + w.r[1].lo - w.start[1]) * g.window[2] +
             w.r[2].lo - w.start[2]);
}

// Channels [c0, c0 + W) of one output: max into y, winning tap into taps.
// W = 16 or 4 in SSE registers (value and tap per channel), W = 1 scalar.
template <int W>
void max_with_taps(const PoolGeometry& g, const PoolWindow& w, const float* in_b, Dim c0, float* y,
                   std::uint8_t* taps) {
  const Dim channels = g.channels;
  const int first = first_tap(g, w);
#if defined(__SSE2__)
  if constexpr (W >= 4) {
    constexpr int V = W / 4;
    __m128 best[V];
    __m128i best_tap[V];
    for (int v = 0; v < V; ++v)
      best[v] = _mm_set1_ps(kMinusInfinity), best_tap[v] = _mm_set1_epi32(first);
    for_each_tap(g, w, [&](Dim element, int t) {
      const float* x = in_b + element * channels + c0;
      const __m128i tap = _mm_set1_epi32(t);
      for (int v = 0; v < V; ++v)
        detail::argmax_step(_mm_loadu_ps(x + 4 * v), tap, best[v], best_tap[v]);
    });
    for (int v = 0; v < V; ++v) _mm_storeu_ps(y + c0 + 4 * v, best[v]);
    // Taps (0..255) narrowed to bytes with saturating packs.
    if constexpr (V == 4) {
      const __m128i low = _mm_packs_epi32(best_tap[0], best_tap[1]),
                    high = _mm_packs_epi32(best_tap[2], best_tap[3]);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(taps + c0), _mm_packus_epi16(low, high));
    } else {
      const __m128i words = _mm_packs_epi32(best_tap[0], best_tap[0]);
      const std::int32_t four = _mm_cvtsi128_si32(_mm_packus_epi16(words, words));
      std::memcpy(taps + c0, &four, sizeof four);
    }
    return;
  }
#endif
  static_assert(W == 1 || W % 4 == 0);
  for (Dim c = c0; c < c0 + W; ++c) {
    float best = kMinusInfinity;
    int best_tap = first;
    for_each_tap(g, w, [&](Dim element, int t) {
      const float x = in_b[element * channels + c];
      if (beats(x, best)) best = x, best_tap = t;
    });
    y[c] = best;
    taps[c] = std::uint8_t(best_tap);
  }
}

}  // namespace

bool max_pool_taps_fit(const PoolGeometry& g) {
  return volume(g.window) <= 256;
}

void max_pool_forward_taps(const PoolGeometry& g, const float* input, float* output,
                           std::uint8_t* taps) {
  detail::check_pool_geometry(g);
  const Dim channels = g.channels, positions = volume(g.output);
  detail::for_each_pool_window(g, [&](Dim b, Dim position, const PoolWindow& w) {
    const float* in_b = input + b * volume(g.input) * channels;
    const Dim at = (b * positions + position) * channels;
    if (w.empty()) {  // impossible for valid and SAME geometry
      std::fill(output + at, output + at + channels, kMinusInfinity);
      std::fill(taps + at, taps + at + channels, std::uint8_t(0));
      return;
    }
    Dim c0 = 0;
#if defined(__SSE2__)
    for (; c0 + 16 <= channels; c0 += 16) max_with_taps<16>(g, w, in_b, c0, output + at, taps + at);
    for (; c0 + 4 <= channels; c0 += 4) max_with_taps<4>(g, w, in_b, c0, output + at, taps + at);
#endif
    for (; c0 < channels; ++c0) max_with_taps<1>(g, w, in_b, c0, output + at, taps + at);
  });
}

namespace {

// dx of one pixel's channels [c0, c0 + W) from one window: dy where the
// window's tap t won, else 0 (W = 16 or 4 with SSE2, W = 1 scalar).
template <int W>
void store_where_won(const std::uint8_t* taps, const float* dy, int t, float* dx) {
#if defined(__SSE2__)
  if constexpr (W >= 4) {
    const __m128i tap = _mm_set1_epi8(char(t));
    __m128i bytes;
    if constexpr (W == 16) {
      bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(taps));
    } else {
      std::int32_t four;
      std::memcpy(&four, taps, sizeof four);
      bytes = _mm_cvtsi32_si128(four);
    }
    // Byte masks widened to 32-bit lanes: channel c's 0xff.. or 0.
    const __m128i won = _mm_cmpeq_epi8(bytes, tap);
    const __m128i low = _mm_unpacklo_epi8(won, won), high = _mm_unpackhi_epi8(won, won);
    const __m128i lanes[4] = {_mm_unpacklo_epi16(low, low), _mm_unpackhi_epi16(low, low),
                              _mm_unpacklo_epi16(high, high), _mm_unpackhi_epi16(high, high)};
    for (int v = 0; v < W / 4; ++v)
      _mm_storeu_ps(dx + 4 * v, _mm_and_ps(_mm_castsi128_ps(lanes[v]), _mm_loadu_ps(dy + 4 * v)));
    return;
  }
#endif
  static_assert(W == 1 || W % 4 == 0);
  for (int c = 0; c < W; ++c) dx[c] = taps[c] == t ? dy[c] : 0.0f;
}

}  // namespace

void max_pool_backward_taps(const PoolGeometry& g, const std::uint8_t* taps,
                            const float* output_grad, float* input_grad) {
  detail::check_pool_geometry(g);
  const Dim channels = g.channels, positions = volume(g.output), pixels = volume(g.input);
  if (detail::windows_are_disjoint(g)) {
    // Each pixel lies in one window at most: stored once, by any thread.
    detail::for_each_pool_window(g, [&](Dim b, Dim position, const PoolWindow& w) {
      const Dim at = (b * positions + position) * channels;
      float* dx_b = input_grad + b * pixels * channels;
      for_each_tap(g, w, [&](Dim element, int t) {
        float* dx = dx_b + element * channels;
        Dim c = 0;
#if defined(__SSE2__)
        for (; c + 16 <= channels; c += 16)
          store_where_won<16>(taps + at + c, output_grad + at + c, t, dx + c);
        for (; c + 4 <= channels; c += 4)
          store_where_won<4>(taps + at + c, output_grad + at + c, t, dx + c);
#endif
        for (; c < channels; ++c)
          store_where_won<1>(taps + at + c, output_grad + at + c, t, dx + c);
      });
    });
    parallel_for(g.batch, 16, [&](Dim first, Dim last) {
      for (Dim b = first; b < last; ++b)
        detail::zero_unread_tail(g, input_grad + b * pixels * channels);
    });
    return;
  }
  // Overlapping or padded windows: images are the pieces, since windows of
  // one image may share pixels; each pixel's gradient is the sum of its
  // windows' in output order, as pool_backward adds them.
  const Spatial& window = g.window;
  parallel_for(g.batch, 1, [&](Dim first, Dim last) {
    std::fill(input_grad + first * pixels * channels, input_grad + last * pixels * channels, 0.0f);
    for (Dim b = first; b < last; ++b) {
      float* dx_b = input_grad + b * pixels * channels;
      for (Dim position = 0; position < positions; ++position) {
        const Dim at = (b * positions + position) * channels;
        const Spatial op = detail::grid_position(g.output, position);
        for (Dim c = 0; c < channels; ++c) {
          const int t = taps[at + c];
          const Dim id = op[0] * g.strides[0] - g.pad_before[0] + t / (window[1] * window[2]);
          const Dim ih = op[1] * g.strides[1] - g.pad_before[1] + t / window[2] % window[1];
          const Dim iw = op[2] * g.strides[2] - g.pad_before[2] + t % window[2];
          if (!detail::inside(id, g.input[0]) || !detail::inside(ih, g.input[1]) ||
              !detail::inside(iw, g.input[2]))
            continue;  // a window without real elements (not valid or SAME geometry)
          dx_b[grid_index(g.input, id, ih, iw) * channels + c] += output_grad[at + c];
        }
      }
    }
  });
}

}  // namespace stride::kernels
