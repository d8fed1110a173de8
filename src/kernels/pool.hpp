// Pooling kernels (reference §1.6, §7.2), channels_last.
#pragma once

#include <cstdint>

#include "kernels/conv.hpp"

namespace stride::kernels {

enum class PoolKind { kMax, kAverage };

struct PoolGeometry {
  Dim batch = 1, channels = 1;
  Spatial input{1, 1, 1}, output{1, 1, 1};
  Spatial window{1, 1, 1}, strides{1, 1, 1};
  Spatial pad_before{0, 0, 0};
};

// out[b, o, c] over the window starting at o*s - pad_before, real (in-range)
// elements only: max never picks padding; average divides by the number of
// real elements in the window.
void pool_forward(KernelPath path, PoolKind kind, const PoolGeometry& g, const float* input,
                  float* output);

// dL/dinput of pool_forward given dL/doutput, written (overwritten) in the
// input's layout. Max: each output's gradient goes to the largest real input
// of its window, the first in scan order (depth, height, width) on ties, as
// PyTorch does (a window of -inf or NaN only gives it to its first real
// element). Average: out_grad / (real elements in the window) to each real
// element. Inputs no window reads get zero.
void pool_backward(KernelPath path, PoolKind kind, const PoolGeometry& g, const float* input,
                   const float* output_grad, float* input_grad);

// Inference of a convolution (conv_forward's fast path, relu optional)
// followed by max pooling (pool_forward, kMax) in one pass, where stride has
// a kernel for the pair (conv_max_pool_avx2.cpp): 2D, ungrouped, at most 64
// kernel rows (taps x input channels: first layers), filters a multiple of
// 8, pool windows of at most 16 elements inside the convolution's output
// (pool.input == g.output, no padding). The convolution's output is never
// written. Returns false, writing nothing, elsewhere (or without AVX2+FMA).
// With `taps` (training), each pooled value's winning tap is written there
// too, as max_pool_forward_taps would write it reading the convolution's
// output (bias and relu applied, relu as max(x, 0)), and only where
// conv_backward_kernel_relu_pooled takes the gradient (disjoint windows, no
// 1x1 kernel).
bool conv_max_pool_forward(const ConvGeometry& g, const PoolGeometry& pool, const float* input,
                           const float* kernel, const float* bias, bool relu, float* output,
                           std::uint8_t* taps = nullptr);

// conv_backward_kernel_relu (conv.hpp) for a first layer whose relu output
// max pooling read with recorded winners (max_pool_forward_taps) over
// disjoint windows (strides == window, no padding): the convolution's
// output gradient is routed chunk by chunk from the pooling's output
// gradient, taps and output (relu'(z) at a winner is pooled > 0), so neither
// the pooling's input gradient nor the convolution's output is read or
// written. Same values as pool_backward, relu_backward and the kernel
// gradient one after the other. Returns false, computing nothing, where the
// direct kernel or the pooling does not fit (2D and 1D only).
bool conv_backward_kernel_relu_pooled(const ConvGeometry& g, const PoolGeometry& pool,
                                      const float* input, const std::uint8_t* taps,
                                      const float* pooled_output, const float* pooled_grad,
                                      float* kernel_grad, float* bias_grad);

// pool_backward (of recorded taps) and relu_backward in one pass, for a
// relu layer followed by max pooling over disjoint windows (strides ==
// window, no padding; 2D and 1D): dz, the gradient at the relu's input in
// the pooling's input layout, is written whole from the pooling's output,
// output gradient and taps (relu'(z) at a winner is pooled > 0), so neither
// the pooling's input gradient nor the relu's output is read or written;
// with bias_grad, also the sum of dz per channel (a following convolution's
// bias gradient), summed from the pooled gradients. dz has the separate
// passes' values, the bias sums the same up to their order. Returns false,
// writing nothing, where the pooling does not fit.
bool relu_max_pool_backward(const PoolGeometry& pool, const std::uint8_t* taps,
                            const float* pooled_output, const float* pooled_grad, float* dz,
                            float* bias_grad);

// Max pooling for training, fast path (max_pool_taps.cpp): the forward also
// writes each output value's winning tap (its element's index in the full
// window, depth-major: one byte, so windows of at most 256 elements,
// max_pool_taps_fit), and the gradient routes dL/doutput from the taps
// without reading the input. Same values as pool_forward and pool_backward.
bool max_pool_taps_fit(const PoolGeometry& g);
void max_pool_forward_taps(const PoolGeometry& g, const float* input, float* output,
                           std::uint8_t* taps);
void max_pool_backward_taps(const PoolGeometry& g, const std::uint8_t* taps,
                            const float* output_grad, float* input_grad);

}  // namespace stride::kernels
