// RMSprop (keras/src/optimizers/rmsprop.py): learning rate 0.001, rho 0.9,
// momentum 0, epsilon 1e-7, centered False.
//   velocity = rho * velocity + (1 - rho) * g^2
//   centered: average_gradient = rho * average_gradient + (1 - rho) * g;
//             denominator = velocity - average_gradient^2 + epsilon
//   else:     denominator = velocity + epsilon      (epsilon inside the sqrt;
//                                                    torch.optim.RMSprop adds it outside)
//   increment = (lr * g) / sqrt(denominator)
//   momentum > 0: momentum_slot = momentum * momentum_slot + increment; w -= momentum_slot
//   else:         w -= increment
#include <cmath>

#include "train/optimizers/families.hpp"

namespace stride {
namespace {

class RmsProp final : public Optimizer {
 public:
  explicit RmsProp(const OptimizerOptions& options)
      : Optimizer(options, 0.001, -1),
        rho_(static_cast<float>(options.rho)),
        one_minus_rho_(static_cast<float>(1.0 - options.rho)),
        momentum_(static_cast<float>(options.momentum)),
        epsilon_(static_cast<float>(options.epsilon)),
        centered_(options.centered) {}
  const std::string& name() const override { return name_; }

 protected:
  std::vector<std::string> slot_names() const override {
    if (momentum_ > 0 && centered_) return {"velocity", "momentum", "average_gradient"};
    if (momentum_ > 0) return {"velocity", "momentum"};
    if (centered_) return {"velocity", "average_gradient"};
    return {"velocity"};
  }

  void update_step(float* w, const float* g, Dim n, const std::vector<float*>& slots,
                   float lr) override {
    float* velocity = slots[0];
    float* momentum = momentum_ > 0 ? slots[1] : nullptr;
    float* average = centered_ ? slots.back() : nullptr;
    for (Dim i = 0; i < n; ++i) {
      velocity[i] = rho_ * velocity[i] + one_minus_rho_ * (g[i] * g[i]);
      float denominator;
      if (average) {
        average[i] = rho_ * average[i] + one_minus_rho_ * g[i];
        denominator = velocity[i] - average[i] * average[i] + epsilon_;
      } else {
        denominator = velocity[i] + epsilon_;
      }
      const float increment = (lr * g[i]) / std::sqrt(denominator);
      if (momentum) {
        momentum[i] = momentum_ * momentum[i] + increment;
        w[i] = w[i] - momentum[i];
      } else {
        w[i] = w[i] - increment;
      }
    }
  }

 private:
  std::string name_ = "rmsprop";
  float rho_, one_minus_rho_, momentum_, epsilon_;
  bool centered_;
};

}  // namespace

std::unique_ptr<Optimizer> make_rmsprop(const OptimizerOptions& options) {
  return std::make_unique<RmsProp>(options);
}

}  // namespace stride
