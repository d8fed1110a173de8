// What the layer families' forward() implementations share: data-format
// handling, kernel geometry from a Window, and activations.
#pragma once

#include <string>
#include <utility>

#include "kernels/conv.hpp"
#include "kernels/transpose.hpp"
#include "window.hpp"

namespace stride::layers {

// Kernels work channels_last; a channels_first layer transposes around them.
template <class ChannelsLastOp>
Tensor in_channels_last(const Tensor& input, bool channels_first, ChannelsLastOp&& op) {
  if (!channels_first) return op(input);
  return kernels::to_channels_first(op(kernels::to_channels_last(input)));
}

// A 1D/2D window's values right-aligned into the kernels' 3D (depth, height,
// width), the leading entries `fill`.
kernels::Spatial spatial3(const std::vector<Dim>& dims, Dim fill);

// The geometry of a windowed op from channels_last input and output shapes:
// SAME pads per TensorFlow's split, causal pads k_eff - 1 before.
kernels::ConvGeometry conv_geometry(const Shape& input, const Shape& output, const Window& window);

// A grouped convolution of a channels_last input (kernels::conv_forward
// documents the layouts); groups == channels is a depthwise convolution.
Tensor convolve(const Layer& layer, const Tensor& input, const Window& window, Dim filters,
                Dim groups, const float* kernel, const float* bias, ComputePath path);

// Copies a box of `extent` spatial positions (all channels) from `source` at
// `from` to `target` at `to`; both channels_last with the same channel
// count. ZeroPadding and Cropping are this copy.
void copy_box(const Tensor& source, Tensor& target, const std::vector<Dim>& from,
              const std::vector<Dim>& to, const std::vector<Dim>& extent);

// A tensor with some axes moved to the end (in the order given) and seen as
// rows of their combined size: how softmax, BatchNormalization and
// LayerNormalization work over arbitrary axes with one row loop.
struct AxesLast {
  Tensor rows;                       // (other elements, row size)
  std::vector<std::size_t> restore;  // the permutation back; empty when none was needed
  Shape moved_shape;
};
AxesLast move_axes_last(const Tensor& input, const std::vector<std::size_t>& axes);
// `rows` (shaped like a.rows) back in the original axis order.
Tensor restore_axes(const AxesLast& a, const Tensor& rows);

// Applies a Keras activation by name in place, over the last axis for softmax.
void activate(const std::string& activation, Tensor& values, const CallOptions& options);

}  // namespace stride::layers
