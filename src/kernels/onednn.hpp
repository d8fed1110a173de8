// oneDNN (Debian's libdnnl) behind stride's kernel interface: the field's own
// convolution kernels where they beat stride's im2col + gemm. Every function
// returns false when oneDNN is not built in or does not take the geometry;
// the caller then runs its own fast path. Results depend only on the
// geometry, the data and the thread count.
#pragma once

#include "kernels/conv.hpp"

namespace stride::kernels::onednn {

// Whether stride was built with oneDNN (STRIDE_ONEDNN) and it is enabled:
// STRIDE_ONEDNN=0 in the environment turns it off at run time.
bool enabled();
// Overrides the environment (tests run stride's own fast path with it off).
void set_enabled(bool on);

// conv_forward's fast path for ungrouped 1D/2D/3D convolutions (see conv.hpp
// for the layouts); with `relu`, max(0, out) in the same pass.
bool conv_forward(const ConvGeometry& g, const float* input, const float* kernel, const float* bias,
                  float* output, bool relu = false);

// conv_backward_input's and conv_backward_kernel's (with the bias gradient
// when bias_grad is not null) for the same geometries. oneDNN shares the
// batch sum of the kernel gradient out by thread: identical results for a
// given thread count.
bool conv_backward_input(const ConvGeometry& g, const float* output_grad, const float* kernel,
                         float* input_grad);
bool conv_backward_kernel(const ConvGeometry& g, const float* input, const float* output_grad,
                          float* kernel_grad, float* bias_grad);

}  // namespace stride::kernels::onednn
