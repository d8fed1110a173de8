// Convolution kernels (reference §7.1). Activations are channels_last; a
// channels_first layer transposes around these calls. 1D and 2D operations
// use the 3D geometry with leading spatial dims of size 1.
#pragma once

#include <array>

#include "kernels/path.hpp"
#include "stride/shape.hpp"

namespace stride::kernels {

using Spatial = std::array<Dim, 3>;  // (depth, height, width)

struct ConvGeometry {
  Dim batch = 1;
  Spatial input{1, 1, 1}, output{1, 1, 1};
  Spatial kernel{1, 1, 1}, strides{1, 1, 1}, dilation{1, 1, 1};
  Spatial pad_before{0, 0, 0};  // top/left padding; the rest of the padding is implied
  Dim in_channels = 1, out_channels = 1;
  Dim groups = 1;  // in_channels and out_channels are multiples of it
};

// The multiply-adds of a forward pass over g, 2 FLOPs each (bias not
// counted): what decides whether a layer is small work.
inline double conv_flops(const ConvGeometry& g) {
  const auto volume = [](const Spatial& s) { return double(s[0]) * double(s[1]) * double(s[2]); };
  return 2.0 * double(g.batch) * volume(g.output) * double(g.out_channels) * volume(g.kernel) *
         double(g.in_channels / g.groups);
}

// Cross-correlation with zero padding:
//   out[b, o, f] = bias[f] + sum_{k, c} in[b, o*s + k*d - pad_before, g*Cg + c] * K[k, c, f]
// input (batch, D, H, W, in_channels), kernel (kd, kh, kw, in_channels/groups,
// out_channels), bias (out_channels) or nullptr, output (batch, oD, oH, oW,
// out_channels). Filter f belongs to group g = f / (out_channels/groups) and
// sees input channels [g*Cg, (g+1)*Cg), Cg = in_channels/groups. A depthwise
// convolution is the case groups == in_channels (kernel (k, 1, C*m) has the
// memory layout of Keras's (k, C, m)). With `relu`, max(0, out) is written
// instead (fused into oneDNN's kernel, a second pass otherwise).
void conv_forward(KernelPath path, const ConvGeometry& g, const float* input, const float* kernel,
                  const float* bias, float* output, bool relu = false);

// Transposed convolution, the gradient of conv_forward with respect to its
// input. Here g.input is the transposed layer's input (batch, D, H, W,
// in_channels), g.output its output, kernel (kd, kh, kw, out_channels,
// in_channels) as Keras stores it, groups == 1. Scatter form: every product
// in[b, i, c] * K[k, f, c] is added to out[b, i*s + k*d - pad_before, f];
// positions outside the output are dropped; then bias[f] is added everywhere.
void conv_transpose_forward(KernelPath path, const ConvGeometry& g, const float* input,
                            const float* kernel, const float* bias, float* output);

// Gradients for training. Given dL/doutput (the output's layout), each writes
// (overwrites) one gradient in the layout of the corresponding forward
// argument; batch 0 is allowed (the kernel and bias gradients are then zero).

// dL/dinput of conv_forward: in_grad[b, i, g*Cg + c] = sum of
// out_grad[b, o, f] * K[k, c, f] over the (o, k, f in group g) with
// o*s + k*d - pad_before = i; zero where no window reads the input.
void conv_backward_input(KernelPath path, const ConvGeometry& g, const float* output_grad,
                         const float* kernel, float* input_grad);

// dL/dkernel of conv_forward: K_grad[k, c, f] = sum over b, o of
// in[b, o*s + k*d - pad_before, g*Cg + c] * out_grad[b, o, f] (padding reads
// zero); and, when bias_grad is not null, bias_grad[f] = sum over b, o of
// out_grad[b, o, f].
void conv_backward_kernel(KernelPath path, const ConvGeometry& g, const float* input,
                          const float* output_grad, float* kernel_grad, float* bias_grad);

// conv_backward_kernel (fast path) of a convolution followed by relu, given
// relu's output and dL/d(relu output): out_grad is read as that gradient
// times relu'(z) (1 where relu_output > 0, else 0) while the products are
// summed, so dL/dz is never written (a first layer, whose input gradient no
// one needs, reads its large output gradient once). Returns false, computing
// nothing, where stride's direct kernel cannot take the geometry (grouped or
// 1x1 convolutions, no AVX2): then relu's gradient goes first.
bool conv_backward_kernel_relu(const ConvGeometry& g, const float* input, const float* relu_output,
                               const float* output_grad, float* kernel_grad, float* bias_grad);

// dL/dinput of conv_transpose_forward (same geometry and kernel layout):
// in_grad[b, i, c] = sum over k, f of out_grad[b, i*s + k*d - pad_before, f] *
// K[k, f, c], positions outside the output contributing nothing. This is
// conv_forward of out_grad with input and output swapped.
void conv_transpose_backward_input(KernelPath path, const ConvGeometry& g, const float* output_grad,
                                   const float* kernel, float* input_grad);

// dL/dkernel of conv_transpose_forward: K_grad[k, f, c] = sum over b, i of
// out_grad[b, i*s + k*d - pad_before, f] * in[b, i, c]; and, when bias_grad is
// not null, bias_grad[f] = sum over b and output positions of out_grad[., f].
void conv_transpose_backward_kernel(KernelPath path, const ConvGeometry& g, const float* input,
                                    const float* output_grad, float* kernel_grad, float* bias_grad);

}  // namespace stride::kernels
