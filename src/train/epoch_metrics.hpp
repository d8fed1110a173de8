// The loss and metrics of an epoch (or an evaluation) as Keras's trackers
// average them: the loss weighted by batch size, each metric over samples.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "stride/metrics.hpp"
#include "stride/train.hpp"

namespace stride {

class EpochMetrics {
 public:
  // Names as FitOptions::metrics takes them; an unknown one is a stride::Error.
  explicit EpochMetrics(const std::vector<std::string>& names);
  // One batch: its mean loss, labels and model output.
  void add_batch(double loss, const Tensor& y_true, const Tensor& y_pred);
  // Running averages so far, names prefixed with `prefix` ("val_").
  Logs logs(const std::string& prefix = "") const;

 private:
  struct Tracked {
    std::string name;                    // as given: "accuracy", "acc", ...
    std::optional<AccuracyKind> kind{};  // none: "accuracy", resolved from the shapes
    bool top_k = false;                  // sparse_top_k_categorical_accuracy (k = 5)
    double sum = 0, count = 0;
  };
  double loss_sum_ = 0, loss_count_ = 0;
  std::vector<Tracked> metrics_;
};

}  // namespace stride
