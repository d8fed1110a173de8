// BatchNormalization and LayerNormalization (reference §2.3, §7.3, §7.4).
// Output shape = input shape. BatchNormalization keeps trainable gamma/beta
// and non-trainable moving statistics, one value per position of the
// normalized axis; LayerNormalization keeps gamma/beta shaped like the
// normalized dims.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "compute.hpp"
#include "families.hpp"

namespace stride::layers {

namespace {

Signature batch_norm_signature() {
  return {
      {"axis", -1},
      {"momentum", 0.99},
      {"epsilon", 0.001},
      {"center", true},
      {"scale", true},
      {"beta_initializer", "zeros"},
      {"gamma_initializer", "ones"},
      {"moving_mean_initializer", "zeros"},
      {"moving_variance_initializer", "ones"},
      {"beta_regularizer", nullptr},
      {"gamma_regularizer", nullptr},
      {"beta_constraint", nullptr},
      {"gamma_constraint", nullptr},
      {"synchronized", false},
      // Keyword-only in Keras 2 (BatchNormalizationBase); its get_config lists
      // them only when set, and so do we.
      {"renorm", false},
      {"renorm_clipping", nullptr},
      {"renorm_momentum", 0.99},
      {"fused", nullptr},
      {"virtual_batch_size", nullptr},
      {"adjustment", nullptr},
  };
}

Signature layer_norm_signature() {
  return {
      {"axis", -1},
      {"epsilon", 0.001},
      {"center", true},
      {"scale", true},
      {"rms_scaling", false},  // Keras 3
      {"beta_initializer", "zeros"},
      {"gamma_initializer", "ones"},
      {"beta_regularizer", nullptr},
      {"gamma_regularizer", nullptr},
      {"beta_constraint", nullptr},
      {"gamma_constraint", nullptr},
  };
}

std::string axes_text(const std::vector<Dim>& axes) {
  return python_repr(Json(axes));
}

// Shared by both layers: `axis` as an int or a list of ints.
class Normalization : public Layer {
 public:
  explicit Normalization(Config config) : Layer(std::move(config)) {
    const Config& c = this->config();
    axes_ = c.int_list("axis");
    if (axes_.empty())
      c.fail("axis", "argument `axis` must name at least one axis. Received: axis=()");
    (void)c.number("epsilon");
    center_ = c.boolean("center");
    scale_ = c.boolean("scale");
  }

  Shape compute_output_shape(const Shape& input) const override {
    (void)resolved_axes(input, has_weights());
    return input;
  }

 protected:
  virtual bool has_weights() const = 0;

  // The axes counted from 0 (negative ones from the end), checked against the
  // input as Keras 2's tf_utils.validate_axis does; with `need_dims`, their
  // sizes must be known, as the weights take them.
  std::vector<std::size_t> resolved_axes(const Shape& input, bool need_dims) const {
    const Dim rank = static_cast<Dim>(input.size());
    std::vector<Dim> axes = axes_;
    for (Dim& a : axes)
      if (a < 0) a += rank;
    for (Dim a : axes)
      if (a < 0 || a >= rank)
        fail(
            fmt::format("Invalid value for `axis` argument. Expected 0 <= axis < inputs.rank "
                        "(with inputs.rank={}). Received: axis={} (input shape {})",
                        rank, axes_text(axes), shape_to_python(input)));
    std::vector<Dim> sorted = axes;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
      fail(fmt::format("Duplicate axis: {}", axes_text(axes)));
    std::vector<std::size_t> out;
    for (Dim a : axes) {
      const std::size_t i = static_cast<std::size_t>(a);
      if (need_dims && input[i] == kNone)
        fail(
            fmt::format("Input has undefined `axis` dimension. Received input with shape {} and "
                        "axis={}",
                        shape_to_python(input), axes_text(axes)));
      out.push_back(i);
    }
    return out;
  }

  // "axis 3 (32)" / "axes 1, 2 (4*5)" for explain.
  std::string axes_description() const {
    const std::vector<std::size_t> axes = resolved_axes(input_shape(), false);
    std::string which, dims;
    for (std::size_t i = 0; i < axes.size(); ++i) {
      which += (i ? ", " : "") + std::to_string(axes[i]);
      const Dim d = input_shape()[axes[i]];
      dims += (i ? "*" : "") + (d == kNone ? std::string("None") : std::to_string(d));
    }
    return fmt::format("{} {} (size {})", axes.size() == 1 ? "axis" : "axes", which, dims);
  }

  std::vector<Dim> axes_;
  bool center_ = true, scale_ = true;
};

class BatchNormalization : public Normalization {
 public:
  explicit BatchNormalization(Config config) : Normalization(std::move(config)) {
    const Config& c = this->config();
    (void)c.number("momentum");
    (void)c.boolean("synchronized");
    renorm_ = c.boolean("renorm");
    (void)c.number("renorm_momentum");
    if (!c.is_null("fused")) (void)c.boolean("fused");
    if (!c.is_null("virtual_batch_size")) (void)c.positive_integer("virtual_batch_size");
    Json& j = mutable_config();
    if (!renorm_) {
      j.erase("renorm");
      j.erase("renorm_clipping");
      j.erase("renorm_momentum");
    }
    for (const char* key : {"fused", "virtual_batch_size", "adjustment"})
      if (j.at(key).is_null()) j.erase(key);
  }

  void explain(Explanation& out) const override {
    out.add(fmt::format("normalizes each position of {}; output shape = input shape {}",
                        axes_description(), shape_to_python(output_shape())));
    out.add(param_arithmetic());
  }

 protected:
  bool has_weights() const override { return true; }  // the moving statistics always exist

