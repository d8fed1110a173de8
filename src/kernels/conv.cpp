// Convolution, fast path: stride's Winograd and direct kernels (AVX-512 or AVX2)
// or oneDNN where they can take it; otherwise im2col + gemm in general, a
// direct gemm for 1x1 kernels that neither stride nor pad, and a direct loop
// for depthwise convolutions (one input channel per group).
#include <algorithm>
#include <atomic>
#include <vector>

#include "kernels/activation.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_micro.hpp"
#include "kernels/internal.hpp"
#include "kernels/onednn.hpp"
#include "kernels/parallel.hpp"
#include "stride/parallel.hpp"

namespace stride::kernels {

namespace {

using detail::fill_rows;
using detail::grid_index;
using detail::grid_position;
using detail::im2col;
using detail::inside;
using detail::is_pointwise;
using detail::volume;

// A 1x1 unstrided, unpadded convolution is a gemm over all pixels of the
// batch at once: (pixels, Cg) x (Cg, Fg) per group.
void conv_pointwise(const ConvGeometry& g, const float* input, const float* kernel,
                    const float* bias, float* output) {
  const Dim pixels = g.batch * volume(g.output);
  const Dim cg = g.in_channels / g.groups, fg = g.out_channels / g.groups;
  if (bias) fill_rows(output, pixels, g.out_channels, bias);
  for (Dim group = 0; group < g.groups; ++group) {
    gemm(KernelPath::kFast, pixels, fg, cg, input + group * cg, g.in_channels, kernel + group * fg,
         g.out_channels, output + group * fg, g.out_channels, bias != nullptr);
  }
}

// Depthwise: output channel f = c*m + j reads input channel c = f / m only.
// Each output pixel accumulates its in-range taps with the channel loop
// innermost (contiguous in input, kernel and output).
void conv_depthwise(const ConvGeometry& g, const float* input, const float* kernel,
                    const float* bias, float* output) {
  const Dim cin = g.in_channels, f_count = g.out_channels, m = f_count / cin;
  const Spatial &in = g.input, &out = g.output, &k = g.kernel, &s = g.strides, &d = g.dilation,
                &pad = g.pad_before;
  fill_rows(output, g.batch * volume(out), f_count, bias);
  for (Dim b = 0; b < g.batch; ++b) {
    const float* in_b = input + b * volume(in) * cin;
    for (Dim o = 0; o < volume(out); ++o) {
      float* y = output + (b * volume(out) + o) * f_count;
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
            const float* x = in_b + grid_index(in, id, ih, iw) * cin;
            const float* w = kernel + grid_index(k, kd, kh, kw) * f_count;
            if (m == 1) {
              for (Dim c = 0; c < cin; ++c) y[c] += x[c] * w[c];
            } else {
              for (Dim c = 0; c < cin; ++c) {
                for (Dim j = 0; j < m; ++j) y[c * m + j] += x[c] * w[c * m + j];
              }
            }
          }
        }
      }
    }
  }
}

void conv_im2col(const ConvGeometry& g, const float* input, const float* kernel, const float* bias,
                 float* output) {
  const Dim cg = g.in_channels / g.groups, fg = g.out_channels / g.groups;
  const Dim pixels = volume(g.output), row_length = volume(g.kernel) * cg;
  if (pixels == 0) return;
  const Dim band = detail::band_rows(row_length, pixels, g.batch);
  const Dim bands = (pixels + band - 1) / band;
  if (bias) fill_rows(output, g.batch * pixels, g.out_channels, bias);
  // One task per (image, band of output pixels): each writes its own rows.
  parallel_for(g.batch * bands, 1, [&](Dim first_task, Dim last_task) {
    thread_local std::vector<float> cols;
    if (Dim(cols.size()) < band * row_length) cols.resize(band * row_length);
    for (Dim task = first_task; task < last_task; ++task) {
      const Dim b = task / bands, first = task % bands * band;
      const Dim rows = std::min(band, pixels - first);
      const float* in_b = input + b * volume(g.input) * g.in_channels;
      float* out_b = output + b * pixels * g.out_channels;
      for (Dim group = 0; group < g.groups; ++group) {
        im2col(g, in_b, group, first, rows, cols.data());
        // (rows, taps*Cg) x (taps*Cg, Fg); this group's filters are columns
        // [group*Fg, (group+1)*Fg) of the (taps*Cg, F) kernel.
        gemm(KernelPath::kFast, rows, fg, row_length, cols.data(), row_length, kernel + group * fg,
             g.out_channels, out_b + first * g.out_channels + group * fg, g.out_channels,
             bias != nullptr);
      }
    }
  });
}

}  // namespace

