// What the convolution families (conv, conv_transpose, depthwise_conv,
// separable_conv) read, check and print alike.
#pragma once

#include <string>
#include <vector>

#include "window.hpp"

namespace stride::layers {

// kernel_size, strides, dilation_rate and padding of a `rank`-D convolution,
// checked as Keras does: sizes > 0, tuples of `rank` ints, and no
// strides > 1 together with dilation_rate > 1.
Window read_conv_window(const Config& config, std::size_t rank, bool allow_causal);

// Writes Keras's normalized values back (kernel_size=3 -> [3, 3],
// padding 'SAME' -> 'same', data_format None -> 'channels_last',
// activation None -> 'linear'), as Keras's get_config() lists them.
void normalize_conv_config(Json& config, const Window& window, bool channels_first,
                           const std::string& activation);

// Keras 2 serializes `groups: 1` for transposed, depthwise and separable
// convolutions (inherited from its base Conv) but only Conv1D/2D/3D group
// channels: accept 1 so that Keras 2 JSON loads, refuse anything else, and
// drop the key so the config reads as Keras 3's.
void accept_only_one_group(const Config& config, Json& mutable_config);

// The input channel count, which sizes the weights and so must be known.
// Keras's message names the channel axis (-1 for channels_last, 1 for first).
Dim known_input_channels(const Layer& layer, const Shape& input, bool channels_first);

// "3*3" for a (3, 3) kernel: the factors of a parameter count.
std::string product_text(const std::vector<Dim>& dims);

}  // namespace stride::layers
