// Keras activations (reference §7.5) applied in place.
#pragma once

#include <string>

#include "kernels/path.hpp"
#include "stride/shape.hpp"

namespace stride::kernels {

enum class Activation {
  kLinear,
  kRelu,
  kSigmoid,
  kTanh,
  kSoftmax,
  kLogSoftmax,
  kElu,
  kSelu,
  kSoftplus,
  kSoftsign,
  kSilu,
  kGelu,
  kGeluApproximate,
  kExponential,
  kHardSigmoid,
  kHardSilu,
  kLeakyRelu,
  kRelu6,
  kMish,
  kCelu,
  kLogSigmoid,
  kSparsePlus,
  kSquareplus,
  kTanhShrink,
  kSoftShrink,
  kHardShrink,
  kHardTanh,
};

// The activation a Keras name computes ("swish" and "silu" are one); throws
// an Error for a name stride knows for shapes but cannot compute.
Activation activation_from_name(const std::string& name);

// Applies `activation` to `size` values in place; softmax and log_softmax
// work over rows of `last_dim` values (Keras's axis=-1).
void apply_activation(KernelPath path, Activation activation, float* data, Dim size, Dim last_dim);

// The gradient through `activation`: given the values before (z) and after
// (y) it and dL/dy, writes dL/dz (which may alias dy). Softmax and
// log_softmax work over rows of `last_dim` values. relu reads y only: z may
// be y (the layers keep no copy of z for it).
void activation_backward(KernelPath path, Activation activation, const float* z, const float* y,
                         const float* dy, float* dz, Dim size, Dim last_dim);

// relu's gradient over `size` values on the calling thread, from relu's
// output y (z > 0 exactly where y > 0): dz = dy * (y > 0 ? 1 : 0), the
// product as the reference takes it, so 0 * inf stays NaN. dz may alias dy.
// The fast relu gradients below, and the first-layer kernel gradient
// (conv_backward_kernel_relu), all go through it.
void relu_backward(const float* y, const float* dy, float* dz, Dim size);

// relu's gradient (dz = dy where y > 0, else 0; dz may alias dy) over `rows`
// rows of `channels` values, and each channel's sum of dz into sums[c]: a
// layer's bias gradient from the same pass over the data. The sums are
// accumulated in double, the same for every thread count.
void relu_backward_channel_sums(const float* y, const float* dy, float* dz, Dim rows, Dim channels,
                                float* sums);

}  // namespace stride::kernels
