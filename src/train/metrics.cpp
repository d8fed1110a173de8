// Accuracy metrics and the confusion matrix (Keras 3,
// keras/src/metrics/accuracy_metrics.py and compile_utils.get_metric).
#include "stride/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace stride {
namespace {

[[noreturn]] void fail(const std::string& metric, const std::string& message) {
  throw Error(metric + ": " + message);
}

void require_scores(const std::string& metric, const Tensor& y_pred) {
  if (y_pred.rank() == 0 || y_pred.empty()) {
    fail(metric, "y_pred " + shape_to_python(y_pred.shape()) + " is empty");
  }
}

// The index of the largest of n values; the first one on ties (argmax).
Dim argmax(const float* v, Dim n) {
  Dim best = 0;
  for (Dim j = 1; j < n; ++j) {
    if (v[j] > v[best]) best = j;
  }
  return best;
}

// y_true holding one class index per row of y_pred: y_pred.shape[:-1], or
// that with a trailing 1.
void require_label_shape(const std::string& metric, const Tensor& y_true, const Tensor& y_pred) {
  Shape rows(y_pred.shape().begin(), y_pred.shape().end() - 1);
  Shape with_one = rows;
  with_one.push_back(1);
  if (y_true.shape() != rows && y_true.shape() != with_one) {
    fail(metric, "y_true shape " + shape_to_python(y_true.shape()) +
                     " must hold one class index per row of y_pred " +
                     shape_to_python(y_pred.shape()));
  }
}

Dim label_at(const std::string& metric, const Tensor& y_true, Dim row, Dim classes) {
  const float label = y_true[row];
  if (!(label >= 0 && label < static_cast<float>(classes)) || label != std::floor(label)) {
    fail(metric, fmt::format("label {} (sample {}) is not a class index for {} classes", label, row,
                             classes));
  }
  return static_cast<Dim>(label);
}

// Keras's squeeze_or_expand_to_same_rank: equal shapes, or equal up to a
// trailing dimension of 1 on one side.
void require_same_elements(const std::string& metric, const Tensor& y_true, const Tensor& y_pred) {
  const Shape& t = y_true.shape();
  const Shape& p = y_pred.shape();
  auto squeezes_to = [](const Shape& longer, const Shape& shorter) {
    return longer.size() == shorter.size() + 1 && longer.back() == 1 &&
           std::equal(shorter.begin(), shorter.end(), longer.begin());
  };
  if (t == p || squeezes_to(t, p) || squeezes_to(p, t)) return;
  fail(metric,
       "y_true shape " + shape_to_python(t) + " does not match y_pred shape " + shape_to_python(p));
}

}  // namespace

std::string accuracy_name(AccuracyKind kind) {
  switch (kind) {
    case AccuracyKind::kBinary:
      return "binary_accuracy";
    case AccuracyKind::kCategorical:
      return "categorical_accuracy";
    case AccuracyKind::kSparseCategorical:
      break;
  }
  return "sparse_categorical_accuracy";
}

AccuracyKind resolve_accuracy(const Shape& y_true, const Shape& y_pred) {
  if (y_true.empty() || y_pred.empty()) {
    throw Error("accuracy: cannot resolve from a rank-0 shape (y_true " + shape_to_python(y_true) +
                ", y_pred " + shape_to_python(y_pred) + ")");
  }
  if (y_pred.back() == 1) return AccuracyKind::kBinary;
  if (y_true.size() < y_pred.size() || (y_true.back() == 1 && y_pred.back() > 1)) {
    return AccuracyKind::kSparseCategorical;
  }
  return AccuracyKind::kCategorical;
}

Dim sample_count(const Tensor& y_pred) {
  if (y_pred.rank() == 0 || y_pred.dim(y_pred.rank() - 1) == 0) return 0;
  return y_pred.size() / y_pred.dim(y_pred.rank() - 1);
}

double binary_accuracy_sum(const Tensor& y_true, const Tensor& y_pred, double threshold) {
  const std::string metric = "binary_accuracy";
  require_scores(metric, y_pred);
  require_same_elements(metric, y_true, y_pred);
  const Dim width = y_pred.dim(y_pred.rank() - 1);
  const float t = static_cast<float>(threshold);  // Keras casts it to y_pred's dtype
  double sum = 0;
  for (Dim r = 0; r < sample_count(y_pred); ++r) {
    Dim matches = 0;
    for (Dim j = r * width; j < (r + 1) * width; ++j) {
      const float predicted = y_pred[j] > t ? 1.0f : 0.0f;
      if (y_true[j] == predicted) ++matches;
    }
    sum += static_cast<double>(matches) / static_cast<double>(width);
  }
  return sum;
}

