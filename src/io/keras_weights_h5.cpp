// Weights in Keras's HDF5 layouts (reference §6.3), both ways.
//
// Keras 3: layers/<snake_case class>[_n]/vars/<i>, a counter per class name
// (the InputLayer is not among the layers), datasets "0", "1", ... in
// trainable-then-non-trainable order, and a vars group for every object.
// Keras 2 legacy: a group with the attribute layer_names; one subgroup per
// layer with weight_names ("conv2d/kernel:0"), one dataset per weight at
// <layer>/<weight name>. Weights are matched to the model's layers with
// weights in order, as Keras's load_weights does.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "io/keras_files.hpp"

namespace stride {

namespace {

// Keras splits attributes over 64512 bytes into name0, name1, ...
constexpr std::size_t kObjectHeaderLimit = 64512;

std::string weight_names_of(const Layer& layer) {
  std::vector<std::string> names;
  for (const WeightSpec& w : layer.weights()) names.push_back(w.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

// One weight, read after its dtype and shape are checked against the model's.
Array read_weight(const hdf5::Dataset& dataset, const Layer& layer, const WeightSpec& w) {
  if (!dataset.is_float())
    dataset.fail(fmt::format("has dtype {}, expected float32 ({} weight '{}')", dataset.dtype(),
                             layer.display_name(), w.name));
  const Shape shape = dataset.shape();
  if (shape != w.shape)
    dataset.fail(fmt::format("has shape {}, the model expects {} ({} weight '{}')",
                             shape_to_python(shape), shape_to_python(w.shape), layer.display_name(),
                             w.name));
  Array array;
  array.dtype = DType::kFloat32;
  array.shape = shape;
  array.bytes.resize(static_cast<std::size_t>(w.size()) * sizeof(float));
  dataset.read_float32(reinterpret_cast<float*>(array.bytes.data()));
  return array;
}

std::string array_key(const Layer& layer, const WeightSpec& w) {
  return layer.name() + "/" + w.name;
}

// ---- Keras 3 ----------------------------------------------------------------

// layers/<key> for every layer of the model, Keras 3's _get_unique_name.
std::vector<std::string> keras3_layer_keys(const Sequential& model) {
  std::map<std::string, int> used;
  std::vector<std::string> keys;
  for (const auto& layer : model.layers()) {
    const std::string snake = keras_snake_case(layer->class_name());
    const int n = used[snake]++;
    keys.push_back(n == 0 ? snake : fmt::format("{}_{}", snake, n));
  }
  return keys;
}

NamedArrays read_keras3_weights(const hdf5::Group& root, const Sequential& model) {
  const std::vector<std::string> keys = keras3_layer_keys(model);
  const bool has_weights = model.count_params() > 0;
  if (!root.has_group("layers")) {
    if (!has_weights) return {};
    root.fail(
        "no group 'layers': not a Keras weights file (Keras 3 keeps weights under "
        "layers/<layer>/vars, Keras 2 under a group with a layer_names attribute)");
  }
  const hdf5::Group layers = root.group("layers");
  NamedArrays arrays;
  for (std::size_t l = 0; l < keys.size(); ++l) {
    const Layer& layer = *model.layers()[l];
    const std::string vars_name = keys[l] + "/vars";
    if (!layers.has_group(vars_name)) {
      if (layer.weights().empty()) continue;
      layers.fail_at(vars_name, fmt::format("missing: the file has no weights for {} ({})",
                                            layer.display_name(), weight_names_of(layer)));
    }
    const hdf5::Group vars = layers.group(vars_name);
    const std::vector<std::string> stored = vars.children();
    if (stored.size() != layer.weights().size())
      vars.fail(
          fmt::format("holds {} variable{}, {} has {}{}", stored.size(),
                      stored.size() == 1 ? "" : "s", layer.display_name(), layer.weights().size(),
                      layer.weights().empty() ? " (no weights)"
                                              : fmt::format(" ({})", weight_names_of(layer))));
    for (std::size_t i = 0; i < layer.weights().size(); ++i) {
      const WeightSpec& w = layer.weights()[i];
      arrays.emplace_back(array_key(layer, w),
                          read_weight(vars.dataset(std::to_string(i)), layer, w));
    }
  }
  // A layer the model lacks means the file belongs to another model.
  const std::set<std::string> expected(keys.begin(), keys.end());
  for (const std::string& child : layers.children())
    if (!expected.count(child))
      layers.fail_at(child,
                     fmt::format("matches no layer of the model (its layers are, in Keras 3's "
                                 "naming: {})",
                                 fmt::join(keys, ", ")));
  return arrays;
}

// ---- Keras 2 legacy -----------------------------------------------------------

// A string list attribute, joined from name0, name1, ... when Keras split it.
std::vector<std::string> split_attribute(const hdf5::Group& group, const std::string& name) {
  if (group.has_attribute(name)) return group.string_list_attribute(name);
  std::vector<std::string> values;
  if (!group.has_attribute(name + "0")) group.fail(fmt::format("attribute '{}': missing", name));
  for (int chunk = 0; group.has_attribute(fmt::format("{}{}", name, chunk)); ++chunk)
    for (std::string& v : group.string_list_attribute(fmt::format("{}{}", name, chunk)))
      values.push_back(std::move(v));
  return values;
}

NamedArrays read_legacy_weights(const hdf5::Group& group, const Sequential& model) {
  struct Saved {
    hdf5::Group group;
    std::vector<std::string> weight_names;
  };
  std::vector<Saved> saved;
  for (const std::string& name : split_attribute(group, "layer_names")) {
    hdf5::Group layer_group = group.group(name);
    std::vector<std::string> weight_names = split_attribute(layer_group, "weight_names");
    if (!weight_names.empty()) saved.push_back(Saved{std::move(layer_group), weight_names});
  }
  std::vector<const Layer*> with_weights;
  for (const auto& layer : model.layers())
    if (!layer->weights().empty()) with_weights.push_back(layer.get());
  if (saved.size() != with_weights.size())
    group.fail(
        fmt::format("the file has weights for {} layer{}, the model has {} layer{} with "
                    "weights",
                    saved.size(), saved.size() == 1 ? "" : "s", with_weights.size(),
                    with_weights.size() == 1 ? "" : "s"));
  NamedArrays arrays;
  for (std::size_t l = 0; l < saved.size(); ++l) {
    const Layer& layer = *with_weights[l];
    const Saved& s = saved[l];
    if (s.weight_names.size() != layer.weights().size())
      s.group.fail(fmt::format("holds {} weight{} ({}), {} has {} ({})", s.weight_names.size(),
                               s.weight_names.size() == 1 ? "" : "s",
                               fmt::join(s.weight_names, ", "), layer.display_name(),
                               layer.weights().size(), weight_names_of(layer)));
    for (std::size_t i = 0; i < layer.weights().size(); ++i) {
      const WeightSpec& w = layer.weights()[i];
      arrays.emplace_back(array_key(layer, w),
                          read_weight(s.group.dataset(s.weight_names[i]), layer, w));
    }
  }
  return arrays;
}

void set_split_attribute(const hdf5::Group& group, const std::string& name,
                         const std::vector<std::string>& values) {
  std::size_t longest = 1;
  for (const std::string& v : values) longest = std::max(longest, v.size());
  if (longest * values.size() <= kObjectHeaderLimit) {
    group.set_string_list_attribute(name, values);
    return;
  }
  const std::size_t per_chunk = std::max<std::size_t>(kObjectHeaderLimit / longest, 1);
  for (std::size_t start = 0, chunk = 0; start < values.size(); start += per_chunk, ++chunk) {
    const auto end =
        values.begin() + static_cast<std::ptrdiff_t>(std::min(values.size(), start + per_chunk));
    group.set_string_list_attribute(
        fmt::format("{}{}", name, chunk),
        std::vector<std::string>(values.begin() + static_cast<std::ptrdiff_t>(start), end));
  }
}

}  // namespace

NamedArrays read_keras_h5_weights(const hdf5::Group& root, const Sequential& model) {
  if (root.has_group("model_weights"))
    return read_legacy_weights(root.group("model_weights"), model);
  if (root.has_attribute("layer_names") || root.has_attribute("layer_names0"))
    return read_legacy_weights(root, model);
  return read_keras3_weights(root, model);
}

void write_keras3_weights(const hdf5::Group& root, const Sequential& model) {
  const std::vector<std::string> keys = keras3_layer_keys(model);
  root.create_group("vars").set_string_attribute("name", model.name());
  const hdf5::Group layers = root.create_group("layers");
  for (std::size_t l = 0; l < keys.size(); ++l) {
    const Layer& layer = *model.layers()[l];
    const hdf5::Group vars = layers.create_group(keys[l] + "/vars");
    vars.set_string_attribute("name", layer.name());
    for (std::size_t i = 0; i < layer.weights().size(); ++i)
      vars.write_float32(std::to_string(i), layer.weights()[i].shape,
                         layer.weight_values()[i].data());
  }
}

void write_legacy_weights(const hdf5::Group& group, const Sequential& model) {
  std::vector<std::string> names;
  for (const auto& layer : model.layers()) names.push_back(layer->name());
  set_split_attribute(group, "layer_names", names);
  group.set_string_attribute("backend", "tensorflow");
  group.set_string_attribute("keras_version", kKeras2Version);
  // Keras creates the layer groups in name order.
  std::vector<const Layer*> sorted;
  for (const auto& layer : model.layers()) sorted.push_back(layer.get());
  std::sort(sorted.begin(), sorted.end(),
            [](const Layer* a, const Layer* b) { return a->name() < b->name(); });
  for (const Layer* layer : sorted) {
    const hdf5::Group layer_group = group.create_group(layer->name());
    std::vector<std::string> weight_names;
    for (const WeightSpec& w : layer->weights())
      weight_names.push_back(fmt::format("{}/{}:0", layer->name(), w.name));
    set_split_attribute(layer_group, "weight_names", weight_names);
    for (std::size_t i = 0; i < weight_names.size(); ++i)
      layer_group.write_float32(weight_names[i], layer->weights()[i].shape,
                                layer->weight_values()[i].data());
  }
  group.create_group("top_level_model_weights").set_string_list_attribute("weight_names", {});
}

}  // namespace stride
