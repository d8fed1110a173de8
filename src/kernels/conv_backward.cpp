// Convolution gradients, fast path. The im2col forward is a gemm
// Y = cols * K per band of output pixels, so its gradients are the two other
// products: dK = cols^T * dY (with the band's cols lowered again) and
// dcols = dY * K^T, scattered back onto the input by col2im. Pointwise
// convolutions skip the lowering; depthwise ones use a direct loop like their
// forward. Transposed convolution is a convolution with input and output
// swapped, so its gradients reuse these.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/activation.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_micro.hpp"
#include "kernels/internal.hpp"
#include "kernels/onednn.hpp"
#include "kernels/parallel.hpp"
#include "stride/parallel.hpp"
#ifdef STRIDE_X86_KERNELS
#include "kernels/simd.hpp"
#endif

namespace stride::kernels {

namespace detail {

bool conv_backward_kernel_direct(const ConvGeometry& g, const float* input,
                                 const float* output_grad, float* kernel_grad,
                                 const LineGradients* lines, float* bias_grad) {
#ifdef STRIDE_X86_KERNELS
  if (avx512_kernels())
    return conv_backward_kernel_avx512(g, input, output_grad, kernel_grad, lines, bias_grad);
  return cpu_has_avx2_fma() &&
         conv_backward_kernel_avx2(g, input, output_grad, kernel_grad, lines, bias_grad);
#else
  (void)g, (void)input, (void)output_grad, (void)kernel_grad, (void)lines, (void)bias_grad;
  return false;
#endif
}

bool conv_winograd_kernel_grad(const ConvGeometry& g, const float* input, const float* output_grad,
                               float* kernel_grad) {
#ifdef STRIDE_X86_KERNELS
  return (avx512_kernels() &&
          conv_winograd_kernel_grad_avx512(g, input, output_grad, kernel_grad)) ||
         (cpu_has_avx2_fma() && conv_winograd_kernel_grad_avx2(g, input, output_grad, kernel_grad));
#else
  (void)g, (void)input, (void)output_grad, (void)kernel_grad;
  return false;
#endif
}

bool conv_input_grad_few_channels(const ConvGeometry& g, const float* output_grad,
                                  const float* kernel, float* input_grad) {
#ifdef STRIDE_X86_KERNELS
  if (avx512_kernels())
    return conv_input_grad_few_channels_avx512(g, output_grad, kernel, input_grad);
  return cpu_has_avx2_fma() &&
         conv_input_grad_few_channels_avx2(g, output_grad, kernel, input_grad);
#else
  (void)g, (void)output_grad, (void)kernel, (void)input_grad;
  return false;
#endif
}

}  // namespace detail

namespace {

using detail::grid_index;
using detail::grid_position;
using detail::im2col;
using detail::inside;
using detail::volume;

// How many partial sums a kernel gradient is split into (at most): enough for
// the cores of small machines, few enough that adding them up is cheap.
constexpr Dim kKernelGradChunks = 8;

bool is_depthwise(const ConvGeometry& g) {
  return g.groups == g.in_channels && g.groups > 1;
}

// The inverse of im2col: adds each (tap, channel) value of output pixels
// [first, first + rows) to the input pixel that tap reads, channel
// group*Cg + c; taps in the padding are dropped.
void col2im(const ConvGeometry& g, const float* cols, Dim group, Dim first, Dim rows,
            float* in_grad_b) {
  const Dim cin = g.in_channels, cg = cin / g.groups;
  detail::for_each_band_tap(g, first, rows, [&](Dim pixel) {
    if (pixel >= 0) {
      float* x = in_grad_b + pixel * cin + group * cg;
      for (Dim c = 0; c < cg; ++c) x[c] += cols[c];
    }
    cols += cg;
  });
}

void backward_input_im2col(const ConvGeometry& g, const float* output_grad, const float* kernel,
                           float* input_grad) {
  const Dim cg = g.in_channels / g.groups, fg = g.out_channels / g.groups, f_count = g.out_channels;
  const Dim pixels = volume(g.output), row_length = volume(g.kernel) * cg;
  const Dim in_size = volume(g.input) * g.in_channels;
  std::fill(input_grad, input_grad + g.batch * in_size, 0.0f);
  if (pixels == 0) return;
  // Bands of one image add into overlapping input pixels: one task per
  // image, its bands in order (the gemm inside shares out a lone image), so
  // bands only bound the scratch.
  const Dim band = detail::scratch_rows(row_length, pixels);
  parallel_for(g.batch, 1, [&](Dim first_image, Dim last_image) {
    thread_local std::vector<float> cols;
    if (Dim(cols.size()) < band * row_length) cols.resize(band * row_length);
    for (Dim b = first_image; b < last_image; ++b) {
      const float* dy_b = output_grad + b * pixels * f_count;
      for (Dim group = 0; group < g.groups; ++group) {
        for (Dim first = 0; first < pixels; first += band) {
          const Dim rows = std::min(band, pixels - first);
          // (rows, Fg) x (Fg, taps*Cg): the group's kernel columns, transposed.
          gemm(KernelPath::kFast, Transpose::kNo, Transpose::kYes, rows, row_length, fg,
               dy_b + first * f_count + group * fg, f_count, kernel + group * fg, f_count,
               cols.data(), row_length, false);
          col2im(g, cols.data(), group, first, rows, input_grad + b * in_size);
        }
      }
    }
  });
}

void backward_kernel_im2col(const ConvGeometry& g, const float* input, const float* output_grad,
                            float* kernel_grad) {
  const Dim cg = g.in_channels / g.groups, fg = g.out_channels / g.groups, f_count = g.out_channels;
  const Dim pixels = volume(g.output), row_length = volume(g.kernel) * cg;
  const Dim kernel_size = row_length * f_count;
  std::fill(kernel_grad, kernel_grad + kernel_size, 0.0f);
  if (pixels == 0 || g.batch == 0) return;
  // A sum over the batch: each chunk of images sums into its own buffer, then
  // the chunks are added in order. The chunks depend on the batch size only,
  // so the result is the same for every thread count. The band is fixed too:
  // it decides the order of the sum over pixels.
  const Dim chunks = std::min<Dim>(g.batch, kKernelGradChunks);
  const Dim per_chunk = (g.batch + chunks - 1) / chunks;
  const Dim band = detail::scratch_rows(row_length, pixels);
  std::vector<float> partial((chunks - 1) * kernel_size, 0.0f);
  parallel_for(chunks, 1, [&](Dim first_chunk, Dim last_chunk) {
    thread_local std::vector<float> cols;
    if (Dim(cols.size()) < band * row_length) cols.resize(band * row_length);
    for (Dim chunk = first_chunk; chunk < last_chunk; ++chunk) {
      float* sum = chunk == 0 ? kernel_grad : partial.data() + (chunk - 1) * kernel_size;
      for (Dim b = chunk * per_chunk; b < std::min(g.batch, (chunk + 1) * per_chunk); ++b) {
        const float* in_b = input + b * volume(g.input) * g.in_channels;
        const float* dy_b = output_grad + b * pixels * f_count;
        for (Dim group = 0; group < g.groups; ++group) {
          for (Dim first = 0; first < pixels; first += band) {
            const Dim rows = std::min(band, pixels - first);
            im2col(g, in_b, group, first, rows, cols.data());
            // (taps*Cg, rows) x (rows, Fg) into the group's kernel columns.
            gemm(KernelPath::kFast, Transpose::kYes, Transpose::kNo, row_length, fg, rows,
                 cols.data(), row_length, dy_b + first * f_count + group * fg, f_count,
                 sum + group * fg, f_count, true);
          }
        }
      }
    }
  });
  for (Dim chunk = 1; chunk < chunks; ++chunk) {
    const float* part = partial.data() + (chunk - 1) * kernel_size;
    for (Dim i = 0; i < kernel_size; ++i) kernel_grad[i] += part[i];
  }
}

// Pointwise: dX = dY * K^T and dK = X^T * dY per group, over every pixel of
// the batch at once; each group writes its own columns, so all are written.
void backward_input_pointwise(const ConvGeometry& g, const float* output_grad, const float* kernel,
                              float* input_grad) {
  const Dim pixels = g.batch * volume(g.output);
  const Dim cg = g.in_channels / g.groups, fg = g.out_channels / g.groups;
  for (Dim group = 0; group < g.groups; ++group) {
    gemm(KernelPath::kFast, Transpose::kNo, Transpose::kYes, pixels, cg, fg,
         output_grad + group * fg, g.out_channels, kernel + group * fg, g.out_channels,
         input_grad + group * cg, g.in_channels, false);
  }
}

void backward_kernel_pointwise(const ConvGeometry& g, const float* input, const float* output_grad,
                               float* kernel_grad) {
  const Dim pixels = g.batch * volume(g.output);
  const Dim cg = g.in_channels / g.groups, fg = g.out_channels / g.groups;
  for (Dim group = 0; group < g.groups; ++group) {
    gemm(KernelPath::kFast, Transpose::kYes, Transpose::kNo, cg, fg, pixels, input + group * cg,
         g.in_channels, output_grad + group * fg, g.out_channels, kernel_grad + group * fg,
         g.out_channels, false);
  }
}

// Depthwise: the forward's loop over (output pixel, in-range tap) with
// output channel f = c*m + j reading input channel c, calling
// step(x_offset, tap, o_offset) with the pixel offsets of one batch item.
template <typename Step>
void for_each_depthwise_tap(const ConvGeometry& g, Step step) {
  const Spatial &in = g.input, &out = g.output, &k = g.kernel, &s = g.strides, &d = g.dilation,
                &pad = g.pad_before;
  for (Dim b = 0; b < g.batch; ++b) {
    for (Dim o = 0; o < volume(out); ++o) {
      const Spatial op = grid_position(out, o);
      for (Dim kd = 0; kd < k[0]; ++kd) {
        const Dim id = op[0] * s[0] + kd * d[0] - pad[0];
        if (!inside(id, in[0])) continue;
        for (Dim kh = 0; kh < k[1]; ++kh) {
          const Dim ih = op[1] * s[1] + kh * d[1] - pad[1];
          if (!inside(ih, in[1])) continue;
          for (Dim kw = 0; kw < k[2]; ++kw) {
            const Dim iw = op[2] * s[2] + kw * d[2] - pad[2];
            if (!inside(iw, in[2])) continue;
            step(b * volume(in) + grid_index(in, id, ih, iw), grid_index(k, kd, kh, kw),
                 b * volume(out) + o);
          }
        }
      }
    }
  }
}

void backward_input_depthwise(const ConvGeometry& g, const float* output_grad, const float* kernel,
                              float* input_grad) {
  const Dim cin = g.in_channels, f_count = g.out_channels, m = f_count / cin;
  std::fill(input_grad, input_grad + g.batch * volume(g.input) * cin, 0.0f);
  for_each_depthwise_tap(g, [&](Dim x, Dim tap, Dim o) {
    float* dx = input_grad + x * cin;
    const float* w = kernel + tap * f_count;
    const float* dy = output_grad + o * f_count;
    if (m == 1) {
      for (Dim c = 0; c < cin; ++c) dx[c] += dy[c] * w[c];
    } else {
      for (Dim c = 0; c < cin; ++c) {
        for (Dim j = 0; j < m; ++j) dx[c] += dy[c * m + j] * w[c * m + j];
      }
    }
  });
}

void backward_kernel_depthwise(const ConvGeometry& g, const float* input, const float* output_grad,
                               float* kernel_grad) {
  const Dim cin = g.in_channels, f_count = g.out_channels, m = f_count / cin;
  std::fill(kernel_grad, kernel_grad + volume(g.kernel) * f_count, 0.0f);
  for_each_depthwise_tap(g, [&](Dim x_pixel, Dim tap, Dim o) {
    float* dw = kernel_grad + tap * f_count;
    const float* x = input + x_pixel * cin;
    const float* dy = output_grad + o * f_count;
    if (m == 1) {
      for (Dim c = 0; c < cin; ++c) dw[c] += x[c] * dy[c];
    } else {
      for (Dim c = 0; c < cin; ++c) {
        for (Dim j = 0; j < m; ++j) dw[c * m + j] += x[c] * dy[c * m + j];
      }
    }
  });
}

// The convolution whose forward pass is g's transposed convolution's
// backward-input pass: output positions read as inputs, and the kernel
// (taps, F, Cin) read as a convolution kernel with F inputs and Cin filters.
ConvGeometry swapped(const ConvGeometry& g) {
  ConvGeometry s = g;
  std::swap(s.input, s.output);
  std::swap(s.in_channels, s.out_channels);
  return s;
}

// The input gradient of a 3x3 stride-1 convolution is one too: the output
// gradient convolved with the kernel flipped and its channel axes swapped,
// padded so that every input position sees the taps that read it.
bool backward_input_winograd(const ConvGeometry& g, const float* output_grad, const float* kernel,
                             float* input_grad) {
  if (g.kernel != Spatial{1, 3, 3} || g.pad_before[1] > 2 || g.pad_before[2] > 2) return false;
  ConvGeometry dual = swapped(g);
  dual.pad_before = {g.pad_before[0], 2 - g.pad_before[1], 2 - g.pad_before[2]};
  return detail::conv_winograd(dual, output_grad, kernel, true, nullptr, false, input_grad);
}

}  // namespace

void conv_backward_input(KernelPath path, const ConvGeometry& g, const float* output_grad,
                         const float* kernel, float* input_grad) {
  detail::check_conv_geometry(g, "convolution gradient");
  if (path == KernelPath::kReference) {
    detail::conv_backward_input_reference(g, output_grad, kernel, input_grad);
  } else if (is_depthwise(g)) {
    backward_input_depthwise(g, output_grad, kernel, input_grad);
  } else if (detail::direct_kernels() &&
             backward_input_winograd(g, output_grad, kernel, input_grad)) {
    // Winograd took it (3x3 stride 1: 2.6x fewer multiply-adds than oneDNN's).
  } else if (detail::direct_kernels() &&
             detail::conv_input_grad_few_channels(g, output_grad, kernel, input_grad)) {
    // A first layer: oneDNN ran (a)'s at 25 GFLOP/s, (f)'s at 71; the im2col gemm no faster.
  } else if (onednn::conv_backward_input(g, output_grad, kernel, input_grad)) {
    // oneDNN took it.
  } else if (detail::is_pointwise(g)) {
    backward_input_pointwise(g, output_grad, kernel, input_grad);
  } else {
    backward_input_im2col(g, output_grad, kernel, input_grad);
  }
}

void conv_backward_kernel(KernelPath path, const ConvGeometry& g, const float* input,
                          const float* output_grad, float* kernel_grad, float* bias_grad) {
  detail::check_conv_geometry(g, "convolution gradient");
  if (path == KernelPath::kReference) {
    detail::conv_backward_kernel_reference(g, input, output_grad, kernel_grad);
  } else if (detail::direct_kernels() &&
             detail::conv_winograd_kernel_grad(g, input, output_grad, kernel_grad)) {
    // Winograd took it (3x3 stride 1).
  } else if (!detail::is_pointwise(g) &&  // pointwise: the plain gemm below is as fast
             detail::direct_kernels() &&
             detail::conv_backward_kernel_direct(g, input, output_grad, kernel_grad)) {
    // stride's direct kernel took it (faster than oneDNN 2.6's on AVX2, and
    // the same for every thread count).
  } else if (onednn::conv_backward_kernel(g, input, output_grad, kernel_grad, bias_grad)) {
    return;  // the bias gradient too
  } else if (is_depthwise(g)) {
    backward_kernel_depthwise(g, input, output_grad, kernel_grad);
  } else if (detail::is_pointwise(g)) {
    backward_kernel_pointwise(g, input, output_grad, kernel_grad);
  } else {
    backward_kernel_im2col(g, input, output_grad, kernel_grad);
  }
  if (bias_grad) {
    detail::sum_rows(output_grad, g.batch * volume(g.output), g.out_channels, bias_grad);
  }
}

bool conv_backward_kernel_relu(const ConvGeometry& g, const float* input, const float* relu_output,
                               const float* output_grad, float* kernel_grad, float* bias_grad) {
  detail::check_conv_geometry(g, "convolution gradient");
  const Dim line_floats = g.output[2] * g.out_channels;
  const detail::LineGradients masked = [&](Dim first, Dim last, float* to) {
    const Dim at = first * line_floats;
    relu_backward(relu_output + at, output_grad + at, to, (last - first) * line_floats);
  };
  return !detail::is_pointwise(g) && detail::direct_kernels() &&
         detail::conv_backward_kernel_direct(g, input, nullptr, kernel_grad, &masked, bias_grad);
}

namespace {

// dz[f] = grad[f] where taps[f] == tap, else 0 (exactly: not grad times 0).
void route_to_tap(const std::uint8_t* taps, std::uint8_t tap, const float* grad, Dim count,
                  float* dz) {
  Dim f = 0;
#if defined(__SSE2__)
  const __m128i wanted = _mm_set1_epi32(tap), zero = _mm_setzero_si128();
  for (; f + 4 <= count; f += 4) {
    std::int32_t four;
    std::memcpy(&four, taps + f, 4);
    const __m128i bytes =
        _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(four), zero), zero);
    const __m128 won = _mm_castsi128_ps(_mm_cmpeq_epi32(bytes, wanted));
    _mm_storeu_ps(dz + f, _mm_and_ps(won, _mm_loadu_ps(grad + f)));
  }
#endif
  for (; f < count; ++f) dz[f] = taps[f] == tap ? grad[f] : 0.0f;
}

