// Sequential: layers in order, Keras default names, shape inference.
#include <fmt/format.h>

#include "stride/model.hpp"

namespace stride {

Sequential::Sequential(std::string name) : name_(std::move(name)) {}

std::string Sequential::unique_default_name(const std::string& class_name) {
  const std::string prefix = keras_snake_case(class_name);
  const int n = name_counts_[prefix]++;
  return n == 0 ? prefix : fmt::format("{}_{}", prefix, n);
}

Sequential& Sequential::input(const std::vector<Dim>& shape, Dim batch_size) {
  input_shape_.assign(1, batch_size);
  input_shape_.insert(input_shape_.end(), shape.begin(), shape.end());
  if (input_name_.empty()) input_name_ = "input_1";  // Keras 2 numbers inputs from 1
  built_ = false;
  return *this;
}

Sequential& Sequential::add(std::unique_ptr<Layer> layer) {
  if (layer->class_name() == "InputLayer") {
    if (has_input() || !layers_.empty())
      throw Error(layer->loc(), "InputLayer: a Sequential model takes its input only once, first");
    const Json& batch = layer->config().json()["batch_input_shape"];
    input_shape_.clear();
    for (const Json& d : batch) input_shape_.push_back(d.is_null() ? kNone : d.get<Dim>());
    input_name_ = layer->name().empty() ? "input_1" : layer->name();
    built_ = false;
    return *this;
  }
  if (layer->name().empty()) layer->set_name(unique_default_name(layer->class_name()));
  const Json& cfg = layer->config().json();
  if (layers_.empty() && !has_input() && cfg.contains("batch_input_shape")) {
    input_shape_.clear();
    for (const Json& d : cfg["batch_input_shape"])
      input_shape_.push_back(d.is_null() ? kNone : d.get<Dim>());
    input_name_ = layer->name() + "_input";
  }
  layers_.push_back(std::move(layer));
  built_ = false;
  return *this;
}

Sequential& Sequential::add(std::string_view keras_call) {
  return add(make_layer(parse_layer_call(keras_call, "<add>")));
}

void Sequential::build() {
  if (built_) return;
  ensure_built();
  // One buffer for every parameter; each layer's weights view into it.
  parameters_ = Tensor({count_params()});
  std::vector<std::vector<Tensor>> views = weight_views(parameters_);
  for (std::size_t i = 0; i < layers_.size(); ++i) layers_[i]->bind_weights(std::move(views[i]));
  built_ = true;
  initialize_weights(0);
}

void Sequential::ensure_built() const {
  if (built_) return;
  if (!has_input()) {
    SourceLoc loc = layers_.empty() ? SourceLoc{} : layers_.front()->loc();
    throw Error(loc,
                "the model has no input shape: start it with keras.Input(shape=...) or give the "
                "first layer input_shape=...");
  }
  // The layers are owned through pointers: building them records their
  // shapes and weights without changing the model's own state.
  Shape shape = input_shape_;
  for (const auto& layer : layers_) {
    try {
      layer->build(shape);
    } catch (Error& e) {
      e.set_loc_if_unknown(layer->loc());
      throw;
    }
    shape = layer->output_shape();
  }
}

std::vector<std::vector<Tensor>> Sequential::weight_views(const Tensor& buffer) const {
  std::vector<std::vector<Tensor>> views;
  Dim offset = 0;
  for (const auto& layer : layers_) {
    std::vector<Tensor> v;
    for (const WeightSpec& w : layer->weights()) {
      v.push_back(Tensor::view(buffer, offset, w.shape));
      offset += w.size();
    }
    views.push_back(std::move(v));
  }
  return views;
}

const Layer& Sequential::layer(std::string_view name) const {
  for (const auto& l : layers_)
    if (l->name() == name) return *l;
  std::vector<std::string> names;
  for (const auto& l : layers_) names.push_back(l->name());
  throw Error(
      fmt::format("no layer named '{}' in model '{}' (layers: {})", name, name_,
                  names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
}

Shape Sequential::output_shape() const {
  return layers_.empty() ? input_shape_ : layers_.back()->output_shape();
}

Dim Sequential::count_params() const {
  return checked_add(trainable_params(), non_trainable_params(), "total parameter count");
}

Dim Sequential::trainable_params() const {
  Dim n = 0;
  for (const auto& l : layers_) n = checked_add(n, l->trainable_params(), "parameter count");
  return n;
}

Dim Sequential::non_trainable_params() const {
  Dim n = 0;
  for (const auto& l : layers_) n = checked_add(n, l->non_trainable_params(), "parameter count");
  return n;
}

}  // namespace stride
