// Backpropagation through a Sequential model: the layers' tapes forward, the
// loss, then every layer's backward in reverse, into one gradient buffer.
#include <fmt/format.h>

#include "stride/model.hpp"
#include "stride/random.hpp"

namespace stride {

std::vector<std::vector<Tensor>> Sequential::gradient_views() {
  build();
  if (gradients_.size() != parameters_.size()) gradients_ = Tensor(parameters_.shape());
  return weight_views(gradients_);
}

double Sequential::compute_gradients(const Tensor& x, const Tensor& y, const Loss& loss,
                                     Random& random, ComputePath path, Tensor* predictions) {
  std::vector<std::vector<Tensor>> grads = gradient_views();
  std::vector<Tape> tapes;
  const Tensor output = run_layers(x, {.training = true, .path = path, .random = &random}, &tapes);
  if (predictions) *predictions = output;
  LossValue value = loss.compute(y, output);
  Tensor upstream = value.gradient;
  if (!tapes.empty()) tapes.front().input_grad_needed = false;
  for (std::size_t i = layers_.size(); i-- > 0;) {
    try {
      // A layer may take its gradients, and its input's, from the next
      // layer's output gradient at once (Conv2D with relu, then
      // MaxPooling2D): the next layer's own backward is skipped then.
      if (i >= 1) {
        Tensor input_grad;
        if (layers_[i - 1]->backward_with_next(tapes[i - 1], *layers_[i], tapes[i], upstream,
                                               grads[i - 1], path, &input_grad)) {
          upstream = std::move(input_grad);
          --i;
          continue;
        }
      }
      // A fused forward (run_layers) left the first layer's output and the
      // second's input empty: only backward_with_next can take them.
      if (i == 1 && tapes[0].output.shape().empty())
        layers_[0]->fail("internal error: the fused forward pass's backward was declined");
      upstream = layers_[i]->backward(tapes[i], upstream, grads[i], path);
    } catch (Error& e) {
      e.set_loc_if_unknown(layers_[i]->loc());
      throw;
    }
  }
  return value.value;
}

std::vector<Variable> Sequential::trainable_variables() {
  const std::vector<std::vector<Tensor>> grads = gradient_views();
  std::vector<Variable> variables;
  for (std::size_t l = 0; l < layers_.size(); ++l)
    for (std::size_t i = 0; i < layers_[l]->weights().size(); ++i)
      if (layers_[l]->weights()[i].trainable)
        variables.push_back({layers_[l]->name() + "/" + layers_[l]->weights()[i].name,
                             layers_[l]->weight_values()[i], grads[l][i]});
  return variables;
}

}  // namespace stride