#ifdef STRIDE_X86_KERNELS
// One pooling window's row of `width` positions at once, AVX-512, channels
// in multiples of 16: position j gets grad * (pooled > 0 ? 1 : 0) where
// taps == first_tap + j, else 0, as window_grad and route_to_tap give (the
// relu factor multiplies, so inf times 0 stays NaN): one mask compare per
// position instead of the SSE path's widening of four taps at a time.
STRIDE_TARGET_AVX512 void route_window_row(const std::uint8_t* taps, const float* pooled,
                                           const float* grad, Dim first_tap, Dim width, Dim count,
                                           float* dz) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (Dim f = 0; f < count; f += 16) {
    const __m128i tap = _mm_loadu_si128(reinterpret_cast<const __m128i*>(taps + f));
    const __m512 relu_grad = _mm512_maskz_mov_ps(
        _mm512_cmp_ps_mask(_mm512_loadu_ps(pooled + f), _mm512_setzero_ps(), _CMP_GT_OQ), one);
    for (Dim j = 0; j < width; ++j) {
      const __mmask16 won = _mm_cmpeq_epi8_mask(tap, _mm_set1_epi8(char(first_tap + j)));
      _mm512_storeu_ps(dz + j * count + f,
                       _mm512_mul_ps(_mm512_maskz_loadu_ps(won, grad + f), relu_grad));
    }
  }
}
#endif

