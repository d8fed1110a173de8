#include "kernels/transpose.hpp"

#include <numeric>

namespace stride::kernels {

Tensor transpose(const Tensor& input, const std::vector<std::size_t>& axes) {
  const std::size_t rank = input.rank();
  Shape out_shape(rank);
  for (std::size_t i = 0; i < rank; ++i) out_shape[i] = input.dim(axes[i]);
  Tensor output(out_shape);
  if (output.empty()) return output;
  // Input strides, reordered to follow the output's axes.
  std::vector<Dim> in_strides(rank, 1);
  for (std::size_t i = rank; i-- > 1;) in_strides[i - 1] = in_strides[i] * input.dim(i);
  std::vector<Dim> stride(rank);
  for (std::size_t i = 0; i < rank; ++i) stride[i] = in_strides[axes[i]];
  // Walk the output in order with an odometer over its index; the innermost
  // axis is a strided copy.
  std::vector<Dim> index(rank, 0);
  const Dim inner = out_shape.back(), inner_stride = stride.back();
  float* out = output.data();
  const float* in = input.data();
  for (Dim done = 0; done < output.size(); done += inner) {
    Dim offset = 0;
    for (std::size_t i = 0; i + 1 < rank; ++i) offset += index[i] * stride[i];
    for (Dim j = 0; j < inner; ++j) *out++ = in[offset + j * inner_stride];
    for (std::size_t i = rank - 1; i-- > 0;) {
      if (++index[i] < out_shape[i]) break;
      index[i] = 0;
    }
  }
  return output;
}

Tensor to_channels_last(const Tensor& input) {
  std::vector<std::size_t> axes{0};
  for (std::size_t i = 2; i < input.rank(); ++i) axes.push_back(i);
  axes.push_back(1);
  return transpose(input, axes);
}

Tensor to_channels_first(const Tensor& input) {
  std::vector<std::size_t> axes{0, input.rank() - 1};
  for (std::size_t i = 1; i + 1 < input.rank(); ++i) axes.push_back(i);
  return transpose(input, axes);
}

}  // namespace stride::kernels
