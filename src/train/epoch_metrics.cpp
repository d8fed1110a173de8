#include "train/epoch_metrics.hpp"

#include <fmt/format.h>

namespace stride {

EpochMetrics::EpochMetrics(const std::vector<std::string>& names) {
  constexpr AccuracyKind kKinds[] = {AccuracyKind::kBinary, AccuracyKind::kCategorical,
                                     AccuracyKind::kSparseCategorical};
  for (const std::string& name : names) {
    if (name == "loss") continue;  // always tracked
    Tracked m{name};
    if (name == "sparse_top_k_categorical_accuracy") {
      m.top_k = true;
    } else if (name != "accuracy" && name != "acc") {
      // A named accuracy fixes its kind; "accuracy" is resolved per batch from the shapes.
      for (AccuracyKind kind : kKinds)
        if (name == accuracy_name(kind)) m.kind = kind;
      if (!m.kind)
        throw Error(fmt::format(
            "unknown metric '{}' (known: accuracy, acc, binary_accuracy, categorical_accuracy, "
            "sparse_categorical_accuracy, sparse_top_k_categorical_accuracy)",
            name));
    }
    metrics_.push_back(m);
  }
}

void EpochMetrics::add_batch(double loss, const Tensor& y_true, const Tensor& y_pred) {
  // Keras's loss tracker: Mean with the batch size as the sample weight.
  const double batch = y_pred.rank() ? static_cast<double>(y_pred.dim(0)) : 1.0;
  loss_sum_ += loss * batch;
  loss_count_ += batch;
  for (Tracked& m : metrics_) {
    if (m.top_k)
      m.sum += static_cast<double>(sparse_top_k_correct(y_true, y_pred, 5));
    else
      m.sum += accuracy_sum(m.kind ? *m.kind : resolve_accuracy(y_true.shape(), y_pred.shape()),
                            y_true, y_pred);
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
