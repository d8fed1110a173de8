// Dropout, SpatialDropout1D/2D/3D (reference §2.5, §7.5): the identity on
// shapes, no weights. The spatial variants take inputs of exactly rank 3/4/5.
#include "kernels/dropout.hpp"

#include <fmt/format.h>

#include "compute.hpp"
#include "families.hpp"
#include "stride/random.hpp"

namespace stride::layers {

namespace {

Signature dropout_signature() {
  return {{"rate", nullptr, true}, {"noise_shape", nullptr}, {"seed", nullptr}};
}

// Keras 3 spatial dropouts: (rate, seed) for 1D, (rate, data_format, seed) for
// 2D/3D. noise_shape comes last: Keras 2 JSON lists it (inherited from Dropout).
Signature spatial_dropout_signature(std::size_t rank) {
  if (rank == 1) return {{"rate", nullptr, true}, {"seed", nullptr}, {"noise_shape", nullptr}};
  return {{"rate", nullptr, true},
          {"data_format", nullptr},
          {"seed", nullptr},
          {"noise_shape", nullptr}};
}

class Dropout : public Layer {
 public:
  // spatial_rank 0 is plain Dropout (any input rank).
  Dropout(Config config, std::size_t spatial_rank)
      : Layer(std::move(config)), spatial_rank_(spatial_rank) {
    const Config& c = this->config();
    rate_ = c.number("rate");
    if (!(rate_ >= 0.0 && rate_ <= 1.0))  // also refuses NaN
      c.fail("rate", fmt::format("Invalid value received for argument `rate`. Expected a float "
                                 "value between 0 and 1. Received: rate={}",
                                 python_repr(c.json().at("rate"))));
    if (!c.is_null("seed")) (void)c.integer("seed");
    if (!c.is_null("noise_shape")) check_noise_shape(c);
    if (spatial_rank > 1)
      mutable_config()["data_format"] = c.channels_first() ? "channels_first" : "channels_last";
  }

  Shape compute_output_shape(const Shape& input) const override {
    if (spatial_rank_ > 0) require_rank(input, spatial_rank_ + 2);
    return input;
  }

  void explain(Explanation& out) const override {
    out.add(fmt::format(
        "output shape = input shape {} (rate {}: {} at inference)", shape_to_python(output_shape()),
        python_repr(config().json().at("rate")),
        spatial_rank_ > 0 ? "whole feature maps dropped in training, identity" : "identity"));
    out.add(param_arithmetic());
  }

 protected:
  // Inference is the identity; training is inverted dropout (reference
  // §7.5): kept values scaled by 1 / (1 - rate), one draw per element of the
  // noise shape, broadcast over the rest. The mask (0 or the scale) is kept
  // for backward. One value from the generator keys the whole mask, whose
  // draws are then independent of each other (kernels::dropout_mask).
  Tensor forward(const Tensor& input, const CallOptions& options) const override {
    if (!options.training || rate_ == 0.0) {
      if (options.tape) options.tape->saved.push_back(Tensor());  // identity
      return input;
    }
    if (!options.random) fail("training-mode dropout needs a random generator");
    Tensor mask = Tensor::uninitialized(noise_shape(input.shape()));  // overwritten
    const float scale = rate_ >= 1.0 ? 0.0f : float(1.0 / (1.0 - rate_));
    Tensor output = Tensor::uninitialized(input.shape());  // overwritten
    if (mask.shape() == input.shape()) {
      kernels::dropout_mask(options.random->next(), rate_, scale, mask.data(), mask.size(),
                            input.data(), output.data());
    } else {
      kernels::dropout_mask(options.random->next(), rate_, scale, mask.data(), mask.size());
      for_each_broadcast(input.shape(), mask.shape(),
                         [&](Dim i, Dim j) { output[i] = input[i] * mask[j]; });
    }
    if (options.tape) options.tape->saved.push_back(mask);
    return output;
  }

  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>&,
                  ComputePath) const override {
    const Tensor& mask = tape.saved.at(0);
    if (mask.rank() == 0) return output_grad;
    Tensor input_grad = Tensor::uninitialized(output_grad.shape());  // overwritten
    if (mask.shape() == output_grad.shape()) {
      kernels::apply_mask(output_grad.data(), mask.data(), input_grad.data(), mask.size());
    } else {
      for_each_broadcast(output_grad.shape(), mask.shape(),
                         [&](Dim i, Dim j) { input_grad[i] = output_grad[i] * mask[j]; });
    }
    return input_grad;
  }

 private:
  // Plain Dropout: noise_shape with None taken from the input (default: the
  // input's shape). Spatial: one draw per sample and channel.
  Shape noise_shape(const Shape& input) const {
    Shape noise = input;
    if (spatial_rank_ > 0) {
      const bool first = spatial_rank_ > 1 && config().channels_first();
      for (std::size_t a = 1; a < input.size(); ++a)
        if (a != (first ? 1 : input.size() - 1)) noise[a] = 1;
      return noise;
    }
    const Json& v = config().json().at("noise_shape");
    if (v.is_array() && v.size() == input.size())
      for (std::size_t a = 0; a < input.size(); ++a)
        if (!v[a].is_null()) noise[a] = v[a].get<Dim>();
    for (std::size_t a = 0; a < input.size(); ++a)
      if (noise[a] != 1 && noise[a] != input[a])
        fail(fmt::format("noise_shape {} does not broadcast to the input shape {}",
                         shape_to_python(noise), shape_to_python(input)));
    return noise;
  }

  // Keras 3 (dropout.py, _validate_noise_shape): a tuple of positive ints or None.
  static void check_noise_shape(const Config& c) {
    const Json& v = c.json().at("noise_shape");
    if (!v.is_array())
      c.fail("noise_shape", fmt::format("Invalid value received for argument `noise_shape`. "
                                        "Expected a tuple or list of integers. Received: "
                                        "noise_shape={}",
                                        python_repr(v)));
    for (std::size_t i = 0; i < v.size(); ++i) {
      const Json& d = v[i];
      if (d.is_null()) continue;
      if (!d.is_number_integer())
        c.fail("noise_shape", fmt::format("Invalid value received for argument `noise_shape`. "
                                          "Expected all elements to be integers or None. "
                                          "Received element at index {}: {} (type: {})",
                                          i, python_repr(d), python_type_name(d)));
      if (!d.is_number_unsigned() && d.get<std::int64_t>() <= 0)
        c.fail("noise_shape", fmt::format("Invalid value received for argument `noise_shape`. "
                                          "Expected all dimensions to be positive integers or "
                                          "None. Received negative or zero value at index {}: {}",
                                          i, d.get<std::int64_t>()));
    }
  }

  std::size_t spatial_rank_;
  double rate_ = 0.0;
};

}  // namespace

void register_dropout(LayerRegistry& r) {
  r.add({"Dropout", dropout_signature(), make_ranked<Dropout, 0>, {}});
  r.add({"SpatialDropout1D", spatial_dropout_signature(1), make_ranked<Dropout, 1>, {}});
  r.add({"SpatialDropout2D", spatial_dropout_signature(2), make_ranked<Dropout, 2>, {}});
  r.add({"SpatialDropout3D", spatial_dropout_signature(3), make_ranked<Dropout, 3>, {}});
}

}  // namespace stride::layers
