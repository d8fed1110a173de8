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

// A pooling layer's window from its config (pool_size, strides: None means
// pool_size, padding), failing on a zero stride.
Window pool_window(const Config& config, std::size_t rank);

// Output spatial dims of a windowed layer; fails naming the layer, the
// window and the input when a valid window is larger than the input.
std::vector<Dim> windowed_dims(const Layer& layer, const Shape& input, bool channels_first,
                               const Window& window);

// Explain lines for every spatial axis: the formula with its numbers, the
// rounding and why, what valid leaves unread, how same pads.
void explain_window(Explanation& out, const Shape& input, bool channels_first,
                    const Window& window);

// The (before, after) amounts of ZeroPadding / Cropping along each spatial
// axis, from Keras's accepted forms of `key`: rank 1: an int (both sides) or a
// (before, after) pair; rank 2/3: an int, or a tuple of `rank` entries, each an
// int (symmetric) or a (before, after) pair. Negative values are refused, in
// Keras's wording (argument_validation.standardize_tuple).
struct SidePair {
  Dim before = 0, after = 0;
};
std::vector<SidePair> side_pairs(const Config& config, const std::string& key, std::size_t rank);
// Keras-style normalized value for get_config: [b, a] (rank 1) or [[b, a], ...].
Json side_pairs_json(const std::vector<SidePair>& pairs);
// Names of the two sides of a spatial axis: "top"/"bottom", "left"/"right",
// "front"/"back" (3D depth); rank 1 uses "left"/"right".
const char* side_before_name(std::size_t axis, std::size_t rank);
const char* side_after_name(std::size_t axis, std::size_t rank);

// "(3, 3)" style tuple text for messages.
std::string tuple_text(const std::vector<Dim>& v);

}  // namespace stride::layers