double categorical_accuracy_sum(const Tensor& y_true, const Tensor& y_pred) {
  const std::string metric = "categorical_accuracy";
  require_scores(metric, y_pred);
  if (y_true.shape() != y_pred.shape()) {
    fail(metric, "y_true shape " + shape_to_python(y_true.shape()) +
                     " does not match y_pred shape " + shape_to_python(y_pred.shape()) +
                     " (one-hot rows expected)");
  }
  const Dim classes = y_pred.dim(y_pred.rank() - 1);
  Dim correct = 0;
  for (Dim r = 0; r < sample_count(y_pred); ++r) {
    const Dim offset = r * classes;
    if (argmax(y_true.data() + offset, classes) == argmax(y_pred.data() + offset, classes)) {
      ++correct;
    }
  }
  return static_cast<double>(correct);
}

double sparse_categorical_accuracy_sum(const Tensor& y_true, const Tensor& y_pred) {
  const std::string metric = "sparse_categorical_accuracy";
  require_scores(metric, y_pred);
  require_label_shape(metric, y_true, y_pred);
  const Dim classes = y_pred.dim(y_pred.rank() - 1);
  Dim correct = 0;
  for (Dim r = 0; r < sample_count(y_pred); ++r) {
    if (label_at(metric, y_true, r, classes) == argmax(y_pred.data() + r * classes, classes)) {
      ++correct;
    }
  }
  return static_cast<double>(correct);
}

double accuracy_sum(AccuracyKind kind, const Tensor& y_true, const Tensor& y_pred,
                    double threshold) {
  switch (kind) {
    case AccuracyKind::kBinary:
      return binary_accuracy_sum(y_true, y_pred, threshold);
    case AccuracyKind::kCategorical:
      return categorical_accuracy_sum(y_true, y_pred);
    case AccuracyKind::kSparseCategorical:
      break;
  }
  return sparse_categorical_accuracy_sum(y_true, y_pred);
}

std::int64_t sparse_top_k_correct(const Tensor& y_true, const Tensor& y_pred, int k) {
  const std::string metric = "sparse_top_k_categorical_accuracy";
  require_scores(metric, y_pred);
  require_label_shape(metric, y_true, y_pred);
  if (k < 1) fail(metric, fmt::format("k must be at least 1, got {}", k));
  const Dim classes = y_pred.dim(y_pred.rank() - 1);
  std::int64_t correct = 0;
  for (Dim r = 0; r < sample_count(y_pred); ++r) {
    const float* scores = y_pred.data() + r * classes;
    const float target = scores[label_at(metric, y_true, r, classes)];
    // NaN is never a high score (JAX's in_top_k maps it to -inf).
    if (std::isnan(target)) continue;
    Dim greater = 0;
    for (Dim j = 0; j < classes; ++j) greater += scores[j] > target ? 1 : 0;
    if (greater < k) ++correct;
  }
  return correct;
}

std::vector<std::int64_t> confusion_matrix(const Tensor& y_true, const Tensor& y_pred,
                                           Dim classes) {
  const std::string metric = "confusion_matrix";
  require_scores(metric, y_pred);
  if (classes < 1) fail(metric, fmt::format("classes must be at least 1, got {}", classes));
  const Dim width = y_pred.dim(y_pred.rank() - 1);
  const bool thresholded = width == 1;
  if (thresholded ? classes != 2 : width != classes) {
    fail(metric, fmt::format("y_pred {} does not hold scores for {} classes (last dim {}, or 1 "
                             "for 2 classes)",
                             shape_to_python(y_pred.shape()), classes, classes));
  }
  const bool one_hot = width > 1 && y_true.shape() == y_pred.shape();
  if (!one_hot) require_label_shape(metric, y_true, y_pred);
  std::vector<std::int64_t> counts(static_cast<std::size_t>(classes * classes), 0);
  for (Dim r = 0; r < sample_count(y_pred); ++r) {
    const float* scores = y_pred.data() + r * width;
    const Dim truth =
        one_hot ? argmax(y_true.data() + r * width, width) : label_at(metric, y_true, r, classes);
    const Dim predicted = thresholded ? (scores[0] > 0.5f ? 1 : 0) : argmax(scores, width);
    ++counts[static_cast<std::size_t>(truth * classes + predicted)];
  }
  return counts;
}

}  // namespace stride