// Whether relu_max_pool_backward takes the pooling: 2D or 1D, disjoint
// windows, taps recorded.
bool routes(const PoolGeometry& pool) {
  return pool.input[0] == 1 && pool.window[0] == 1 && detail::windows_are_disjoint(pool) &&
         max_pool_taps_fit(pool);
}

// The relu output gradient dz of the pooling's input lines [first, last)
// (a line: image b, row h; channels last) into `to`: pooled row h / window
// height, row h % window height of its windows; in the unread tail past the
// last window, zero. A position gets its window's gradient where the
// window's recorded tap is its own, times relu'(z) there, which is
// (pooled > 0) since the pooled value is that position's relu output; the
// others get zero, as pool_backward and relu_backward give them.
void route_lines(const PoolGeometry& pool, const std::uint8_t* taps, const float* pooled_output,
                 const float* pooled_grad, Dim first, Dim last, float* to) {
  const Dim height = pool.input[1], width = pool.input[2], f_count = pool.channels;
  const Dim win_h = pool.window[1], win_w = pool.window[2];
  const Dim pooled_h = pool.output[1], pooled_w = pool.output[2];
#ifdef STRIDE_X86_KERNELS
  const bool wide_routing = f_count % 16 == 0 && detail::avx512_kernels();
#endif
  std::vector<float> window_grad(f_count);  // a window's gradient times relu'
  for (Dim line = first; line < last; ++line, to += width * f_count) {
    const Dim b = line / height, h = line % height, ph = h / win_h;
    Dim w = 0;
    if (ph < pooled_h) {
      const Dim row_tap = (h % win_h) * win_w;
      for (Dim pw = 0; pw < pooled_w; ++pw) {
        const Dim q = ((b * pooled_h + ph) * pooled_w + pw) * f_count;
#ifdef STRIDE_X86_KERNELS
        if (wide_routing) {
          route_window_row(taps + q, pooled_output + q, pooled_grad + q, row_tap, win_w, f_count,
                           to + w * f_count);
          w += win_w;
          continue;
        }
#endif
        for (Dim f = 0; f < f_count; ++f)
          window_grad[f] = pooled_grad[q + f] * (pooled_output[q + f] > 0.0f ? 1.0f : 0.0f);
        for (Dim j = 0; j < win_w; ++j, ++w) {
          const auto tap = std::uint8_t(row_tap + j);
          route_to_tap(taps + q, tap, window_grad.data(), f_count, to + w * f_count);
        }
      }
    }
    std::fill(to + w * f_count, to + width * f_count, 0.0f);  // past the last window
  }
}

}  // namespace

