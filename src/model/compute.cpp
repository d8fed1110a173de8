// Running a Sequential model: call() on one batch, predict() over batches.
#include <fmt/format.h>

#include <algorithm>

#include "stride/model.hpp"

namespace stride {

namespace {

// Both shapes in the message, as Keras's input-spec errors do.
void check_input(const Shape& model_input, const Tensor& input, const std::string& model_name) {
  if (!fits_apart_from_batch(model_input, input.shape()))
    throw Error(fmt::format("input of shape {} does not fit model '{}', which expects {}",
                            shape_to_python(input.shape()), model_name,
                            shape_to_python(model_input)));
}

}  // namespace

Tensor Sequential::run_layers(const Tensor& input, CallOptions options, std::vector<Tape>* tapes,
                              std::size_t count) {
  build();
  check_input(input_shape_, input, name_);
  count = std::min(count, layers_.size());
  if (tapes) tapes->assign(count, Tape());
  Tensor x = input;
  for (std::size_t i = 0; i < count; ++i) {
    if (tapes) options.tape = &(*tapes)[i];
    try {
      // Inference may run a layer and the next in one pass (Conv2D then
      // MaxPooling2D). So may training for the first layer, whose input
      // gradient nobody needs: its backward is then the pair's too
      // (Layer::backward_with_next, compute_gradients).
      const bool fusable = tapes ? i == 0 : !options.training;
      if (fusable && i + 1 < count) {
        if (tapes) (*tapes)[i].input_grad_needed = false;
        Tensor both = layers_[i]->call_with_next(x, *layers_[i + 1], options,
                                                 tapes ? &(*tapes)[i + 1] : nullptr);
        if (!both.empty()) {
          x = std::move(both);
          ++i;
          continue;
        }
      }
      x = layers_[i]->call(x, options);
    } catch (Error& e) {
      e.set_loc_if_unknown(layers_[i]->loc());
      throw;
    }
  }
  return x;
}

Tensor Sequential::call(const Tensor& input, const CallOptions& options) {
  return run_layers(input, options, nullptr);
}

Tensor Sequential::call_up_to(const Tensor& input, std::string_view layer_name,
                              const CallOptions& options) {
  const Layer& target = layer(layer_name);
  std::size_t count = 0;
  while (layers_[count].get() != &target) ++count;
  return run_layers(input, options, nullptr, count + 1);
}

Tensor Sequential::predict(const Tensor& input, Dim batch_size) {
  build();
  check_input(input_shape_, input, name_);
  if (batch_size < 1) throw Error(fmt::format("batch size must be positive, got {}", batch_size));
  const Dim count = input.dim(0);
  const Dim per_input = count ? input.size() / count : 0;
  Tensor output;
  for (Dim start = 0; start < count || (count == 0 && start == 0); start += batch_size) {
    const Dim n = std::min(batch_size, count - start);
    Shape batch_shape = input.shape();
    batch_shape[0] = n;
    const Tensor result = call(Tensor::view(input, start * per_input, batch_shape));
    if (start == 0) {
      // The first batch gives the output shape, unknown dims included.
      Shape out_shape = result.shape();
      out_shape[0] = count;
      output = Tensor(out_shape);
    }
    std::copy(result.begin(), result.end(),
              output.data() + start * (result.size() / std::max<Dim>(n, 1)));
    if (count == 0) break;
  }
  return output;
}

}  // namespace stride
