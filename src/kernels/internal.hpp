// Shared by the kernel implementations only: grid arithmetic, geometry
// checks and the reference implementations the public entry points dispatch
// to.
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstdint>
#include <functional>

#include "kernels/conv.hpp"
#include "kernels/pool.hpp"

namespace stride::kernels::detail {

inline Dim volume(const Spatial& s) {
  return s[0] * s[1] * s[2];
}

// Row-major index of (d, h, w) in a grid of extents `grid`.
inline Dim grid_index(const Spatial& grid, Dim d, Dim h, Dim w) {
  return (d * grid[1] + h) * grid[2] + w;
}

// Inverse of grid_index.
inline Spatial grid_position(const Spatial& grid, Dim index) {
  return {index / (grid[1] * grid[2]), (index / grid[2]) % grid[1], index % grid[2]};
}

inline bool inside(Dim i, Dim extent) {
  return i >= 0 && i < extent;
}

// `rows` rows of `channels` values, each set to the bias (zero without one).
inline void fill_rows(float* out, Dim rows, Dim channels, const float* bias) {
  for (Dim r = 0; r < rows; ++r, out += channels) {
    if (bias) {
      std::copy(bias, bias + channels, out);
    } else {
      std::fill(out, out + channels, 0.0f);
    }
  }
}

// A 1x1 unstrided, unpadded convolution: a plain gemm over pixels.
inline bool is_pointwise(const ConvGeometry& g) {
  const Spatial ones{1, 1, 1}, zeros{0, 0, 0};
  return g.kernel == ones && g.strides == ones && g.pad_before == zeros && g.output == g.input;
}

// The taps of output pixels [first, first + rows) in im2col's column order
// (pixel, kd, kh, kw): visit(input_pixel) with the input pixel the tap reads
// (index into the image's grid), or -1 where it falls into the padding.
template <typename Visit>
void for_each_band_tap(const ConvGeometry& g, Dim first, Dim rows, Visit visit) {
  const Spatial &in = g.input, &k = g.kernel, &s = g.strides, &d = g.dilation, &pad = g.pad_before;
  for (Dim r = 0; r < rows; ++r) {
    const Spatial op = grid_position(g.output, first + r);
    for (Dim kd = 0; kd < k[0]; ++kd) {
      const Dim id = op[0] * s[0] + kd * d[0] - pad[0];
      for (Dim kh = 0; kh < k[1]; ++kh) {
        const Dim ih = op[1] * s[1] + kh * d[1] - pad[1];
        for (Dim kw = 0; kw < k[2]; ++kw) {
          const Dim iw = op[2] * s[2] + kw * d[2] - pad[2];
          const bool real = inside(id, in[0]) && inside(ih, in[1]) && inside(iw, in[2]);
          visit(real ? grid_index(in, id, ih, iw) : Dim{-1});
        }
      }
    }
  }
}

// Lowers output pixels [first, first + rows) of one batch item and group to
// rows of (tap, channel) values, zero where the tap falls into the padding
// (conv.cpp). The row layout matches the kernel's (kd, kh, kw, Cg) rows.
void im2col(const ConvGeometry& g, const float* in_b, Dim group, Dim first, Dim rows, float* cols);

// Output pixels lowered by im2col at a time so that the scratch stays under
// 4 MiB, the bands of an image about equal. Independent of the thread count.
Dim scratch_rows(Dim row_length, Dim pixels);
// The same, cut further when a batch has few images, so that up to 16
// threads all get work. A fixed count, not the thread count: a band's rows
// can round differently from the same rows in another band (gemm takes at
// most 4 rows by another loop), and results must not depend on the threads.
Dim band_rows(Dim row_length, Dim pixels, Dim batch);

// Whether conv_forward and conv_backward_kernel may pick the direct AVX2
// kernels below (on by default; tests turn them off to reach the im2col
// paths that CPUs without AVX2 take).
void set_direct_kernels(bool on);
bool direct_kernels();
// Whether the kernels built for both AVX2 and AVX-512 (simd.hpp) may take
// the AVX-512 build: where the CPU has it, unless a test turned it off to
// reach the AVX2 build (both give the same bits).
void set_avx512_kernels(bool on);
bool avx512_kernels();

// The forward pass of an ungrouped convolution as a direct gemm in AVX-512
// or AVX2+FMA (conv_forward_direct.hpp), bias and relu included. Returns false, writing
// nothing, where the CPU lacks AVX2+FMA or the convolution is grouped.
bool conv_forward_direct(const ConvGeometry& g, const float* input, const float* kernel,
                         const float* bias, float* output, bool relu);
#ifdef STRIDE_X86_KERNELS
// The AVX2 kernels' functions carry this attribute instead of their files
// being compiled with -mavx2: with a per-file flag, the inline functions the
// headers define (std::vector's members, volume(), ...) were emitted with
// AVX2 in unoptimized builds, and the linker could pick those copies for
// every caller, on CPUs without AVX2 too.
#define STRIDE_TARGET_AVX2_FMA __attribute__((target("avx2,fma")))
bool conv_forward_avx2(const ConvGeometry& g, const float* input, const float* kernel,
                       const float* bias, float* output,
                       bool relu);  // only where cpu_has_avx2_fma()
bool conv_forward_avx512(const ConvGeometry& g, const float* input, const float* kernel,
                         const float* bias, float* output,
                         bool relu);  // only where cpu_has_avx512()
#endif

// A 3x3, stride-1, undilated, ungrouped 2D convolution by Winograd's
// F(4x4, 3x3) (winograd_forward.hpp), bias and relu included: a quarter of
// the direct kernel's multiply-adds, a few times its rounding. With
// `flip_swap` the kernel is read as the input gradient's
// (K'[kh][kw][c][f] = K[2-kh][2-kw][f][c], the layout (3, 3, out, in) of the
// convolution whose gradient this is). Returns false, writing nothing,
// where the CPU lacks AVX2+FMA, the geometry is not that, the channel counts
// are not multiples of 8 from 16 on, or there are fewer than 64 output tiles
// of 4x4 (the kernel's transform would not be repaid). AVX-512 takes channel
// counts in multiples of 16, AVX2 the others.
bool conv_winograd(const ConvGeometry& g, const float* input, const float* kernel, bool flip_swap,
                   const float* bias, bool relu, float* output);
#ifdef STRIDE_X86_KERNELS
bool conv_winograd_avx2(const ConvGeometry& g, const float* input, const float* kernel,
                        bool flip_swap, const float* bias, bool relu,
                        float* output);  // only where cpu_has_avx2_fma()
bool conv_winograd_avx512(const ConvGeometry& g, const float* input, const float* kernel,
                          bool flip_swap, const float* bias, bool relu,
                          float* output);  // only where cpu_has_avx512()
#endif

// The input gradient of a first layer by a gather per input pixel
// (conv_input_grad.hpp): ungrouped, 2D, any stride, 1 to 4 input channels,
// 16, 32, 48 or 64 filters; AVX-512 or AVX2+FMA, the same bits with both.
// Returns false, writing nothing, otherwise.
bool conv_input_grad_few_channels(const ConvGeometry& g, const float* output_grad,
                                  const float* kernel, float* input_grad);
#ifdef STRIDE_X86_KERNELS
bool conv_input_grad_few_channels_avx2(const ConvGeometry& g, const float* output_grad,
                                       const float* kernel,
                                       float* input_grad);  // only where cpu_has_avx2_fma()
bool conv_input_grad_few_channels_avx512(const ConvGeometry& g, const float* output_grad,
                                         const float* kernel,
                                         float* input_grad);  // only where cpu_has_avx512()
#endif

#ifdef STRIDE_X86_KERNELS
// conv_max_pool_forward's kernels (conv_max_pool.hpp; AVX-512 for filters in
// multiples of 16); false, writing
// nothing, where it does not take the pair.
bool conv_max_pool_avx2(const ConvGeometry& g, const PoolGeometry& pool, const float* input,
                        const float* kernel, const float* bias, bool relu, float* output,
                        std::uint8_t* taps);  // only where cpu_has_avx2_fma()
bool conv_max_pool_avx512(const ConvGeometry& g, const PoolGeometry& pool, const float* input,
                          const float* kernel, const float* bias, bool relu, float* output,
                          std::uint8_t* taps);  // only where cpu_has_avx512()
#endif

// The kernel gradient of the convolutions conv_winograd takes, by
// Winograd's F(3x3, 4x4) (winograd_kernel_grad.hpp): a quarter of
// the direct kernel's multiply-adds, the same bits for every thread count.
// Returns false, writing nothing, where conv_winograd would, or where
// 36 x Cin x Cout exceeds 4M floats (its partial sums would be too large).
bool conv_winograd_kernel_grad(const ConvGeometry& g, const float* input, const float* output_grad,
                               float* kernel_grad);
#ifdef STRIDE_X86_KERNELS
bool conv_winograd_kernel_grad_avx2(const ConvGeometry& g, const float* input,
                                    const float* output_grad,
                                    float* kernel_grad);  // only where cpu_has_avx2_fma()
bool conv_winograd_kernel_grad_avx512(const ConvGeometry& g, const float* input,
                                      const float* output_grad,
                                      float* kernel_grad);  // only where cpu_has_avx512()
#endif

// Where a kernel gradient reads dL/doutput when it is not one array:
// fill(first_line, last_line, to) writes the gradients of output lines
// [first_line, last_line) (a line: one output row of one image, channels
// last) into `to`. Worker threads call it, once per chunk of lines, at the
// same time.
using LineGradients = std::function<void(Dim first_line, Dim last_line, float* to)>;

// The kernel gradient of an ungrouped convolution as a direct gemm in
// AVX-512 or AVX2+FMA (conv_kernel_grad_direct.hpp): the same sums for every thread
// count. Returns false, writing nothing, where the CPU lacks AVX2+FMA or the
// convolution is grouped. With `lines`, the output gradient comes chunk by
// chunk from lines into a buffer that stays in cache (output_grad is not
// read): relu's derivative applied on the way (conv_backward_kernel_relu),
// or routed from a max pooling's winners (conv_backward_kernel_relu_pooled);
// with bias_grad, the bias gradient is summed from the same chunks.
bool conv_backward_kernel_direct(const ConvGeometry& g, const float* input,
                                 const float* output_grad, float* kernel_grad,
                                 const LineGradients* lines = nullptr, float* bias_grad = nullptr);
#ifdef STRIDE_X86_KERNELS
bool conv_backward_kernel_avx2(const ConvGeometry& g, const float* input, const float* output_grad,
                               float* kernel_grad, const LineGradients* lines,
                               float* bias_grad);  // call only where cpu_has_avx2_fma()
bool conv_backward_kernel_avx512(const ConvGeometry& g, const float* input,
                                 const float* output_grad, float* kernel_grad,
                                 const LineGradients* lines,
                                 float* bias_grad);  // call only where cpu_has_avx512()
#endif

// Per-channel sums of `count` rows of `channels` values, accumulated in
// double (a bias gradient sums over every pixel of the batch).
void sum_rows(const float* rows, Dim count, Dim channels, float* out);
// Adds each channel of `count` rows into sums[channel].
void add_rows(const float* rows, Dim count, Dim channels, double* sums);
// The parallel scheme behind sum_rows: visit(first, last, sums) adds rows
// [first, last) into `sums` (`channels` zeroed doubles) for fixed chunks of
// rows, and out[c] is the sum of the chunks' sums in chunk order, so it is
// the same for every thread count.
void chunked_channel_sums(Dim count, Dim channels, float* out,
                          const std::function<void(Dim first, Dim last, double* sums)>& visit);

// The in-range part [lo, hi) of a pooling window starting at o*s - pad.
struct Range {
  Dim lo, hi;
};
inline Range clip(Dim o, Dim stride, Dim pad, Dim window, Dim extent) {
  const Dim start = o * stride - pad;
  return {std::max(start, Dim{0}), std::min(start + window, extent)};
}

// The one max-pooling comparison, shared by the forward and backward paths
// of both implementations so they agree on every input: a later element
// replaces the best only when strictly greater, so ties keep the first in
// scan order (depth, height, width), as PyTorch does.
inline bool beats(float x, float best) {
  return x > best;
}

#if defined(__SSE2__)
// beats() on four lanes, keeping the winning value and tap of each lane: an
// argmax step of the SSE pooling paths (a NaN never wins: the compare is
// false).
inline void argmax_step(__m128 x, __m128i tap, __m128& best, __m128i& best_tap) {
  const __m128 wins = _mm_cmpgt_ps(x, best);
  best = _mm_or_ps(_mm_and_ps(wins, x), _mm_andnot_ps(wins, best));
  const __m128i won = _mm_castps_si128(wins);
  best_tap = _mm_or_si128(_mm_and_si128(won, tap), _mm_andnot_si128(won, best_tap));
}
#endif

// Throw stride::Error on a geometry no layer should produce (non-positive
// kernel/stride/channels, groups not dividing the channels, ...), so a bug
// upstream surfaces as a message rather than as out-of-bounds memory access.
void check_conv_geometry(const ConvGeometry& g, const char* kernel_name);
void check_conv_transpose_geometry(const ConvGeometry& g);  // also groups == 1
void check_pool_geometry(const PoolGeometry& g);

// Whether max pooling's windows are disjoint and start at the first pixel
// (stride = window, no padding before), as in the usual 2x2 pooling: then
// each pixel lies in one window at most, and its gradient can be stored once
// with no zeroing pass before; only the tail that no window reads (the last
// row and column of VALID pooling of an odd size) is zeroed, per image, by
// zero_unread_tail.
bool windows_are_disjoint(const PoolGeometry& g);
void zero_unread_tail(const PoolGeometry& g, float* dx_image);

void conv_forward_reference(const ConvGeometry& g, const float* input, const float* kernel,
                            const float* bias, float* output);
void conv_transpose_forward_reference(const ConvGeometry& g, const float* input,
                                      const float* kernel, const float* bias, float* output);
void pool_forward_reference(PoolKind kind, const PoolGeometry& g, const float* input,
                            float* output);

// The reference gradients (conv_backward_reference.cpp, pool_backward.cpp).
void conv_backward_input_reference(const ConvGeometry& g, const float* output_grad,
                                   const float* kernel, float* input_grad);
void conv_backward_kernel_reference(const ConvGeometry& g, const float* input,
                                    const float* output_grad, float* kernel_grad);
void conv_transpose_backward_input_reference(const ConvGeometry& g, const float* output_grad,
                                             const float* kernel, float* input_grad);
void conv_transpose_backward_kernel_reference(const ConvGeometry& g, const float* input,
                                              const float* output_grad, float* kernel_grad);
void pool_backward_reference(PoolKind kind, const PoolGeometry& g, const float* input,
                             const float* output_grad, float* input_grad);

}  // namespace stride::kernels::detail
