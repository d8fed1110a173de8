// Conv2D written out as plain loops, independent of stride's kernels: the
// worker checks stride's outputs against it before timing anything, so a
// broken fast path cannot produce flattering times.
#pragma once

#include <algorithm>
#include <stride/tensor.hpp>

namespace stride::bench {

// A Keras Conv2D (NHWC, kernel (kh, kw, cin, cout), bias, no dilation) on a
// batch: sizes and the SAME padding split as keras/utils/conv_utils.py has
// them (the odd pixel goes bottom/right).
struct ConvGeometry {
  Dim n = 0, h = 0, w = 0, cin = 0, cout = 0, kernel = 0, stride = 1;
  bool same = false;

  Dim out_h() const { return out_size(h); }
  Dim out_w() const { return out_size(w); }
  Dim pad_top() const { return pad_before(h); }
  Dim pad_left() const { return pad_before(w); }
  // Multiply-adds counted as 2 FLOPs; bias not counted.
  double forward_flops() const {
    return 2.0 * n * out_h() * out_w() * cout * kernel * kernel * cin;
  }

 private:
  Dim out_size(Dim in) const {
    return same ? (in + stride - 1) / stride : (in - kernel) / stride + 1;
  }
  Dim pad_before(Dim in) const {
    if (!same) return 0;
    const Dim total = std::max<Dim>((out_size(in) - 1) * stride + kernel - in, 0);
    return total / 2;
  }
};

// The worst error over the checked elements, each relative to the sum of
// the absolute values of its terms (so large sums of float32 products are
// judged by their own scale).
struct CheckResult {
  double max_error = 0;
  Dim checked = 0;
  bool ok(double tolerance = 1e-4) const { return checked > 0 && max_error <= tolerance; }
};

// y = conv(x) + bias, at up to max_points output elements spread over y.
CheckResult check_conv_forward(const ConvGeometry& g, const Tensor& x, const Tensor& kernel,
                               const Tensor& bias, const Tensor& y, Dim max_points);
// dX, dKernel and dBias for output gradient dy, each at up to max_points
// elements (dBias: all of it).
CheckResult check_conv_backward(const ConvGeometry& g, const Tensor& x, const Tensor& kernel,
                                const Tensor& dy, const Tensor& dx, const Tensor& dkernel,
                                const Tensor& dbias, Dim max_points);

}  // namespace stride::bench
