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

// Cross-correlation with zero padding:
//   out[b, o, f] = bias[f] + sum_{k, c} in[b, o*s + k*d - pad_before, g*Cg + c] * K[k, c, f]
// input (batch, D, H, W, in_channels), kernel (kd, kh, kw, in_channels/groups,
// out_channels), bias (out_channels) or nullptr, output (batch, oD, oH, oW,
// out_channels). Filter f belongs to group g = f / (out_channels/groups) and
// sees input channels [g*Cg, (g+1)*Cg), Cg = in_channels/groups. A depthwise
// convolution is the case groups == in_channels (kernel (k, 1, C*m) has the
// memory layout of Keras's (k, C, m)).
void conv_forward(KernelPath path, const ConvGeometry& g, const float* input, const float* kernel,
                  const float* bias, float* output);

// Transposed convolution, the gradient of conv_forward with respect to its
// input. Here g.input is the transposed layer's input (batch, D, H, W,
// in_channels), g.output its output, kernel (kd, kh, kw, out_channels,
// in_channels) as Keras stores it, groups == 1. Scatter form: every product
// in[b, i, c] * K[k, f, c] is added to out[b, i*s + k*d - pad_before, f];
// positions outside the output are dropped; then bias[f] is added everywhere.
void conv_transpose_forward(KernelPath path, const ConvGeometry& g, const float* input,
                            const float* kernel, const float* bias, float* output);

}  // namespace stride::kernels