  std::vector<WeightSpec> make_weights(const Shape& input) const override {
    const std::vector<std::size_t> axes = resolved_axes(input, true);
    // Keras 2: one axis -> (C,); several -> the input's rank with 1 in every
    // other dim (Keras 3 takes a single int axis).
    std::vector<Dim> shape;
    if (axes.size() == 1) {
      shape = {input[axes[0]]};
    } else {
      shape.assign(input.size(), 1);
      for (std::size_t a : axes) shape[a] = input[a];
    }
    std::vector<WeightSpec> w;
    if (scale_) w.push_back({"gamma", shape, true});
    if (center_) w.push_back({"beta", shape, true});
    w.push_back({"moving_mean", shape, false});
    w.push_back({"moving_variance", shape, false});
    if (renorm_) {
      w.push_back({"moving_stddev", shape, false});
      w.push_back({"renorm_mean", shape, false});
      w.push_back({"renorm_stddev", shape, false});
    }
    return w;
  }

  // Inference (reference §7.3): inv = gamma / sqrt(moving_variance + eps),
  // y = x * inv + (beta - moving_mean * inv), per feature of the axes.
  Tensor forward(const Tensor& input, const CallOptions& options) const override {
    if (options.training) fail("training-mode batch normalization is not implemented yet");
    std::vector<std::size_t> axes = resolved_axes(input.shape(), true);
    std::sort(axes.begin(), axes.end());  // the weights' C order
    const AxesLast a = move_axes_last(input, axes);
    const Dim rows = a.rows.dim(0), features = a.rows.dim(1);
    const float eps = float(config().number("epsilon"));
    const Tensor& mean = weight("moving_mean");
    const Tensor& variance = weight("moving_variance");
    std::vector<float> inv(features), shift(features);
    for (Dim f = 0; f < features; ++f) {
      inv[f] = (scale_ ? weight("gamma")[f] : 1.0f) / std::sqrt(variance[f] + eps);
      shift[f] = (center_ ? weight("beta")[f] : 0.0f) - mean[f] * inv[f];
    }
    Tensor out(a.rows.shape());
    for (Dim r = 0; r < rows; ++r) {
      const float* x = a.rows.data() + r * features;
      float* y = out.data() + r * features;
      for (Dim f = 0; f < features; ++f) y[f] = x[f] * inv[f] + shift[f];
    }
    return restore_axes(a, out);
  }

 private:
  bool renorm_ = false;
};

class LayerNormalization : public Normalization {
 public:
  explicit LayerNormalization(Config config) : Normalization(std::move(config)) {
    rms_scaling_ = this->config().boolean("rms_scaling");
  }

  void explain(Explanation& out) const override {
    out.add(fmt::format("normalizes over {} together; output shape = input shape {}",
                        axes_description(), shape_to_python(output_shape())));
    out.add(param_arithmetic());
  }

 protected:
  // Keras 3: rms_scaling keeps gamma and drops beta.
  bool has_gamma() const { return scale_ || rms_scaling_; }
  bool has_beta() const { return center_ && !rms_scaling_; }
  bool has_weights() const override { return has_gamma() || has_beta(); }

  std::vector<WeightSpec> make_weights(const Shape& input) const override {
    std::vector<Dim> shape;  // the normalized dims, in the order listed
    for (std::size_t a : resolved_axes(input, has_weights())) shape.push_back(input[a]);
    std::vector<WeightSpec> w;
    if (has_gamma()) w.push_back({"gamma", shape, true});
    if (has_beta()) w.push_back({"beta", shape, true});
    return w;
  }

  // Per instance, over the axes (reference §7.4): mean and biased variance,
  // inv = gamma / sqrt(var + eps), y = x * inv + (beta - mean * inv). With
  // rms_scaling (Keras 3): y = x * gamma / sqrt(var + eps).
  Tensor forward(const Tensor& input, const CallOptions&) const override {
    const AxesLast a = move_axes_last(input, resolved_axes(input.shape(), true));
    const Dim rows = a.rows.dim(0), features = a.rows.dim(1);
    const double eps = config().number("epsilon");
    const float* gamma = has_gamma() ? weight("gamma").data() : nullptr;
    const float* beta = has_beta() ? weight("beta").data() : nullptr;
    Tensor out(a.rows.shape());
    for (Dim r = 0; r < rows; ++r) {
      const float* x = a.rows.data() + r * features;
      float* y = out.data() + r * features;
      double sum = 0, sum_sq = 0;
      for (Dim f = 0; f < features; ++f) sum += x[f];
      const double mean = sum / double(features);
      for (Dim f = 0; f < features; ++f) sum_sq += (x[f] - mean) * (x[f] - mean);
      const double inv_std = 1.0 / std::sqrt(sum_sq / double(features) + eps);
      for (Dim f = 0; f < features; ++f) {
        const double inv = inv_std * (gamma ? gamma[f] : 1.0);
        y[f] = rms_scaling_ ? float(x[f] * inv)
                            : float(x[f] * inv + ((beta ? beta[f] : 0.0) - mean * inv));
      }
    }
    return restore_axes(a, out);
  }

 private:
  bool rms_scaling_ = false;
};

std::unique_ptr<Layer> make_batch_norm(const Config& c) {
  return std::make_unique<BatchNormalization>(c);
}
std::unique_ptr<Layer> make_layer_norm(const Config& c) {
  return std::make_unique<LayerNormalization>(c);
}

}  // namespace

void register_normalization(LayerRegistry& r) {
  r.add({"BatchNormalization", batch_norm_signature(), make_batch_norm, {}});
  r.add({"LayerNormalization", layer_norm_signature(), make_layer_norm, {}});
}

}  // namespace stride::layers