bool relu_max_pool_backward(const PoolGeometry& pool, const std::uint8_t* taps,
                            const float* pooled_output, const float* pooled_grad, float* dz,
                            float* bias_grad) {
  detail::check_pool_geometry(pool);
  if (!routes(pool)) return false;
  const Dim lines = pool.batch * pool.input[1], line_floats = pool.input[2] * pool.channels;
  parallel_for(lines, std::max<Dim>(1, lines / (8 * num_threads())), [&](Dim first, Dim last) {
    route_lines(pool, taps, pooled_output, pooled_grad, first, last, dz + first * line_floats);
  });
  if (bias_grad) {
    // The sum of dz is the sum of the pooled gradients times relu'.
    const Dim f_count = pool.channels;
    detail::chunked_channel_sums(pool.batch * detail::volume(pool.output), f_count, bias_grad,
                                 [&](Dim first, Dim last, double* sums) {
                                   std::vector<float> rows((last - first) * f_count);
                                   for (Dim i = 0; i < Dim(rows.size()); ++i) {
                                     const Dim at = first * f_count + i;
                                     rows[i] =
                                         pooled_grad[at] * (pooled_output[at] > 0.0f ? 1.0f : 0.0f);
                                   }
                                   detail::add_rows(rows.data(), last - first, f_count, sums);
                                 });
  }
  return true;
}

