#include "conv_common.hpp"

#include <fmt/format.h>

namespace stride::layers {

Window read_conv_window(const Config& c, std::size_t rank, bool allow_causal) {
  Window w;
  w.kernel = c.int_tuple("kernel_size", rank);
  w.strides = c.int_tuple("strides", rank);
  w.dilation = c.int_tuple("dilation_rate", rank);
  w.padding = c.padding("padding", allow_causal);
  bool strided = false, dilated = false;
  for (std::size_t i = 0; i < rank; ++i) {
    strided = strided || w.strides[i] > 1;
    dilated = dilated || w.dilation[i] > 1;
  }
  if (strided && dilated)
    c.fail("strides", fmt::format("`strides > 1` not supported in conjunction with "
                                  "`dilation_rate > 1`. Received: strides={} and "
                                  "dilation_rate={}",
                                  tuple_text(w.strides), tuple_text(w.dilation)));
  return w;
}

void normalize_conv_config(Json& j, const Window& w, bool channels_first,
                           const std::string& activation) {
  j["kernel_size"] = w.kernel;
  j["strides"] = w.strides;
  j["padding"] = padding_name(w.padding);
  j["data_format"] = channels_first ? "channels_first" : "channels_last";
  j["dilation_rate"] = w.dilation;
  j["activation"] = activation;
}

void accept_only_one_group(const Config& c, Json& j) {
  if (!c.has("groups")) return;
  if (c.is_null("groups") || c.integer("groups") != 1)
    c.fail("groups", fmt::format("`groups` is only supported by Conv1D, Conv2D and Conv3D; {} "
                                 "accepts only groups=1. Received: groups={}",
                                 c.class_name(), python_repr(c.json().at("groups"))));
  j.erase("groups");
}

Dim known_input_channels(const Layer& layer, const Shape& input, bool channels_first) {
  const Dim channels = channel_dim(input, channels_first);
  if (channels == kNone)
    layer.fail(
        fmt::format("The channel dimension of the inputs should be defined. The input_shape "
                    "received is {}, where axis {} (0-based) is the channel dimension, "
                    "which found to be `None`.",
                    shape_to_python(input), channels_first ? 1 : -1));
  return channels;
}

std::string product_text(const std::vector<Dim>& dims) {
  std::string text;
  for (std::size_t i = 0; i < dims.size(); ++i) text += (i ? "*" : "") + std::to_string(dims[i]);
  return text;
}

}  // namespace stride::layers
