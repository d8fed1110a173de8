// Keras 3 losses (keras/src/losses/losses.py, keras/src/backend/*/nn.py) with
// hand-derived gradients. Values and gradients are computed in double from the
// float32 inputs; the clip bounds are Keras's float32 epsilon() and
// 1 - epsilon(), so a clipped value matches Keras's (-log(1 - 0.99999988) =
// 15.942, not -log(1e-7) = 16.118).
#include "stride/loss.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

namespace stride {
namespace {

// Keras's backend.epsilon() and 1 - epsilon() as float32 computes them.
const double kClipLow = static_cast<double>(1e-7f);
const double kClipHigh = static_cast<double>(1.0f - 1e-7f);

double clip(double p) {
  return std::min(std::max(p, kClipLow), kClipHigh);
}
// The clip passes the gradient through inside [low, high] (TF's
// clip_by_value gradient) and stops it outside.
bool inside_clip(double p) {
  return p >= kClipLow && p <= kClipHigh;
}

[[noreturn]] void fail(const std::string& loss, const std::string& message) {
  throw Error(loss + ": " + message);
}

void require_nonempty(const std::string& loss, const Tensor& y_pred) {
  if (y_pred.rank() == 0 || y_pred.empty()) {
    fail(loss, "y_pred " + shape_to_python(y_pred.shape()) + " is empty");
  }
}

// Keras squeezes a trailing dimension of 1 when the ranks differ by one
// (squeeze_or_expand_to_same_rank); anything else must match exactly, so a
// (N,) target against (N, C) predictions is refused rather than broadcast.
void require_same_shape(const std::string& loss, const Tensor& y_true, const Tensor& y_pred) {
  const Shape& t = y_true.shape();
  const Shape& p = y_pred.shape();
  auto squeezes_to = [](const Shape& longer, const Shape& shorter) {
    return longer.size() == shorter.size() + 1 && longer.back() == 1 &&
           std::equal(shorter.begin(), shorter.end(), longer.begin());
  };
  if (t == p || squeezes_to(t, p) || squeezes_to(p, t)) return;
  fail(loss,
       "y_true shape " + shape_to_python(t) + " does not match y_pred shape " + shape_to_python(p));
}

// categorical_crossentropy and sparse_categorical_crossentropy: one
// distribution per row of the last axis.
class CrossEntropy final : public Loss {
 public:
  CrossEntropy(std::string name, bool sparse, bool from_logits)
      : Loss(from_logits), name_(std::move(name)), sparse_(sparse) {}
  const std::string& name() const override { return name_; }

  LossValue compute(const Tensor& y_true, const Tensor& y_pred) const override {
    require_nonempty(name_, y_pred);
    Dim classes = y_pred.shape().back();
    if (sparse_) {
      require_label_shape(y_true, y_pred);
    } else {
      require_same_shape(name_, y_true, y_pred);
      // (N, C, 1) predictions against (N, C) targets: Keras squeezes the 1,
      // so the classes are C.
      if (y_pred.rank() == y_true.rank() + 1) classes = y_true.shape().back();
    }
    const Dim rows = y_pred.size() / classes;
    LossValue result{0, Tensor(y_pred.shape())};
    std::vector<double> target(classes), grad(classes);
    for (Dim r = 0; r < rows; ++r) {
      const float* p = y_pred.data() + r * classes;
      if (sparse_) {
        std::fill(target.begin(), target.end(), 0.0);
        target[label_at(y_true, r, classes)] = 1.0;
      } else {
        for (Dim j = 0; j < classes; ++j) target[j] = y_true[r * classes + j];
      }
      result.value += from_logits() ? row_from_logits(p, target, grad)
                                    : row_from_probabilities(p, target, grad);
      float* g = result.gradient.data() + r * classes;
      for (Dim j = 0; j < classes; ++j) g[j] = static_cast<float>(grad[j] / rows);
    }
    result.value /= static_cast<double>(rows);
    return result;
  }

 private:
  // L = -sum_j y_j log_softmax(z)_j; dL/dz_k = softmax(z)_k * sum_j y_j - y_k.
  static double row_from_logits(const float* z, const std::vector<double>& y,
                                std::vector<double>& grad) {
    const std::size_t n = y.size();
    double max = z[0];
    for (std::size_t j = 1; j < n; ++j) max = std::max(max, static_cast<double>(z[j]));
    double sum_exp = 0, sum_y = 0;
    for (std::size_t j = 0; j < n; ++j) sum_exp += std::exp(z[j] - max);
    const double log_sum = max + std::log(sum_exp);
    double loss = 0;
    for (std::size_t j = 0; j < n; ++j) {
      loss -= y[j] * (z[j] - log_sum);
      sum_y += y[j];
    }
    for (std::size_t j = 0; j < n; ++j) grad[j] = std::exp(z[j] - log_sum) * sum_y - y[j];
    return loss;
  }

