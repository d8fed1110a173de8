// Backpropagation through a Sequential model: the layers' tapes forward, the
// loss, then every layer's backward in reverse, into one gradient buffer.
#include <fmt/format.h>

#include "stride/model.hpp"
#include "stride/random.hpp"

namespace stride {

namespace {

// Views of `buffer` shaped like each layer's weights, in parameter order.
std::vector<std::vector<Tensor>> per_layer_views(const std::vector<std::unique_ptr<Layer>>& layers,
                                                 const Tensor& buffer) {
  std::vector<std::vector<Tensor>> views;
  Dim offset = 0;
  for (const auto& layer : layers) {
    std::vector<Tensor> v;
    for (const WeightSpec& w : layer->weights()) {
      v.push_back(Tensor::view(buffer, offset, w.shape));
      offset += w.size();
    }
    views.push_back(std::move(v));
  }
  return views;
}

}  // namespace

double Sequential::compute_gradients(const Tensor& x, const Tensor& y, const Loss& loss,
                                     Random& random, ComputePath path, Tensor* predictions) {
  build();
  if (gradients_.size() != parameters_.size()) gradients_ = Tensor(parameters_.shape());
  std::vector<Tape> tapes(layers_.size());
  CallOptions options{.training = true, .path = path, .random = &random};
  Tensor output = x;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    options.tape = &tapes[i];
    try {
      output = layers_[i]->call(output, options);
    } catch (Error& e) {
      e.set_loc_if_unknown(layers_[i]->loc());
      throw;
    }
  }
  if (predictions) *predictions = output;
  LossValue value = loss.compute(y, output);
  std::vector<std::vector<Tensor>> grads = per_layer_views(layers_, gradients_);
  Tensor upstream = value.gradient;
  for (std::size_t i = layers_.size(); i-- > 0;) {
    try {
      upstream = layers_[i]->backward(tapes[i], upstream, grads[i], path);
    } catch (Error& e) {
      e.set_loc_if_unknown(layers_[i]->loc());
      throw;
    }
  }
  return value.value;
}

std::vector<Variable> Sequential::trainable_variables() {
  build();
  if (gradients_.size() != parameters_.size()) gradients_ = Tensor(parameters_.shape());
  std::vector<Variable> variables;
  const std::vector<std::vector<Tensor>> grads = per_layer_views(layers_, gradients_);
  for (std::size_t l = 0; l < layers_.size(); ++l)
    for (std::size_t i = 0; i < layers_[l]->weights().size(); ++i)
      if (layers_[l]->weights()[i].trainable)
        variables.push_back({layers_[l]->name() + "/" + layers_[l]->weights()[i].name,
                             layers_[l]->weight_values()[i], grads[l][i]});
  return variables;
}

}  // namespace stride
