// Adam and AdamW (keras/src/optimizers/adam.py, adamw.py; reference §7.7):
// learning rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7, amsgrad False.
// At step t = iterations + 1:
//   alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
//   m = m + (g - m) * (1 - beta_1);  v = v + (g^2 - v) * (1 - beta_2)
//   amsgrad: v_hat = max(v_hat, v), used in place of v
//   w = w - (m * alpha) / (sqrt(v) + epsilon)    (epsilon outside the sqrt,
//                                                 unlike torch.optim.Adam's bias-corrected form)
// AdamW is Adam with weight_decay 0.004 by default; the base class applies
// w -= w * wd * lr before the update, as Keras's _apply_weight_decay does.
#include <algorithm>
#include <cmath>

#include "train/optimizers/families.hpp"

namespace stride {
namespace {

class Adam final : public Optimizer {
 public:
  Adam(const OptimizerOptions& options, bool adamw)
      : Optimizer(options, 0.001, adamw ? 0.004 : -1),
        name_(adamw ? "adamw" : "adam"),
        beta_1_(static_cast<float>(options.beta_1)),
        beta_2_(static_cast<float>(options.beta_2)),
        // Keras writes (1 - self.beta_1) with Python floats, then casts.
        one_minus_beta_1_(static_cast<float>(1.0 - options.beta_1)),
        one_minus_beta_2_(static_cast<float>(1.0 - options.beta_2)),
        epsilon_(static_cast<float>(options.epsilon)),
        amsgrad_(options.amsgrad) {}
  const std::string& name() const override { return name_; }

 protected:
  std::vector<std::string> slot_names() const override {
    if (amsgrad_) return {"momentum", "velocity", "velocity_hat"};
    return {"momentum", "velocity"};
  }

  void update_step(float* w, const float* g, Dim n, const std::vector<float*>& slots,
                   float lr) override {
    const float step = static_cast<float>(iterations() + 1);
    const float beta_1_power = std::pow(beta_1_, step);
    const float beta_2_power = std::pow(beta_2_, step);
    const float alpha = lr * std::sqrt(1.0f - beta_2_power) / (1.0f - beta_1_power);
    float* m = slots[0];
    float* v = slots[1];
    float* v_hat = amsgrad_ ? slots[2] : nullptr;
    for (Dim i = 0; i < n; ++i) {
      m[i] = m[i] + (g[i] - m[i]) * one_minus_beta_1_;
      v[i] = v[i] + (g[i] * g[i] - v[i]) * one_minus_beta_2_;
      float second = v[i];
      if (v_hat) {
        v_hat[i] = std::max(v_hat[i], v[i]);
        second = v_hat[i];
      }
      w[i] = w[i] - (m[i] * alpha) / (std::sqrt(second) + epsilon_);
    }
  }

 private:
  std::string name_;
  float beta_1_, beta_2_, one_minus_beta_1_, one_minus_beta_2_, epsilon_;
  bool amsgrad_;
};

}  // namespace

std::unique_ptr<Optimizer> make_adam(const OptimizerOptions& options, bool adamw) {
  return std::make_unique<Adam>(options, adamw);
}

}  // namespace stride