  // Keras 3 normalizes first: q = p / sum(p), c = clip(q), L = -sum y log c.
  // dL/dq_j = -y_j / c_j where q_j is inside the clip (0 outside), and
  // dq_j/dp_k = (delta_jk - q_j) / s, so dL/dp_k = (dL/dq_k - sum_j dL/dq_j q_j) / s.
  static double row_from_probabilities(const float* p, const std::vector<double>& y,
                                       std::vector<double>& grad) {
    const std::size_t n = y.size();
    double s = 0;
    for (std::size_t j = 0; j < n; ++j) s += p[j];
    double loss = 0, dot = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const double q = p[j] / s;
      const double c = clip(q);
      loss -= y[j] * std::log(c);
      grad[j] = inside_clip(q) ? -y[j] / c : 0.0;
      dot += grad[j] * q;
    }
    for (std::size_t j = 0; j < n; ++j) grad[j] = (grad[j] - dot) / s;
    return loss;
  }

  void require_label_shape(const Tensor& y_true, const Tensor& y_pred) const {
    Shape rows_shape(y_pred.shape().begin(), y_pred.shape().end() - 1);
    Shape with_one = rows_shape;
    with_one.push_back(1);
    if (y_true.shape() != rows_shape && y_true.shape() != with_one) {
      fail(name_, "y_true shape " + shape_to_python(y_true.shape()) +
                      " must hold one class index per row of y_pred " +
                      shape_to_python(y_pred.shape()) + ", i.e. be " + shape_to_python(rows_shape) +
                      " or " + shape_to_python(with_one));
    }
  }

  // Labels are float-coded class indices; Keras casts to int32 and would
  // silently truncate 1.5 or drop a negative label (one_hot gives a zero row),
  // so anything but an exact index in [0, classes) is refused.
  Dim label_at(const Tensor& y_true, Dim row, Dim classes) const {
    const float label = y_true[row];
    if (!(label >= 0 && label < static_cast<float>(classes)) || label != std::floor(label)) {
      fail(name_, fmt::format("label {} (sample {}) is not a class index for {} classes "
                              "(expected an integer in 0..{})",
                              label, row, classes, classes - 1));
    }
    return static_cast<Dim>(label);
  }

  std::string name_;
  bool sparse_ = false;
};

// binary_crossentropy: elementwise, then the mean over the last axis and the
// batch (together, the mean over every element).
class BinaryCrossEntropy final : public Loss {
 public:
  explicit BinaryCrossEntropy(bool from_logits) : Loss(from_logits) {}
  const std::string& name() const override { return name_; }

  LossValue compute(const Tensor& y_true, const Tensor& y_pred) const override {
    require_nonempty(name_, y_pred);
    require_same_shape(name_, y_true, y_pred);
    LossValue result{0, Tensor(y_pred.shape())};
    const double count = static_cast<double>(y_pred.size());
    for (Dim i = 0; i < y_pred.size(); ++i) {
      const double y = y_true[i];
      const double p = y_pred[i];
      double loss, grad;
      if (from_logits()) {
        // The stable form (TF's sigmoid_cross_entropy_with_logits, JAX's
        // log_sigmoid): max(z, 0) - z*y + log(1 + exp(-|z|)); d/dz = sigmoid(z) - y.
        loss = std::max(p, 0.0) - p * y + std::log1p(std::exp(-std::abs(p)));
        const double sigmoid = p >= 0 ? 1 / (1 + std::exp(-p)) : std::exp(p) / (1 + std::exp(p));
        grad = sigmoid - y;
      } else {
        // -(y log c + (1 - y) log(1 - c)), c = clip(p); zero gradient where clipped.
        const double c = clip(p);
        loss = -(y * std::log(c) + (1 - y) * std::log(1 - c));
        grad = inside_clip(p) ? -y / c + (1 - y) / (1 - c) : 0.0;
      }
      result.value += loss;
      result.gradient[i] = static_cast<float>(grad / count);
    }
    result.value /= count;
    return result;
  }

