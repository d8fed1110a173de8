// The Layer base: build(), weights and the messages every layer shares.
#include "stride/layer.hpp"

#include <fmt/format.h>

namespace stride {

Dim WeightSpec::size() const {
  return checked_product(shape, "weight '" + name + "' size");
}

Layer::Layer(Config config) : config_(std::move(config)) {
  const Json& j = config_.json();
  auto it = j.find("name");
  if (it != j.end() && it->is_string()) name_ = it->get<std::string>();
}

void Layer::set_name(std::string name) {
  name_ = std::move(name);
  config_.json()["name"] = name_;
}

Json Layer::get_config() const {
  return config_.json();
}

std::string Layer::display_name() const {
  return name_.empty() ? class_name() : fmt::format("{} layer '{}'", class_name(), name_);
}

void Layer::fail(const std::string& message) const {
  throw Error(display_name() + ": " + message);
}

void Layer::require_rank(const Shape& input, std::size_t rank) const {
  if (input.size() != rank)
    fail(fmt::format("expected input of rank {} (batch included), got rank {}: input shape {}",
                     rank, input.size(), shape_to_python(input)));
}

void Layer::require_min_rank(const Shape& input, std::size_t rank) const {
  if (input.size() < rank)
    fail(
        fmt::format("expected input of rank at least {} (batch included), got rank {}: input "
                    "shape {}",
                    rank, input.size(), shape_to_python(input)));
}

std::vector<WeightSpec> Layer::make_weights(const Shape&) const {
  return {};
}

void Layer::build(const Shape& input_shape) {
  try {
    output_shape_ = compute_output_shape(input_shape);
    weights_ = make_weights(input_shape);
    // A frozen layer (trainable=False, common in saved fine-tuning models)
    // keeps its weights, all of them non-trainable, as in Keras.
    const Json& cfg = config_.json();
    if (auto t = cfg.find("trainable"); t != cfg.end() && t->is_boolean() && !t->get<bool>())
      for (WeightSpec& w : weights_) w.trainable = false;
    for (const WeightSpec& w : weights_) {
      for (Dim d : w.shape)
        if (d == kNone)
          fail(fmt::format("weight '{}' needs a known input dimension; input shape {}", w.name,
                           shape_to_python(input_shape)));
      (void)w.size();  // throws on overflow
    }
    input_shape_ = input_shape;
    (void)count_params();  // throws on overflow
    // Values bound for other weight shapes no longer fit.
    for (std::size_t i = 0; i < weight_values_.size(); ++i)
      if (i >= weights_.size() || weight_values_[i].shape() != weights_[i].shape) {
        weight_values_.clear();
        break;
      }
  } catch (const Error& e) {
    // The 64-bit overflow checks of shape.hpp do not know the layer: name it
    // and the input shape here. Messages from fail() already name the layer.
    const std::string message = e.what();
    if (message.rfind(display_name() + ": ", 0) == 0) throw;
    fail(fmt::format("{}; input shape {}", message, shape_to_python(input_shape)));
  }
  built_ = true;
}

Dim Layer::count_params() const {
  return checked_add(trainable_params(), non_trainable_params(), "parameter count");
}

Dim Layer::trainable_params() const {
  Dim n = 0;
  for (const WeightSpec& w : weights_)
    if (w.trainable) n = checked_add(n, w.size(), "parameter count");
  return n;
}

Dim Layer::non_trainable_params() const {
  Dim n = 0;
  for (const WeightSpec& w : weights_)
    if (!w.trainable) n = checked_add(n, w.size(), "parameter count");
  return n;
}

std::string Layer::param_arithmetic() const {
  if (weights_.empty()) return "params: none (0)";
  std::string text = "params: ";
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    const WeightSpec& w = weights_[i];
    if (i) text += " + ";
    std::string dims;
    for (std::size_t k = 0; k < w.shape.size(); ++k)
      dims += (k ? "*" : "") + std::to_string(w.shape[k]);
    text += w.name + " " + dims;
  }
  text += fmt::format(" = {}", count_params());
  if (non_trainable_params() > 0)
    text += fmt::format(" ({} trainable, {} non-trainable)", trainable_params(),
                        non_trainable_params());
  return text;
}

Tensor Layer::call(const Tensor& input, const CallOptions& options) const {
  if (!built_) fail("call() before build()");
  if (!fits_apart_from_batch(input_shape_, input.shape()))
    fail(fmt::format("input of shape {} does not fit the layer's input shape {}",
                     shape_to_python(input.shape()), shape_to_python(input_shape_)));
  if (weight_values_.size() != weights_.size())
    fail("the layer's weights have no values (initialize or load them first)");
  if (options.tape) *options.tape = Tape{input, Tensor(), {}};
  Tensor output = forward(input, options);
  if (output.shape() != compute_output_shape(input.shape()))
    fail(fmt::format("internal error: output shape {} differs from the shape rule's {}",
                     shape_to_python(output.shape()),
                     shape_to_python(compute_output_shape(input.shape()))));
  if (options.tape) options.tape->output = output;
  return output;
}

Tensor Layer::call_with_next(const Tensor& input, const Layer& next, const CallOptions& options,
                             Tape* next_tape) const {
  if (!built_ || !next.built_ || weight_values_.size() != weights_.size() ||
      next.weight_values_.size() != next.weights_.size() ||
      !fits_apart_from_batch(input_shape_, input.shape()) || (options.tape && !next_tape))
    return Tensor();  // call() says what is wrong
  if (options.tape) {
    *options.tape = Tape{input, Tensor(), {}, options.tape->input_grad_needed};
    *next_tape = Tape{};
  }
  Tensor output = forward_with_next(input, next, options, next_tape);
  if (output.empty()) return output;
  if (next_tape) next_tape->output = output;
  const Shape expected = next.compute_output_shape(compute_output_shape(input.shape()));
  if (output.shape() != expected)
    fail(fmt::format("internal error: fused output shape {} differs from the shape rules' {}",
                     shape_to_python(output.shape()), shape_to_python(expected)));
  return output;
}

Tensor Layer::forward_with_next(const Tensor&, const Layer&, const CallOptions&, Tape*) const {
  return Tensor();
}

bool Layer::backward_with_next(const Tape&, const Layer&, const Tape&, const Tensor&,
                               std::vector<Tensor>&, ComputePath, Tensor*) const {
  return false;
}

Tensor Layer::backward(const Tape&, const Tensor&, std::vector<Tensor>&, ComputePath) const {
  fail("backward is not implemented for this layer yet");
}

Tensor Layer::forward(const Tensor&, const CallOptions&) const {
  fail("this layer cannot compute yet");
}

void Layer::bind_weights(std::vector<Tensor> values) {
  if (values.size() != weights_.size())
    fail(fmt::format("{} weight values for {} weights", values.size(), weights_.size()));
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i].shape() != weights_[i].shape)
      fail(fmt::format("weight '{}' has shape {}, the value bound to it {}", weights_[i].name,
                       shape_to_python(weights_[i].shape), shape_to_python(values[i].shape())));
  weight_values_ = std::move(values);
}

const Tensor& Layer::weight(std::string_view name) const {
  for (std::size_t i = 0; i < weights_.size() && i < weight_values_.size(); ++i)
    if (weights_[i].name == name) return weight_values_[i];
  fail(fmt::format("no value for weight '{}'", name));
}

void Layer::explain(Explanation& out) const {
  out.add(fmt::format("output shape = input shape {}", shape_to_python(output_shape_)));
  out.add(param_arithmetic());
}

}  // namespace stride
