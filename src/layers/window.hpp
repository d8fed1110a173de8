// Helpers shared by the windowed layer families (convolutions, pooling):
// spatial axes of a shape, the output dims from shape/ arithmetic, and the
// explain text for one spatial axis.
#pragma once

#include <string>
#include <vector>

#include "stride/layer.hpp"

namespace stride::layers {

// The dims between batch and channels (channels_last: 1..n-2, first: 2..n-1).
std::vector<Dim> spatial_dims(const Shape& input, bool channels_first);
Dim channel_dim(const Shape& input, bool channels_first);
// Rebuilds a shape from batch, spatial dims and channels in the data format.
Shape make_shape(Dim batch, const std::vector<Dim>& spatial, Dim channels, bool channels_first);
// "length" for 1D, "height"/"width" for 2D, "depth"/"height"/"width" for 3D.
std::string axis_name(std::size_t axis, std::size_t rank);

struct Window {
  std::vector<Dim> kernel, strides, dilation;
  Padding padding = Padding::kValid;
  const char* what = "kernel";  // "kernel" or "pool" in messages
};

// Output spatial dims of a windowed layer; fails naming the layer, the
// window and the input when a valid window is larger than the input.
std::vector<Dim> windowed_dims(const Layer& layer, const Shape& input, bool channels_first,
                               const Window& window);

// Explain lines for every spatial axis: the formula with its numbers, the
// rounding and why, what valid leaves unread, how same pads.
void explain_window(Explanation& out, const Shape& input, bool channels_first,
                    const Window& window);

// "(3, 3)" style tuple text for messages.
std::string tuple_text(const std::vector<Dim>& v);

}  // namespace stride::layers
