// The output-size arithmetic of the seeds, once. See include/stride/shape.hpp.
#include <fmt/format.h>

#include <algorithm>

#include "stride/error.hpp"
#include "stride/shape.hpp"

namespace stride {

namespace {
std::string join_dims(const Shape& shape) {
  std::string out;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += shape[i] == kNone ? std::string("None") : std::to_string(shape[i]);
  }
  return out;
}
}  // namespace

std::string shape_to_python(const Shape& shape) {
  return "(" + join_dims(shape) + (shape.size() == 1 ? ",)" : ")");
}

std::string shape_to_keras3(const Shape& shape) {
  return "(" + join_dims(shape) + ")";
}

std::string dims_to_x(const std::vector<Dim>& dims) {
  std::string out;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) out += "x";
    out += dims[i] == kNone ? std::string("None") : std::to_string(dims[i]);
  }
  return out;
}

const char* padding_name(Padding p) {
  switch (p) {
    case Padding::kValid:
      return "valid";
    case Padding::kSame:
      return "same";
    case Padding::kCausal:
      return "causal";
  }
  return "?";
}

Dim floor_div(Dim a, Dim b) {
  Dim q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

namespace {
// ceil(a / b) for a >= 0, b > 0, without computing a + b - 1.
Dim ceil_div(Dim a, Dim b) {
  return a / b + (a % b != 0 ? 1 : 0);
}
}  // namespace

Dim effective_kernel(Dim k, Dim dilation) {
  return checked_add(checked_mul(k - 1, dilation, "dilated kernel size"), 1, "dilated kernel size");
}

Dim conv_output_length(Dim in, Dim kernel, Padding padding, Dim stride, Dim dilation) {
  if (in == kNone) return kNone;
  // Written so that no intermediate overflows for inputs near INT64_MAX:
  // valid = floor((in - k_eff) / s) + 1, same/causal = ceil(in / s).
  if (padding == Padding::kValid)
    return floor_div(in - effective_kernel(kernel, dilation), stride) + 1;
  return ceil_div(in, stride);
}

Dim deconv_output_length(Dim in, Dim kernel, Padding padding, std::optional<Dim> output_padding,
                         Dim stride, Dim dilation) {
  if (in == kNone) return kNone;
  const Dim k_eff = effective_kernel(kernel, dilation);
  const std::string what = "transposed convolution output size";
  if (!output_padding) {
    const Dim scaled = checked_mul(in, stride, what);
    return padding == Padding::kValid ? checked_add(scaled, std::max<Dim>(k_eff - stride, 0), what)
                                      : scaled;
  }
  const Dim pad = padding == Padding::kValid ? 0 : k_eff / 2;
  return checked_add(checked_mul(in - 1, stride, what), k_eff - 2 * pad + *output_padding, what);
}

PaddingSplit same_padding(Dim in, Dim kernel, Dim stride, Dim dilation) {
  const Dim k_eff = effective_kernel(kernel, dilation);
  const Dim out = ceil_div(in, stride);
  PaddingSplit split;
  // (out - 1) * s <= in - 1, so only adding k_eff can overflow.
  split.total = std::max<Dim>(checked_add((out - 1) * stride - in, k_eff, "SAME padding"), 0);
  split.before = split.total / 2;
  split.after = split.total - split.before;
  return split;
}

WindowDim window_dim(Dim in, Dim kernel, Padding padding, Dim stride, Dim dilation) {
  WindowDim w;
  w.in = in;
  w.kernel = kernel;
  w.stride = stride;
  w.dilation = dilation;
  w.k_eff = effective_kernel(kernel, dilation);
  w.padding = padding;
  w.out = conv_output_length(in, kernel, padding, stride, dilation);
  w.denominator = stride;
  if (padding == Padding::kValid) {
    w.numerator = in - w.k_eff;
    w.exact = w.numerator % stride == 0;
    // The last window starts at (out-1)*s and ends at (out-1)*s + k_eff; rows after that are never
    // read.
    if (w.out > 0) w.unreached = in - ((w.out - 1) * stride + w.k_eff);
  } else if (padding == Padding::kCausal) {
    w.numerator = in;
    w.exact = in % stride == 0;
    w.pad.total = w.pad.before = w.k_eff - 1;  // (k - 1) * d, all on the left
  } else {
    w.numerator = in;
    w.exact = in % stride == 0;
    w.pad = same_padding(in, kernel, stride, dilation);
  }
  return w;
}

bool fits_apart_from_batch(const Shape& expected, const Shape& actual) {
  if (actual.size() != expected.size()) return false;
  for (std::size_t i = 1; i < expected.size(); ++i)
    if (expected[i] != kNone && expected[i] != actual[i]) return false;
  return true;
}

Dim checked_mul(Dim a, Dim b, const std::string& what) {
  Dim r;
  if (__builtin_mul_overflow(a, b, &r))
    throw Error(fmt::format("{} overflows 64 bits ({} * {})", what, a, b));
  return r;
}

Dim checked_add(Dim a, Dim b, const std::string& what) {
  Dim r;
  if (__builtin_add_overflow(a, b, &r))
    throw Error(fmt::format("{} overflows 64 bits ({} + {})", what, a, b));
  return r;
}

Dim checked_product(const std::vector<Dim>& dims, const std::string& what) {
  Dim p = 1;
  bool unknown = false;
  for (Dim d : dims) {
    if (d == kNone) {
      unknown = true;
      continue;
    }
    p = checked_mul(p, d, what);
  }
  return unknown ? kNone : p;
}

}  // namespace stride