namespace detail {

Dim scratch_rows(Dim row_length, Dim pixels) {
  constexpr Dim kScratchFloats = Dim{1} << 20;
  if (pixels <= 0) return 1;
  const Dim cap = std::max<Dim>(kScratchFloats / std::max<Dim>(row_length, 1), 1);
  const Dim bands = (pixels + cap - 1) / cap;
  return (pixels + bands - 1) / bands;
}

Dim band_rows(Dim row_length, Dim pixels, Dim batch) {
  constexpr Dim kMinBand = 64;    // thinner gemms lose more than a thread gains
  constexpr Dim kBandTasks = 16;  // enough pieces for this many threads
  const Dim band = scratch_rows(row_length, pixels);
  if (batch >= kBandTasks || pixels <= kMinBand) return band;
  const Dim bands = (kBandTasks + batch - 1) / std::max<Dim>(batch, 1);
  return std::min(band, std::max((pixels + bands - 1) / bands, kMinBand));
}

// See internal.hpp; the gradients (conv_backward.cpp) lower inputs too.
void im2col(const ConvGeometry& g, const float* in_b, Dim group, Dim first, Dim rows, float* cols) {
  const Dim cin = g.in_channels, cg = cin / g.groups;
  for_each_band_tap(g, first, rows, [&](Dim pixel) {
    if (pixel >= 0) {
      const float* x = in_b + pixel * cin + group * cg;
      std::copy(x, x + cg, cols);
    } else {
      std::fill(cols, cols + cg, 0.0f);
    }
    cols += cg;
  });
}

namespace {
std::atomic<bool> direct_kernels_on{true};
std::atomic<bool> avx512_kernels_on{true};
}  // namespace

void set_avx512_kernels(bool on) {
  avx512_kernels_on = on;
}

bool avx512_kernels() {
#ifdef STRIDE_X86_KERNELS
  return avx512_kernels_on && cpu_has_avx512();
#else
  return false;
#endif
}

void set_direct_kernels(bool on) {
  direct_kernels_on = on;
}

bool direct_kernels() {
  return direct_kernels_on;
}

bool conv_forward_direct(const ConvGeometry& g, const float* input, const float* kernel,
                         const float* bias, float* output, bool relu) {
#ifdef STRIDE_X86_KERNELS
  if (avx512_kernels()) return conv_forward_avx512(g, input, kernel, bias, output, relu);
  return cpu_has_avx2_fma() && conv_forward_avx2(g, input, kernel, bias, output, relu);
#else
  (void)g, (void)input, (void)kernel, (void)bias, (void)output, (void)relu;
  return false;
#endif
}

bool conv_winograd(const ConvGeometry& g, const float* input, const float* kernel, bool flip_swap,
                   const float* bias, bool relu, float* output) {
#ifdef STRIDE_X86_KERNELS
  return (avx512_kernels() &&
          conv_winograd_avx512(g, input, kernel, flip_swap, bias, relu, output)) ||
         (cpu_has_avx2_fma() &&
          conv_winograd_avx2(g, input, kernel, flip_swap, bias, relu, output));
#else
  (void)g, (void)input, (void)kernel, (void)flip_swap, (void)bias, (void)relu, (void)output;
  return false;
#endif
}

}  // namespace detail

namespace {

// stride's direct forward kernel takes ungrouped convolutions with at least
// this many input channels. With fewer (first layers), oneDNN's first-layer
// kernels were mostly faster (bench shapes a and f on AVX2: 25-45%), except
// where direct_first_for_few_channels says otherwise.
constexpr Dim kDirectMinChannels = 8;

// Where the direct kernel measured faster than oneDNN for fewer than
// kDirectMinChannels input channels (Zen 5, 2 threads, flat kernel rows):
// tiny layers, where oneDNN's call costs more than the arithmetic (bench (g):
// 2.9-3.2x, AVX2 too); with AVX-512, single-channel images (28x28x1 -> 32 or
// 64 filters, 3x3 or 5x5: 1.5-2x) and short stride-1 windows feeding 64
// filters or more (64x64x3 -> 64 3x3: 1.15-1.3x). Three channels into 32
// filters, strided or wider windows stayed 1-10% behind, and with AVX2 every
// case but the tiny one was 10-45% behind. (3x3 stride-1 single-channel
// layers into 16-128 filters go to the single-channel Winograd before this.)
bool direct_first_for_few_channels(const ConvGeometry& g) {
  if (conv_flops(g) < 1e6) return true;
  const Dim rows = volume(g.kernel) * g.in_channels;
  if (!detail::avx512_kernels()) return false;
  const bool unstrided = g.strides[0] == 1 && g.strides[1] == 1 && g.strides[2] == 1;
  return g.in_channels == 1 || (rows <= 27 && unstrided && g.out_channels >= 64);
}

}  // namespace

void conv_forward(KernelPath path, const ConvGeometry& g, const float* input, const float* kernel,
                  const float* bias, float* output, bool relu) {
  detail::check_conv_geometry(g, "convolution");
  const bool direct = !is_pointwise(g) && detail::direct_kernels();  // pointwise: a plain gemm
  if (path == KernelPath::kReference) {
    detail::conv_forward_reference(g, input, kernel, bias, output);
  } else if (g.groups == g.in_channels && g.groups > 1) {
    // Depthwise even for 1x1 kernels: one loop beats a thin gemm per channel.
    conv_depthwise(g, input, kernel, bias, output);
  } else if (direct && detail::conv_winograd(g, input, kernel, false, bias, relu, output)) {
    return;  // relu included
  } else if (direct && (g.in_channels >= kDirectMinChannels || direct_first_for_few_channels(g)) &&
             detail::conv_forward_direct(g, input, kernel, bias, output, relu)) {
    return;  // relu included
  } else if (onednn::conv_forward(g, input, kernel, bias, output, relu)) {
    return;  // relu included
  } else if (direct && detail::conv_forward_direct(g, input, kernel, bias, output, relu)) {
    return;  // relu included
  } else if (is_pointwise(g)) {
    conv_pointwise(g, input, kernel, bias, output);
  } else {
    conv_im2col(g, input, kernel, bias, output);
  }
  if (relu)
    apply_activation(path, Activation::kRelu, output,
                     g.batch * detail::volume(g.output) * g.out_channels, g.out_channels);
}

}  // namespace stride::kernels
