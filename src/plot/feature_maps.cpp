// feature_maps and conv2d_kernel: what `stride featuremaps` draws, taken
// from a model.
#include <fmt/format.h>

#include "stride/plot.hpp"

namespace stride {

namespace {

// Whether the maps coming out of layer `index` are channels_first: the
// data_format of that layer, or of the nearest layer before it that has one
// (BatchNormalization, Dropout, Activation keep their input's layout).
bool channels_first_at(const Sequential& model, std::size_t index) {
  for (std::size_t i = index + 1; i-- > 0;) {
    const Config& config = model.layers()[i]->config();
    if (config.has("data_format")) return config.channels_first();
  }
  return false;
}

std::size_t layer_index(const Sequential& model, const Layer& layer) {
  std::size_t i = 0;
  while (model.layers()[i].get() != &layer) ++i;
  return i;
}

}  // namespace

Tensor feature_maps(Sequential& model, const Tensor& batch, Dim index,
                    std::string_view layer_name) {
  model.build();
  const Layer& layer = model.layer(layer_name);
  const Shape& out = layer.output_shape();
  if (out.size() != 4)
    throw Error(layer.loc(),
                fmt::format("{} outputs {}: not 2-D feature maps (batch, height, width, channels)",
                            layer.display_name(), shape_to_python(out)));
  if (!fits_apart_from_batch(model.input_shape(), batch.shape()))
    throw Error(fmt::format("input of shape {} does not fit model '{}', which expects {}",
                            shape_to_python(batch.shape()), model.name(),
                            shape_to_python(model.input_shape())));
  const Dim samples = batch.dim(0);
  if (index < 0 || index >= samples)
    throw Error(fmt::format("sample index {} is out of range: the input has {} sample{}", index,
                            samples, samples == 1 ? "" : "s"));
  Shape one = batch.shape();
  one[0] = 1;
  const Dim per_sample = batch.size() / samples;
  const Tensor output = model.call_up_to(Tensor::view(batch, index * per_sample, one), layer_name);
  if (!channels_first_at(model, layer_index(model, layer)))
    return output.reshaped({output.dim(1), output.dim(2), output.dim(3)});
  // (1, C, H, W) -> (H, W, C)
  const Dim c = output.dim(1), h = output.dim(2), w = output.dim(3);
  Tensor maps({h, w, c});
  for (Dim k = 0; k < c; ++k)
    for (Dim y = 0; y < h; ++y)
      for (Dim x = 0; x < w; ++x) maps[(y * w + x) * c + k] = output[(k * h + y) * w + x];
  return maps;
}

const Tensor& conv2d_kernel(const Sequential& model, std::string_view layer_name) {
  if (layer_name.empty()) {
    for (const auto& layer : model.layers())
      if (layer->class_name() == "Conv2D") return layer->weight("kernel");
    throw Error(fmt::format("model '{}' has no Conv2D layer", model.name()));
  }
  const Layer& layer = model.layer(layer_name);
  if (layer.class_name() != "Conv2D")
    throw Error(layer.loc(),
                fmt::format("{} is not a Conv2D layer: only Conv2D kernels are drawn as filters",
                            layer.display_name()));
  return layer.weight("kernel");
}

}  // namespace stride
