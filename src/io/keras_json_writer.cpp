// Model JSON as Keras writes it (reference §6.1, §6.2): Keras 3
// serialize_keras_object for a .keras archive's config.json, Keras 2 legacy
// to_json() for a legacy .h5's model_config. Text as Python's json.dumps
// writes it: ", " and ": " separators, keys in order, non-ASCII escaped.
#include <fmt/format.h>

#include "io/keras_files.hpp"
#include "io/python_expr.hpp"

namespace stride {

namespace {

// Python's json.dumps with default arguments.
void dump_python(const Json& value, std::string& out) {
  if (value.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [key, item] : value.items()) {
      if (!first) out += ", ";
      first = false;
      out += Json(key).dump(-1, ' ', /*ensure_ascii=*/true);
      out += ": ";
      dump_python(item, out);
    }
    out += '}';
  } else if (value.is_array()) {
    out += '[';
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (i) out += ", ";
      dump_python(value[i], out);
    }
    out += ']';
  } else if (value.is_number_float()) {
    // Python's repr of a float: shortest round trip, ".0" when integral.
    std::string text = value.dump();
    if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
    out += text;
  } else {
    out += value.dump(-1, ' ', /*ensure_ascii=*/true);
  }
}

std::string python_json(const Json& value) {
  std::string out;
  dump_python(value, out);
  return out;
}

// The config Keras's get_config() gives an initializer made with defaults.
Json default_initializer_config(const std::string& cls) {
  if (cls == "Zeros" || cls == "Ones") return Json::object();
  if (cls == "Constant") return {{"value", 0.0}};
  if (cls == "RandomNormal" || cls == "TruncatedNormal")
    return {{"mean", 0.0}, {"stddev", 0.05}, {"seed", nullptr}};
  if (cls == "RandomUniform") return {{"minval", -0.05}, {"maxval", 0.05}, {"seed", nullptr}};
  if (cls == "VarianceScaling")
    return {{"scale", 1.0},
            {"mode", "fan_in"},
            {"distribution", "truncated_normal"},
            {"seed", nullptr}};
  if (cls == "Orthogonal") return {{"gain", 1.0}, {"seed", nullptr}};
  if (cls == "Identity") return {{"gain", 1.0}};
  return {{"seed", nullptr}};  // GlorotUniform, HeNormal, LecunNormal, ...
}

// An initializer, regularizer or constraint as a serialized object; Keras
// 3 adds "module" and "registered_name".
Json serialize_object(const Json& value, const char* module, bool keras3) {
  if (value.is_null()) return value;
  Json object = Json::object();
  if (keras3) object["module"] = module;
  if (value.is_string()) {
    const std::string cls = python::class_of(value.get<std::string>());
    object["class_name"] = cls;
    object["config"] = std::string(module) == "keras.initializers" ? default_initializer_config(cls)
                                                                   : Json::object();
  } else if (value.is_object() && value.contains("class_name")) {
    object["class_name"] = value["class_name"];
    object["config"] = value.contains("config") ? value["config"] : Json::object();
  } else {
    return value;
  }
  if (keras3) object["registered_name"] = nullptr;
  return object;
}

const char* module_of_key(const std::string& key) {
  if (key.ends_with("_initializer")) return "keras.initializers";
  if (key.ends_with("_regularizer")) return "keras.regularizers";
  if (key.ends_with("_constraint")) return "keras.constraints";
  return nullptr;
}

Json dtype_policy(const Json& dtype) {
  return {{"module", "keras"},
          {"class_name", "DTypePolicy"},
          {"config", {{"name", dtype.is_string() ? dtype : Json("float32")}}},
          {"registered_name", nullptr}};
}

Json batch_shape(const Shape& shape) {
  Json out = Json::array();
  for (const Dim d : shape) out.push_back(d == kNone ? Json(nullptr) : Json(d));
  return out;
}

bool is_convolution(const std::string& cls) {
  return cls.find("Conv") != std::string::npos;
}

// Layers Keras builds in __init__ have no build_config (reference §6.2:
// pooling and dropout); the others record the shape they were built on.
bool built_at_init(const std::string& cls) {
  return cls.find("Pooling") != std::string::npos || cls.find("Dropout") != std::string::npos ||
         cls == "Activation" || cls == "ReLU" || cls == "LeakyReLU" || cls == "Softmax" ||
         cls == "ELU";
}

// The layer's get_config() as the given Keras version serializes it.
Json layer_config(const Layer& layer, bool keras3) {
  Json config = Json::object();
  const Json original = layer.get_config();
  for (const auto& [key, value] : original.items()) {
    // The model's InputLayer carries the input shape.
    if (key == "batch_input_shape" || key == "batch_size" || key == "input_dim" ||
        key == "input_length")
      continue;
    if (keras3 && key == "activity_regularizer" && value.is_null() &&
        !is_convolution(layer.class_name()))
      continue;
    if (key == "dtype")
      config[key] = keras3 ? dtype_policy(value) : value;
    else if (const char* module = module_of_key(key))
      config[key] = serialize_object(value, module, keras3);
    else
      config[key] = value;
  }
  if (keras3 && layer.class_name() == "BatchNormalization" && !config.contains("synchronized"))
    config["synchronized"] = false;
  return config;
}

}  // namespace

void require_built(const Sequential& model) {
  for (const auto& layer : model.layers())
    if (!layer->built() || layer->weight_values().size() != layer->weights().size())
      throw Error(fmt::format("model '{}' is not built: build it before saving", model.name()));
}

std::string to_python_json(const Json& value) {
  return python_json(value);
}

std::string to_keras3_json(const Sequential& model) {
  require_built(model);
  Json layers = Json::array();
  const Json input_shape = batch_shape(model.input_shape());
  layers.push_back({{"module", "keras.layers"},
                    {"class_name", "InputLayer"},
                    {"config",
                     {{"batch_shape", input_shape},
                      {"dtype", "float32"},
                      {"sparse", false},
                      {"ragged", false},
                      {"name", model.input_name()}}},
                    {"registered_name", nullptr}});
  for (const auto& layer : model.layers()) {
    Json entry = {{"module", "keras.layers"},
                  {"class_name", layer->class_name()},
                  {"config", layer_config(*layer, true)},
                  {"registered_name", nullptr}};
    if (!built_at_init(layer->class_name()))
      entry["build_config"] = {{"input_shape", batch_shape(layer->input_shape())}};
    layers.push_back(std::move(entry));
  }
  const Json root = {{"module", "keras"},
                     {"class_name", "Sequential"},
                     {"config",
                      {{"name", model.name()},
                       {"trainable", true},
                       {"dtype", dtype_policy("float32")},
                       {"layers", std::move(layers)},
                       {"build_input_shape", input_shape}}},
                     {"registered_name", nullptr},
                     {"build_config", {{"input_shape", input_shape}}}};
  return python_json(root);
}

std::string to_keras2_json(const Sequential& model) {
  require_built(model);
  Json layers = Json::array();
  layers.push_back({{"class_name", "InputLayer"},
                    {"config",
                     {{"batch_input_shape", batch_shape(model.input_shape())},
                      {"dtype", "float32"},
                      {"sparse", false},
                      {"ragged", false},
                      {"name", model.input_name()}}}});
  for (const auto& layer : model.layers())
    layers.push_back(
        {{"class_name", layer->class_name()}, {"config", layer_config(*layer, false)}});
  const Json root = {{"class_name", "Sequential"},
                     {"config", {{"name", model.name()}, {"layers", std::move(layers)}}},
                     {"keras_version", kKeras2Version},
                     {"backend", "tensorflow"}};
  return python_json(root);
}

}  // namespace stride
