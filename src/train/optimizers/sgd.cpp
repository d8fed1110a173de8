// SGD (keras/src/optimizers/sgd.py): learning rate 0.01, momentum 0, nesterov False.
//   plain:    w = w - g * lr
//   momentum: m = m * momentum - g * lr; w = w + m
//   nesterov: m as above; w = w + (m * momentum - g * lr)
#include "train/optimizers/families.hpp"

namespace stride {
namespace {

class Sgd final : public Optimizer {
 public:
  explicit Sgd(const OptimizerOptions& options)
      : Optimizer(options, 0.01, -1),
        momentum_(static_cast<float>(options.momentum)),
        nesterov_(options.nesterov) {}
  const std::string& name() const override { return name_; }

 protected:
  // Keras keeps a momentum slot only when momentum != 0.
  std::vector<std::string> slot_names() const override {
    if (momentum_ != 0) return {"momentum"};
    return {};
  }

  void update_step(float* w, const float* g, Dim n, const std::vector<float*>& slots,
                   float lr) override {
    if (momentum_ == 0) {
      for (Dim i = 0; i < n; ++i) w[i] = w[i] - g[i] * lr;
      return;
    }
    float* m = slots[0];
    for (Dim i = 0; i < n; ++i) {
      m[i] = m[i] * momentum_ - g[i] * lr;
      w[i] = nesterov_ ? w[i] + (m[i] * momentum_ - g[i] * lr) : w[i] + m[i];
    }
  }

 private:
  std::string name_ = "sgd";
  float momentum_;
  bool nesterov_;
};

}  // namespace

std::unique_ptr<Optimizer> make_sgd(const OptimizerOptions& options) {
  return std::make_unique<Sgd>(options);
}

}  // namespace stride
