// keras.Input / InputLayer: the model's input shape (reference §3, §6).
// A Sequential model keeps it as its input and does not list it as a layer.
#include <fmt/format.h>

#include "families.hpp"

namespace stride::layers {

namespace {

class InputLayer : public Layer {
 public:
  explicit InputLayer(Config config) : Layer(std::move(config)) {
    const Config& c = this->config();
    // Keras 2 spells the shape input_shape / batch_input_shape, Keras 3
    // shape / batch_shape; all end up as batch_input_shape.
    Json batch;
    const char* given = nullptr;
    for (const char* key : {"batch_input_shape", "batch_shape"}) {
      if (!c.is_null(key)) batch = c.json()[key], given = key;
    }
    for (const char* key : {"shape", "input_shape"}) {
      if (c.is_null(key)) continue;
      if (given) c.fail(key, fmt::format("give either `{}` or `{}`, not both", given, key));
      const Json& s = c.json()[key];
      batch = Json::array({c.is_null("batch_size") ? Json(nullptr) : c.json()["batch_size"]});
      if (s.is_number_integer())
        batch.push_back(s);
      else if (s.is_array())
        for (const Json& d : s) batch.push_back(d);
      else
        c.fail(key, fmt::format("`{}` must be a tuple of dimensions. Received: {}={}", key, key,
                                python_repr(s)));
      given = key;
    }
    if (!given) c.fail("shape", "an input needs `shape=` (or `batch_shape=`)");
    if (!batch.is_array() || batch.empty())
      c.fail(given, fmt::format("`{}` must be a non-empty tuple. Received: {}", given,
                                python_repr(c.json()[given])));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const Json& d = batch[i];
      if (d.is_null()) continue;
      if (!d.is_number_integer() || d.get<std::int64_t>() <= 0)
        c.fail(given, fmt::format("input dimensions must be positive integers or None. "
                                  "Received: {}={}",
                                  given, python_repr(c.json()[given])));
    }
    Json& j = mutable_config();
    for (const char* key : {"shape", "input_shape", "batch_shape", "batch_size"}) j.erase(key);
    j["batch_input_shape"] = batch;
  }

  Shape compute_output_shape(const Shape& input) const override { return input; }

 protected:
  Tensor forward(const Tensor& input, const CallOptions&) const override { return input; }
};

Signature input_layer_signature() {
  return {{"input_shape", nullptr},  {"batch_size", nullptr},  {"dtype", nullptr},
          {"input_tensor", nullptr}, {"sparse", nullptr},      {"name", nullptr},
          {"ragged", nullptr},       {"type_spec", nullptr},   {"batch_input_shape", nullptr},
          {"shape", nullptr},        {"batch_shape", nullptr}, {"optional", false}};
}

Signature input_signature() {
  return {{"shape", nullptr},  {"batch_size", nullptr}, {"name", nullptr},
          {"dtype", nullptr},  {"sparse", nullptr},     {"tensor", nullptr},
          {"ragged", nullptr}, {"type_spec", nullptr},  {"batch_shape", nullptr},
          {"optional", false}};
}

std::unique_ptr<Layer> make_input(const Config& c) {
  return std::make_unique<InputLayer>(c);
}

}  // namespace

void register_input(LayerRegistry& r) {
  r.add({"InputLayer", input_layer_signature(), make_input, {}});
  // keras.Input(shape=...) is a function returning an InputLayer.
  r.add({"InputLayer", input_signature(), make_input, {"Input"}});
}

}  // namespace stride::layers
