// The model's weights: Keras initialization and .npz files of arrays named
// "<layer name>/<weight name>".
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "io/binary_file.hpp"
#include "io/hdf5_file.hpp"
#include "io/keras_files.hpp"
#include "model/initializers.hpp"
#include "stride/model.hpp"
#include "stride/npy.hpp"
#include "train/checkpoint_keys.hpp"

namespace stride {

namespace {

// Keras names a weight's initializer after it: kernel -> kernel_initializer,
// depthwise_kernel -> depthwise_initializer, moving_mean -> moving_mean_initializer.
Json initializer_of(const Layer& layer, const std::string& weight) {
  const Json& config = layer.config().json();
  std::vector<std::string> keys{weight + "_initializer"};
  if (const auto cut = weight.rfind("_kernel"); cut != std::string::npos && cut > 0)
    keys.push_back(weight.substr(0, cut) + "_initializer");
  for (const std::string& key : keys)
    if (auto it = config.find(key); it != config.end() && !it->is_null()) return *it;
  if (weight == "gamma" || weight == "moving_variance") return "ones";
  if (weight.find("kernel") != std::string::npos) return "glorot_uniform";
  return "zeros";
}

std::string array_key(const Layer& layer, const WeightSpec& w) {
  return layer.name() + "/" + w.name;
}

}  // namespace

void Sequential::initialize_weights(std::uint64_t seed) {
  build();
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = *layers_[l];
    for (std::size_t i = 0; i < layer.weights().size(); ++i) {
      const WeightSpec& w = layer.weights()[i];
      Random random = Random::stream(seed, l, i);
      Tensor value = layer.weight_values()[i];  // a view: writes reach the model
      try {
        initialize(initializer_of(layer, w.name), value, random);
      } catch (Error& e) {
        throw Error(layer.loc(),
                    fmt::format("{}: weight '{}': {}", layer.display_name(), w.name, e.what()));
      }
    }
  }
}

void Sequential::load_weights(const std::string& path) {
  build();
  // Room for the largest array and the file's own structures.
  const std::string bytes = read_binary_file(path, kMaxArrayBytes + (1u << 26));
  if (hdf5::has_signature(bytes) || is_keras_archive(bytes, path)) {
    set_weights(read_keras_weights(bytes, path, *this), path);
    return;
  }
  NamedArrays arrays = parse_npz(bytes, path);
  const bool checkpoint = std::any_of(arrays.begin(), arrays.end(), [](const auto& entry) {
    return entry.first == kCheckpointEpochKey;
  });
  if (checkpoint) {
    NamedArrays weights;
    for (auto& [key, array] : arrays)
      if (key.starts_with(kCheckpointWeightsPrefix))
        weights.emplace_back(key.substr(std::string_view(kCheckpointWeightsPrefix).size()),
                             std::move(array));
    arrays = std::move(weights);
  }
  set_weights(arrays, path);
}

void Sequential::set_weights(const NamedArrays& arrays, const std::string& path) {
  build();
  std::map<std::string, const Array*> by_key;
  for (const auto& [key, array] : arrays) by_key[key] = &array;
  std::set<std::string> used;
  // Check everything before writing anything: a bad file leaves the model as it was.
  for (const auto& layer : layers_)
    for (const WeightSpec& w : layer->weights()) {
      const std::string key = array_key(*layer, w);
      auto it = by_key.find(key);
      if (it == by_key.end())
        throw Error(SourceLoc{path}, fmt::format("missing weight '{}' (shape {}) of {}", key,
                                                 shape_to_python(w.shape), layer->display_name()));
      if (it->second->shape != w.shape)
        throw Error(SourceLoc{path},
                    fmt::format("weight '{}' has shape {} in the file, the model expects {}", key,
                                shape_to_python(it->second->shape), shape_to_python(w.shape)));
      used.insert(key);
    }
  for (const auto& [key, array] : arrays)
    if (!used.count(key))
      throw Error(SourceLoc{path},
                  fmt::format("array '{}' (shape {}) matches no weight of the model (weights are "
                              "named '<layer name>/<weight name>')",
                              key, shape_to_python(array.shape)));
  for (const auto& layer : layers_)
    for (std::size_t i = 0; i < layer->weights().size(); ++i) {
      const std::vector<float> values = by_key[array_key(*layer, layer->weights()[i])]->to_float();
      Tensor target = layer->weight_values()[i];
      std::copy(values.begin(), values.end(), target.data());
    }
}

void Sequential::save_weights(const std::string& path, bool compressed) const {
  if (!built_)
    throw Error(SourceLoc{path}, "save_weights: the model has no weights yet (build it)");
  write_npz(path, weight_arrays(), compressed);
}

NamedArrays Sequential::weight_arrays() const {
  ensure_built();
  NamedArrays arrays;
  for (const auto& layer : layers_)
    for (std::size_t i = 0; i < layer->weights().size(); ++i) {
      const WeightSpec& w = layer->weights()[i];
      arrays.emplace_back(array_key(*layer, w),
                          Array::from_float(w.shape, layer->weight_values()[i].data()));
    }
  return arrays;
}

}  // namespace stride
