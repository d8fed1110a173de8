#include "train/epoch_metrics.hpp"

#include <fmt/format.h>

namespace stride {

EpochMetrics::EpochMetrics(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (name == "loss") continue;  // always tracked
    Kind kind;
    if (name == "accuracy" || name == "acc")
      kind = Kind::kAccuracy;
    else if (name == "binary_accuracy")
      kind = Kind::kBinary;
    else if (name == "categorical_accuracy")
      kind = Kind::kCategorical;
    else if (name == "sparse_categorical_accuracy")
      kind = Kind::kSparseCategorical;
    else if (name == "sparse_top_k_categorical_accuracy")
      kind = Kind::kSparseTopK;
    else
      throw Error(fmt::format(
          "unknown metric '{}' (known: accuracy, acc, binary_accuracy, categorical_accuracy, "
          "sparse_categorical_accuracy, sparse_top_k_categorical_accuracy)",
          name));
    metrics_.push_back({name, kind});
  }
}

void EpochMetrics::add_batch(double loss, const Tensor& y_true, const Tensor& y_pred) {
  // Keras's loss tracker: Mean with the batch size as the sample weight.
  const double batch = y_pred.rank() ? static_cast<double>(y_pred.dim(0)) : 1.0;
  loss_sum_ += loss * batch;
  loss_count_ += batch;
  for (Tracked& m : metrics_) {
    switch (m.kind) {
      case Kind::kAccuracy:
        m.sum += accuracy_sum(resolve_accuracy(y_true.shape(), y_pred.shape()), y_true, y_pred);
        break;
      case Kind::kBinary:
        m.sum += binary_accuracy_sum(y_true, y_pred);
        break;
      case Kind::kCategorical:
        m.sum += categorical_accuracy_sum(y_true, y_pred);
        break;
      case Kind::kSparseCategorical:
        m.sum += sparse_categorical_accuracy_sum(y_true, y_pred);
        break;
      case Kind::kSparseTopK:
        m.sum += static_cast<double>(sparse_top_k_correct(y_true, y_pred, 5));
        break;
    }
    m.count += static_cast<double>(sample_count(y_pred));
  }
}

Logs EpochMetrics::logs(const std::string& prefix) const {
  Logs out;
  out[prefix + "loss"] = loss_count_ > 0 ? loss_sum_ / loss_count_ : 0.0;
  for (const Tracked& m : metrics_) out[prefix + m.name] = m.count > 0 ? m.sum / m.count : 0.0;
  return out;
}

}  // namespace stride
