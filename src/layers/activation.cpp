// Activation layers: Activation, ReLU, LeakyReLU, Softmax, ELU (identity on
// shapes, no weights) and PReLU, whose learned slope `alpha` has the input's
// shape without the batch dim, with every shared axis set to 1.
#include "kernels/activation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "compute.hpp"
#include "families.hpp"

namespace stride::layers {

namespace {

// Validates a config and writes back Keras's normalized values.
using Normalize = void (*)(const Config& c, Json& out);
// Applies the layer's function in place to a copy of its input.
using Apply = void (*)(const Config& c, Tensor& values, const CallOptions& options);
// Writes dL/d(input) given the recorded call and dL/d(output).
using Gradient = void (*)(const Config& c, const Tape& tape, const Tensor& output_grad,
                          Tensor& input_grad, ComputePath path);

// A shape-preserving, weightless activation layer.
class ElementWise : public Layer {
 public:
  ElementWise(Config config, Normalize normalize, Apply apply, Gradient gradient)
      : Layer(std::move(config)), apply_(apply), gradient_(gradient) {
    normalize(this->config(), mutable_config());
  }
  Shape compute_output_shape(const Shape& input) const override { return input; }

 protected:
  Tensor forward(const Tensor& input, const CallOptions& options) const override {
    Tensor output = input.clone();
    apply_(config(), output, options);
    return output;
  }

 public:
  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>&,
                  ComputePath path) const override {
    Tensor input_grad(output_grad.shape());
    gradient_(config(), tape, output_grad, input_grad, path);
    return input_grad;
  }

