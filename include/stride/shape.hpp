// Shapes and the pure output-size arithmetic of convolution, transposed
// convolution and pooling: the one source of truth used by the layers,
// summary, explain and (later) compute. Formulas follow Keras
// (keras/utils/conv_utils.py) and TensorFlow's SAME padding split.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stride {

using Dim = std::int64_t;
// An unknown dimension: Python's None, JSON's null.
inline constexpr Dim kNone = -1;

// A full shape including the batch dimension, as Keras prints it:
// (None, 30, 30, 5).
using Shape = std::vector<Dim>;

// Python tuple text: "(None, 30, 30, 5)"; a 1-tuple prints "(None,)".
std::string shape_to_python(const Shape& shape);
// Keras 3 rendering: like Python but a 1-tuple prints "(None)".
std::string shape_to_keras3(const Shape& shape);
// "30x30x5" for the non-batch dims (used in messages).
std::string dims_to_x(const std::vector<Dim>& dims);

enum class Padding { kValid, kSame, kCausal };
const char* padding_name(Padding p);

// Floor division rounding toward minus infinity, as Python's //.
Dim floor_div(Dim a, Dim b);

// Effective extent of a dilated kernel: (k - 1) * d + 1.
Dim effective_kernel(Dim k, Dim dilation);

// Keras conv_output_length: valid -> floor((in - k_eff) / s) + 1,
// same/causal -> ceil(in / s). Unknown input stays unknown. May return a
// value <= 0 for a window larger than the input; callers reject that.
Dim conv_output_length(Dim in, Dim kernel, Padding padding, Dim stride, Dim dilation = 1);

// Keras deconv_output_length for transposed convolutions.
// output_padding unset: valid -> in*s + max(k_eff - s, 0), same -> in*s.
// set: (in - 1)*s + k_eff - 2*pad + output_padding with pad = k_eff/2 (same), 0 (valid).
Dim deconv_output_length(Dim in, Dim kernel, Padding padding, std::optional<Dim> output_padding,
                         Dim stride, Dim dilation = 1);

// Pooling uses the convolution rule with dilation 1.
inline Dim pool_output_length(Dim in, Dim pool, Padding padding, Dim stride) {
  return conv_output_length(in, pool, padding, stride, 1);
}

// The zero padding a SAME window adds along one dimension (TensorFlow's
// GetWindowedOutputSizeVerbose): total = max((out - 1)*s + k_eff - in, 0),
// before = total / 2, after = total - before, so an odd pixel goes after
// (bottom/right).
struct PaddingSplit {
  Dim total = 0;
  Dim before = 0;
  Dim after = 0;
};
PaddingSplit same_padding(Dim in, Dim kernel, Dim stride, Dim dilation = 1);

// Everything there is to say about one spatial dimension of a windowed
// layer (convolution or pooling): what explain prints.
struct WindowDim {
  Dim in = 0, kernel = 0, stride = 1, dilation = 1, k_eff = 0;
  Padding padding = Padding::kValid;
  Dim out = 0;
  // valid: (in - k_eff) / s before flooring; same: in / s before ceiling.
  Dim numerator = 0, denominator = 1;
  bool exact = true;  // the division had no remainder
  PaddingSplit pad;   // same/causal only
  Dim unreached = 0;  // valid only: trailing input rows no window covers
};
WindowDim window_dim(Dim in, Dim kernel, Padding padding, Dim stride, Dim dilation = 1);

// Whether a concrete shape `actual` fits a built shape `expected`: the same
// rank and the same dims, apart from the batch dim and unknown (None) dims.
bool fits_apart_from_batch(const Shape& expected, const Shape& actual);

// Multiplication and addition that throw stride::Error on 64-bit overflow,
// naming `what` in the message.
Dim checked_mul(Dim a, Dim b, const std::string& what);
Dim checked_add(Dim a, Dim b, const std::string& what);
// Product of dims; kNone if any dim is unknown. Throws on overflow.
Dim checked_product(const std::vector<Dim>& dims, const std::string& what);

}  // namespace stride