 private:
  std::string name_ = "binary_crossentropy";
};

// mean_squared_error, mean_absolute_error, huber: the mean over the last axis
// and the batch of an elementwise function of e = y_pred - y_true.
struct Pointwise {
  double loss;
  double grad;  // d loss / d y_pred
};
using PointwiseFn = Pointwise (*)(double e);

Pointwise squared(double e) {
  return {e * e, 2 * e};
}
// |e|; the gradient at e = 0 is 0 (sign(0), as TF's Abs gradient).
Pointwise absolute(double e) {
  return {std::abs(e), e > 0 ? 1.0 : e < 0 ? -1.0 : 0.0};
}
// Keras's huber with delta = 1: 0.5 e^2 for |e| <= delta, else delta |e| - 0.5 delta^2.
Pointwise huber(double e) {
  constexpr double delta = 1.0;
  if (std::abs(e) <= delta) return {0.5 * e * e, e};
  return {delta * std::abs(e) - 0.5 * delta * delta, e > 0 ? delta : -delta};
}

class Regression final : public Loss {
 public:
  Regression(std::string name, PointwiseFn fn) : Loss(false), name_(std::move(name)), fn_(fn) {}
  const std::string& name() const override { return name_; }

  LossValue compute(const Tensor& y_true, const Tensor& y_pred) const override {
    require_nonempty(name_, y_pred);
    require_same_shape(name_, y_true, y_pred);
    LossValue result{0, Tensor(y_pred.shape())};
    const double count = static_cast<double>(y_pred.size());
    for (Dim i = 0; i < y_pred.size(); ++i) {
      const Pointwise v = fn_(static_cast<double>(y_pred[i]) - y_true[i]);
      result.value += v.loss;
      result.gradient[i] = static_cast<float>(v.grad / count);
    }
    result.value /= count;
    return result;
  }

 private:
  std::string name_;
  PointwiseFn fn_;
};

enum class Kind { kCategorical, kSparse, kBinary, kMse, kMae, kHuber };
struct Known {
  std::string_view spelling;
  Kind kind;
  std::string_view name;  // what Keras names the loss object
};
// keras.losses.get: function names, class names and the aliases of
// ALL_OBJECTS_DICT. A class instance takes its class's default name
// (Huber() is "huber_loss").
constexpr std::array kKnown = {
    Known{"categorical_crossentropy", Kind::kCategorical, "categorical_crossentropy"},
    Known{"sparse_categorical_crossentropy", Kind::kSparse, "sparse_categorical_crossentropy"},
    Known{"binary_crossentropy", Kind::kBinary, "binary_crossentropy"},
    Known{"mean_squared_error", Kind::kMse, "mean_squared_error"},
    Known{"mean_absolute_error", Kind::kMae, "mean_absolute_error"},
    Known{"huber", Kind::kHuber, "huber"},
    Known{"bce", Kind::kBinary, "binary_crossentropy"},
    Known{"BCE", Kind::kBinary, "binary_crossentropy"},
    Known{"mse", Kind::kMse, "mean_squared_error"},
    Known{"MSE", Kind::kMse, "mean_squared_error"},
    Known{"mae", Kind::kMae, "mean_absolute_error"},
    Known{"MAE", Kind::kMae, "mean_absolute_error"},
    Known{"CategoricalCrossentropy", Kind::kCategorical, "categorical_crossentropy"},
    Known{"SparseCategoricalCrossentropy", Kind::kSparse, "sparse_categorical_crossentropy"},
    Known{"BinaryCrossentropy", Kind::kBinary, "binary_crossentropy"},
    Known{"MeanSquaredError", Kind::kMse, "mean_squared_error"},
    Known{"MeanAbsoluteError", Kind::kMae, "mean_absolute_error"},
    Known{"Huber", Kind::kHuber, "huber_loss"},
};

}  // namespace

std::unique_ptr<Loss> make_loss(const std::string& name, bool from_logits) {
  auto it = std::find_if(kKnown.begin(), kKnown.end(),
                         [&](const Known& k) { return k.spelling == name; });
  if (it == kKnown.end()) {
    std::string known;
    for (const Known& k : kKnown) known += (known.empty() ? "" : ", ") + std::string(k.spelling);
    throw Error("unknown loss '" + name + "'; known losses: " + known);
  }
  const std::string canonical(it->name);
  switch (it->kind) {
    case Kind::kCategorical:
      return std::make_unique<CrossEntropy>(canonical, false, from_logits);
    case Kind::kSparse:
      return std::make_unique<CrossEntropy>(canonical, true, from_logits);
    case Kind::kBinary:
      return std::make_unique<BinaryCrossEntropy>(from_logits);
    default:
      break;
  }
  if (from_logits) {
    throw Error("loss '" + name + "' has no from_logits option (only the crossentropy losses do)");
  }
  switch (it->kind) {
    case Kind::kMse:
      return std::make_unique<Regression>(canonical, squared);
    case Kind::kMae:
      return std::make_unique<Regression>(canonical, absolute);
    default:
      return std::make_unique<Regression>(canonical, huber);
  }
}

}  // namespace stride