 private:
  Apply apply_;
  Gradient gradient_;
};

// A number >= 0 (None allowed only when `allow_none`), else Keras's message
// `{what} cannot be ... Received: {key}={value}`.
void require_non_negative(const Config& c, const std::string& key, const std::string& message,
                          bool allow_none = false) {
  const Json& v = c.json().at(key);
  if (v.is_null() && allow_none) return;
  if (!v.is_null()) {
    const double x = c.number(key);  // type errors first
    if (x >= 0.0) return;            // NaN falls through
  }
  c.fail(key, fmt::format("{} Received: {}={}", message, key, python_repr(v)));
}

void normalize_activation(const Config& c, Json& out) {
  out["activation"] = c.activation();
}

// Keras 3 relu.py messages.
void normalize_relu(const Config& c, Json&) {
  require_non_negative(c, "max_value", "max_value of a ReLU layer cannot be a negative value.",
                       /*allow_none=*/true);
  require_non_negative(c, "negative_slope",
                       "negative_slope of a ReLU layer cannot be a negative value.");
  require_non_negative(c, "threshold", "threshold of a ReLU layer cannot be a negative value.");
}

// Keras 3 takes `negative_slope`; Keras 2 (and its JSON) `alpha`, which Keras 3
// still accepts and prefers when given.
void normalize_leaky_relu(const Config& c, Json& out) {
  const std::string key = c.is_null("alpha") ? "negative_slope" : "alpha";
  require_non_negative(c, key,
                       "The negative_slope value of a Leaky ReLU layer cannot be None or negative "
                       "value. Expected a float.");
  out["negative_slope"] = c.json().at(key);
  out.erase("alpha");
}

// An int or a list of ints; checked against the input rank at build.
void normalize_softmax(const Config& c, Json&) {
  (void)c.int_list("axis");
}

void normalize_elu(const Config& c, Json&) {
  (void)c.number("alpha");
}

void apply_activation(const Config& c, Tensor& values, const CallOptions& options) {
  activate(c.activation(), values, options);
}

// Keras 3 ReLU: max_value above it, x from threshold up, else
// negative_slope * (x - threshold).
void apply_relu(const Config& c, Tensor& values, const CallOptions&) {
  const float max_value = c.is_null("max_value") ? INFINITY : float(c.number("max_value"));
  const float slope = float(c.number("negative_slope")), threshold = float(c.number("threshold"));
  for (float& x : values)
    x = x >= max_value ? max_value : x >= threshold ? x : slope * (x - threshold);
}

void apply_leaky_relu(const Config& c, Tensor& values, const CallOptions&) {
  const float slope = float(c.number("negative_slope"));
  for (float& x : values) x = x >= 0.0f ? x : slope * x;
}

void apply_elu(const Config& c, Tensor& values, const CallOptions&) {
  const float alpha = float(c.number("alpha"));
  for (float& x : values) x = x > 0.0f ? x : alpha * std::expm1(x);
}

// Softmax over the `axis` list: the axes are moved last, normalized as one
// row, and moved back.
// The `axis` list resolved against the rank, sorted, without repeats.
std::vector<std::size_t> softmax_axes(const Config& c, std::size_t rank) {
  std::vector<std::size_t> axes;
  for (Dim axis : c.int_list("axis")) {
    const auto a = static_cast<std::size_t>(axis < 0 ? axis + Dim(rank) : axis);
    if (std::find(axes.begin(), axes.end(), a) == axes.end()) axes.push_back(a);
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

void apply_softmax(const Config& c, Tensor& values, const CallOptions& options) {
  const std::vector<std::size_t> axes = softmax_axes(c, values.rank());
  AxesLast moved = move_axes_last(values, axes);
  Tensor rows = moved.rows.clone();
  activate("softmax", rows, options);
  const Tensor result = restore_axes(moved, rows);
  std::copy(result.begin(), result.end(), values.begin());
}

void activation_gradient(const Config& c, const Tape& tape, const Tensor& dy, Tensor& dx,
                         ComputePath path) {
  if (dx.empty()) return;
  kernels::activation_backward(path, kernels::activation_from_name(c.activation()),
                               tape.input.data(), tape.output.data(), dy.data(), dx.data(),
                               dx.size(), dx.shape().back());
}

void relu_gradient(const Config& c, const Tape& tape, const Tensor& dy, Tensor& dx, ComputePath) {
  const float max_value = c.is_null("max_value") ? INFINITY : float(c.number("max_value"));
  const float slope = float(c.number("negative_slope")), threshold = float(c.number("threshold"));
  const Tensor& x = tape.input;
  for (Dim i = 0; i < dx.size(); ++i)
    dx[i] = x[i] >= max_value ? 0.0f : x[i] >= threshold ? dy[i] : slope * dy[i];
}

void leaky_relu_gradient(const Config& c, const Tape& tape, const Tensor& dy, Tensor& dx,
                         ComputePath) {
  const float slope = float(c.number("negative_slope"));
  for (Dim i = 0; i < dx.size(); ++i) dx[i] = tape.input[i] >= 0.0f ? dy[i] : slope * dy[i];
}

void elu_gradient(const Config& c, const Tape& tape, const Tensor& dy, Tensor& dx, ComputePath) {
  const float alpha = float(c.number("alpha"));
  for (Dim i = 0; i < dx.size(); ++i)
    dx[i] = tape.input[i] > 0.0f ? dy[i] : alpha * std::exp(tape.input[i]) * dy[i];
}

// The same axes moved last as in apply_softmax, rows through the softmax gradient.
void softmax_gradient(const Config& c, const Tape& tape, const Tensor& dy, Tensor& dx,
                      ComputePath path) {
  const std::vector<std::size_t> axes = softmax_axes(c, tape.output.rank());
  const AxesLast y = move_axes_last(tape.output, axes);
  const AxesLast g = move_axes_last(dy, axes);
  Tensor rows(g.rows.shape());
  if (!rows.empty())
    kernels::activation_backward(path, kernels::Activation::kSoftmax, y.rows.data(), y.rows.data(),
                                 g.rows.data(), rows.data(), rows.size(), rows.dim(1));
  const Tensor result = restore_axes(g, rows);
  std::copy(result.begin(), result.end(), dx.begin());
}

class Softmax : public ElementWise {
 public:
  explicit Softmax(const Config& c)
      : ElementWise(c, normalize_softmax, apply_softmax, softmax_gradient) {}
  Shape compute_output_shape(const Shape& input) const override {
    const Dim rank = static_cast<Dim>(input.size());
    for (Dim axis : config().int_list("axis"))
      if (axis < -rank || axis >= rank)
        fail(fmt::format("`axis` {} is out of range for an input of rank {}: input shape {}", axis,
                         rank, shape_to_python(input)));
    return input;
  }
};

// --- PReLU ---------------------------------------------------------------

class PReLU : public Layer {
 public:
  explicit PReLU(Config config) : Layer(std::move(config)) {
    const Config& c = this->config();
    if (!c.is_null("shared_axes")) {
      shared_axes_ = c.int_list("shared_axes");
      mutable_config()["shared_axes"] = shared_axes_;  // Keras keeps a list
    }
  }

  Shape compute_output_shape(const Shape& input) const override {
    require_min_rank(input, 2);
    for (Dim axis : shared_axes_)
      if (axis < 1 || axis >= static_cast<Dim>(input.size()))
        fail(
            fmt::format("`shared_axes` must name non-batch axes 1..{} of the input; got {} for "
                        "input shape {}",
                        input.size() - 1, axis, shape_to_python(input)));
    return input;
  }

  void explain(Explanation& out) const override {
    const std::vector<Dim> dims(input_shape().begin() + 1, input_shape().end());
    std::string line =
        fmt::format("alpha shape = input shape without batch {}", shape_to_python(dims));
    if (!shared_axes_.empty())
      line += fmt::format(", shared axes {} set to 1: {}", shape_to_python(shared_axes_),
                          shape_to_python(alpha_shape(input_shape())));
    out.add(line);
    out.add(param_arithmetic());
  }

 protected:
  std::vector<WeightSpec> make_weights(const Shape& input) const override {
    return {{"alpha", alpha_shape(input)}};
  }

  // x for x >= 0, alpha * x below, alpha broadcast along the shared axes.
  Tensor forward(const Tensor& input, const CallOptions&) const override {
    Tensor output = input.clone();
    const Tensor& alpha = weight("alpha");
    for_each_broadcast(input.shape(), alpha.shape(), [&](Dim i, Dim a) {
      if (output[i] < 0.0f) output[i] *= alpha[a];
    });
    return output;
  }

 public:
  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>& weight_grads,
                  ComputePath) const override {
    const Tensor& x = tape.input;
    const Tensor& alpha = weight("alpha");
    Tensor input_grad(x.shape());
    Tensor& alpha_grad = weight_grads.at(0);
    alpha_grad.fill(0.0f);
    for_each_broadcast(x.shape(), alpha.shape(), [&](Dim i, Dim a) {
      const bool negative = x[i] < 0.0f;
      input_grad[i] = negative ? alpha[a] * output_grad[i] : output_grad[i];
      if (negative) alpha_grad[a] += x[i] * output_grad[i];
    });
    return input_grad;
  }

 private:
  std::vector<Dim> alpha_shape(const Shape& input) const {
    std::vector<Dim> shape(input.begin() + 1, input.end());
    for (Dim axis : shared_axes_) shape[static_cast<std::size_t>(axis - 1)] = 1;
    return shape;
  }

  std::vector<Dim> shared_axes_;
};

template <Normalize N, Apply A, Gradient G>
std::unique_ptr<Layer> make_element_wise(const Config& c) {
  return std::make_unique<ElementWise>(c, N, A, G);
}

std::unique_ptr<Layer> make_softmax(const Config& c) {
  return std::make_unique<Softmax>(c);
}
std::unique_ptr<Layer> make_prelu(const Config& c) {
  return std::make_unique<PReLU>(c);
}

}  // namespace

void register_activation(LayerRegistry& r) {
  r.add({"Activation",
         {{"activation", nullptr, true}},
         make_element_wise<normalize_activation, apply_activation, activation_gradient>,
         {}});
  r.add({"ReLU",
         {{"max_value", nullptr}, {"negative_slope", 0.0}, {"threshold", 0.0}},
         make_element_wise<normalize_relu, apply_relu, relu_gradient>,
         {}});
  r.add({"LeakyReLU",
         {{"negative_slope", 0.3}, {"alpha", nullptr}},
         make_element_wise<normalize_leaky_relu, apply_leaky_relu, leaky_relu_gradient>,
         {}});
  r.add({"Softmax", {{"axis", -1}}, make_softmax, {}});
  r.add({"ELU", {{"alpha", 1.0}}, make_element_wise<normalize_elu, apply_elu, elu_gradient>, {}});
  r.add({"PReLU",
         {{"alpha_initializer", "zeros"},
          {"alpha_regularizer", nullptr},
          {"alpha_constraint", nullptr},
          {"shared_axes", nullptr}},
         make_prelu,
         {}});
}

}  // namespace stride::layers