bool conv_backward_kernel_relu_pooled(const ConvGeometry& g, const PoolGeometry& pool,
                                      const float* input, const std::uint8_t* taps,
                                      const float* pooled_output, const float* pooled_grad,
                                      float* kernel_grad, float* bias_grad) {
  detail::check_conv_geometry(g, "convolution gradient");
  detail::check_pool_geometry(pool);
  const bool fits = g.output[0] == 1 && pool.input == g.output && pool.channels == g.out_channels &&
                    pool.batch == g.batch && routes(pool);
  if (!fits || detail::is_pointwise(g) || !detail::direct_kernels()) return false;
  const detail::LineGradients routed = [&](Dim first, Dim last, float* to) {
    route_lines(pool, taps, pooled_output, pooled_grad, first, last, to);
  };
  return detail::conv_backward_kernel_direct(g, input, nullptr, kernel_grad, &routed, bias_grad);
}

void conv_transpose_backward_input(KernelPath path, const ConvGeometry& g, const float* output_grad,
                                   const float* kernel, float* input_grad) {
  detail::check_conv_transpose_geometry(g);
  if (path == KernelPath::kReference) {
    detail::conv_transpose_backward_input_reference(g, output_grad, kernel, input_grad);
  } else {
    conv_forward(KernelPath::kFast, swapped(g), output_grad, kernel, nullptr, input_grad);
  }
}

void conv_transpose_backward_kernel(KernelPath path, const ConvGeometry& g, const float* input,
                                    const float* output_grad, float* kernel_grad,
                                    float* bias_grad) {
  detail::check_conv_transpose_geometry(g);
  if (path == KernelPath::kReference) {
    detail::conv_transpose_backward_kernel_reference(g, input, output_grad, kernel_grad);
  } else {
    // K_grad[tap, f, c] = sum dOut[y, f] * in[i, c]: the swapped
    // convolution's kernel gradient with dOut as its input and `input` as its
    // output gradient.
    conv_backward_kernel(KernelPath::kFast, swapped(g), output_grad, input, kernel_grad, nullptr);
  }
  if (bias_grad) {
    detail::sum_rows(output_grad, g.batch * volume(g.output), g.out_channels, bias_grad);
  }
}

}  // namespace stride::kernels
