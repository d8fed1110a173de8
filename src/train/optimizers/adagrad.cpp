// Adagrad (keras/src/optimizers/adagrad.py): learning rate 0.001,
// initial_accumulator_value 0.1, epsilon 1e-7.
//   accumulator = accumulator + g^2
//   w = w - (lr * g) / sqrt(accumulator + epsilon)   (epsilon inside the sqrt;
//                                                    torch.optim.Adagrad adds it outside)
#include <cmath>

#include "train/optimizers/families.hpp"

namespace stride {
namespace {

class Adagrad final : public Optimizer {
 public:
  explicit Adagrad(const OptimizerOptions& options)
      : Optimizer(options, 0.001, -1),
        initial_(static_cast<float>(options.initial_accumulator_value)),
        epsilon_(static_cast<float>(options.epsilon)) {}
  const std::string& name() const override { return name_; }

 protected:
  std::vector<std::string> slot_names() const override { return {"accumulator"}; }
  float slot_initial_value(const std::string&) const override { return initial_; }

  void update_step(float* w, const float* g, Dim n, const std::vector<float*>& slots,
                   float lr) override {
    float* accumulator = slots[0];
    for (Dim i = 0; i < n; ++i) {
      accumulator[i] = accumulator[i] + g[i] * g[i];
      w[i] = w[i] - (lr * g[i]) / std::sqrt(accumulator[i] + epsilon_);
    }
  }

 private:
  std::string name_ = "adagrad";
  float initial_, epsilon_;
};

}  // namespace

std::unique_ptr<Optimizer> make_adagrad(const OptimizerOptions& options) {
  return std::make_unique<Adagrad>(options);
}

}  // namespace stride
