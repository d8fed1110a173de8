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

// Copies double accumulators into a gradient tensor of the same size.
void fill_from(Tensor& target, const std::vector<double>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) target[Dim(i)] = float(values[i]);
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
    const AxesLast a = move_axes_last(input, feature_axes(input.shape()));
    const Dim rows = a.rows.dim(0), features = a.rows.dim(1);
    const double eps = config().number("epsilon");
    Tensor moving_mean = weight("moving_mean"), moving_variance = weight("moving_variance");
    // Batch statistics only when training a trainable layer (Keras 3).
    const bool batch_stats = options.training && trainable();
    std::vector<double> mean(features), variance(features);
    if (batch_stats) {
      batch_moments(a.rows, mean, variance);
      const double momentum = config().number("momentum");
      for (Dim f = 0; f < features; ++f) {
        moving_mean[f] = float(moving_mean[f] * momentum + mean[f] * (1.0 - momentum));
        moving_variance[f] = float(moving_variance[f] * momentum + variance[f] * (1.0 - momentum));
      }
    } else {
      for (Dim f = 0; f < features; ++f) mean[f] = moving_mean[f], variance[f] = moving_variance[f];
    }
    // inv = gamma / sqrt(var + eps); y = x * inv + (beta - mean * inv).
    Tensor inv_std({features});
    std::vector<float> inv(features), shift(features);
    for (Dim f = 0; f < features; ++f) {
      inv_std[f] = float(1.0 / std::sqrt(variance[f] + eps));
      inv[f] = (scale_ ? weight("gamma")[f] : 1.0f) * inv_std[f];
      shift[f] = float((center_ ? weight("beta")[f] : 0.0f) - mean[f] * inv[f]);
    }
    Tensor out(a.rows.shape());
    for (Dim r = 0; r < rows; ++r) {
      const float* x = a.rows.data() + r * features;
      float* y = out.data() + r * features;
      for (Dim f = 0; f < features; ++f) y[f] = x[f] * inv[f] + shift[f];
    }
    if (options.tape) {
      Tensor used_mean({features});
      for (Dim f = 0; f < features; ++f) used_mean[f] = float(mean[f]);
      options.tape->saved = {used_mean, inv_std, Tensor({batch_stats ? 1 : 0})};
    }
    return restore_axes(a, out);
  }

 public:
  // With batch statistics the mean and variance depend on x:
  // dx = inv / N * (N dy - sum dy - xhat sum(dy xhat)); with moving
  // statistics dx = dy * inv. dgamma = sum dy xhat, dbeta = sum dy.
  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>& weight_grads,
                  ComputePath) const override {
    const std::vector<std::size_t> axes = feature_axes(tape.input.shape());
    const AxesLast x = move_axes_last(tape.input, axes);
    const AxesLast dy = move_axes_last(output_grad, axes);
    const Dim rows = x.rows.dim(0), features = x.rows.dim(1);
    const Tensor &mean = tape.saved.at(0), &inv_std = tape.saved.at(1);
    const bool batch_stats = tape.saved.at(2).size() == 1;
    std::vector<double> sum_dy(features, 0.0), sum_dy_xhat(features, 0.0);
    for (Dim r = 0; r < rows; ++r)
      for (Dim f = 0; f < features; ++f) {
        const double g = dy.rows[r * features + f];
        sum_dy[f] += g;
        sum_dy_xhat[f] += g * (x.rows[r * features + f] - mean[f]) * inv_std[f];
      }
    Tensor dx(x.rows.shape());
    for (Dim r = 0; r < rows; ++r)
      for (Dim f = 0; f < features; ++f) {
        const double gamma = scale_ ? weight("gamma")[f] : 1.0;
        const double g = dy.rows[r * features + f];
        const double xhat = (x.rows[r * features + f] - mean[f]) * inv_std[f];
        dx[r * features + f] = batch_stats
                                   ? float(gamma * inv_std[f] / double(rows) *
                                           (double(rows) * g - sum_dy[f] - xhat * sum_dy_xhat[f]))
                                   : float(gamma * inv_std[f] * g);
      }
    std::size_t w = 0;
    if (scale_) fill_from(weight_grads.at(w++), sum_dy_xhat);
    if (center_) fill_from(weight_grads.at(w++), sum_dy);
    for (; w < weight_grads.size(); ++w) weight_grads[w].fill(0.0f);  // moving statistics
    return restore_axes(dy, dx);
  }

 private:
  std::vector<std::size_t> feature_axes(const Shape& input) const {
    std::vector<std::size_t> axes = resolved_axes(input, true);
    std::sort(axes.begin(), axes.end());  // the weights' C order
    return axes;
  }

  bool trainable() const {
    const Json& cfg = config().json();
    auto t = cfg.find("trainable");
    return t == cfg.end() || !t->is_boolean() || t->get<bool>();
  }

  // Mean and biased variance of each column (Keras 3 normalizes with the
  // biased variance and also averages it into moving_variance).
  static void batch_moments(const Tensor& rows, std::vector<double>& mean,
                            std::vector<double>& variance) {
    const Dim n = rows.dim(0), features = rows.dim(1);
    std::fill(mean.begin(), mean.end(), 0.0);
    std::fill(variance.begin(), variance.end(), 0.0);
    for (Dim r = 0; r < n; ++r)
      for (Dim f = 0; f < features; ++f) mean[f] += rows[r * features + f];
    for (double& m : mean) m /= double(std::max<Dim>(n, 1));
    for (Dim r = 0; r < n; ++r)
      for (Dim f = 0; f < features; ++f) {
        const double d = rows[r * features + f] - mean[f];
        variance[f] += d * d;
      }
    for (double& v : variance) v /= double(std::max<Dim>(n, 1));
  }

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

 public:
  // Per row: xhat = (x - mean) * inv_std, y = xhat * gamma + beta;
  // dx = inv_std / F * (F dxhat - sum dxhat - xhat sum(dxhat xhat)), dxhat = dy * gamma.
  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>& weight_grads,
                  ComputePath) const override {
    if (rms_scaling_) fail("backward with rms_scaling=True is not implemented yet");
    const std::vector<std::size_t> axes = resolved_axes(tape.input.shape(), true);
    const AxesLast x = move_axes_last(tape.input, axes);
    const AxesLast dy = move_axes_last(output_grad, axes);
    const Dim rows = x.rows.dim(0), features = x.rows.dim(1);
    const double eps = config().number("epsilon");
    const float* gamma = has_gamma() ? weight("gamma").data() : nullptr;
    std::vector<double> dgamma(features, 0.0), dbeta(features, 0.0), xhat(features),
        dxhat(features);
    Tensor dx(x.rows.shape());
    for (Dim r = 0; r < rows; ++r) {
      const float* xr = x.rows.data() + r * features;
      const float* gr = dy.rows.data() + r * features;
      double mean = 0, var = 0;
      for (Dim f = 0; f < features; ++f) mean += xr[f];
      mean /= double(features);
      for (Dim f = 0; f < features; ++f) var += (xr[f] - mean) * (xr[f] - mean);
      const double inv_std = 1.0 / std::sqrt(var / double(features) + eps);
      double sum = 0, sum_xhat = 0;
      for (Dim f = 0; f < features; ++f) {
        xhat[f] = (xr[f] - mean) * inv_std;
        dxhat[f] = gr[f] * (gamma ? gamma[f] : 1.0);
        sum += dxhat[f];
        sum_xhat += dxhat[f] * xhat[f];
        dgamma[f] += gr[f] * xhat[f];
        dbeta[f] += gr[f];
      }
      for (Dim f = 0; f < features; ++f)
        dx[r * features + f] = float(inv_std / double(features) *
                                     (double(features) * dxhat[f] - sum - xhat[f] * sum_xhat));
    }
    std::size_t w = 0;
    if (has_gamma()) fill_from(weight_grads.at(w++), dgamma);
    if (has_beta()) fill_from(weight_grads.at(w++), dbeta);
    return restore_axes(dy, dx);
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
