// Optimizers with Keras 3 semantics (keras/src/optimizers/*.py): SGD, Adam,
// AdamW, RMSprop and Adagrad, gradient clipping, decoupled weight decay and
// learning-rate schedules. Updates run in float32 in Keras's order of
// operations (update_step as the JAX/NumPy backends run it) with plain loops
// in a fixed order, so results are deterministic and comparable with Keras.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stride/error.hpp"
#include "stride/npy.hpp"
#include "stride/tensor.hpp"

namespace stride {

// A trainable variable as the optimizer sees it: views into the model's
// parameter and gradient buffers. name like "conv2d/kernel".
struct Variable {
  std::string name;
  Tensor value;
  Tensor gradient;
};

// keras.optimizers.schedules: "constant" (initial), "exponential_decay"
// (ExponentialDecay: initial * decay_rate^(step / decay_steps), the exponent
// floored with staircase), "cosine_decay" (CosineDecay without warmup:
// initial * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) /
// decay_steps)) + alpha)). The step is the optimizer's iteration count
// before the update (0 on the first step), as Keras passes it. Computed in
// double; Keras computes in float32, which differs by about an ulp.
struct LearningRateSchedule {
  std::string kind = "constant";
  double initial = 0;
  Dim decay_steps = 0;
  double decay_rate = 0;
  bool staircase = false;
  double alpha = 0;                    // cosine_decay
  double at(std::int64_t step) const;  // stride::Error on an unknown kind or decay_steps <= 0
};

struct OptimizerOptions {
  std::optional<double> learning_rate;           // default: Keras's default for that optimizer
  std::optional<LearningRateSchedule> schedule;  // overrides learning_rate when set
  double momentum = 0;                           // SGD (in [0, 1], as Keras checks), RMSprop
  bool nesterov = false;                         // SGD
  double beta_1 = 0.9, beta_2 = 0.999,
         epsilon = 1e-7;  // Adam/AdamW (epsilon: also RMSprop, Adagrad)
  bool amsgrad = false;   // Adam/AdamW
  // -1: Keras's default (AdamW 0.004, the others none). Any value >= 0 is
  // applied by every optimizer, as Keras 3's base optimizer does.
  double weight_decay = -1;
  double rho = 0.9;  // RMSprop
  bool centered = false;
  double initial_accumulator_value = 0.1;  // Adagrad
  // At most one may be set (Keras 3 raises otherwise); each acts only when > 0.
  std::optional<double> clipnorm, clipvalue, global_clipnorm;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual const std::string& name() const = 0;  // "sgd", "adam", "adamw", "rmsprop", "adagrad"

  // One step, as Keras 3's apply: clip the gradients (clipnorm per variable,
  // global_clipnorm over all, or clipvalue), apply weight decay if set
  // (w -= w * wd * lr), update every variable with the learning rate of the
  // current iteration, then iterations += 1. The gradient buffers are not
  // modified. The first call builds the slots (see build); later calls must
  // pass the same variables (names and shapes, in order). An empty list is a
  // no-op, as in Keras.
  void apply(std::vector<Variable>& variables);
  // Creates the zero (Adagrad: initial_accumulator_value) slots for
  // `variables`, or takes them from a state loaded before building. Errors on
  // duplicate names or a value/gradient shape mismatch.
  void build(const std::vector<Variable>& variables);
  bool built() const { return built_; }

  std::int64_t iterations() const { return iterations_; }
  // At the current iteration (the one the next apply uses), in double; the
  // update uses it rounded to float32 as Keras's float32 variable holds it.
  double learning_rate() const;
  const OptimizerOptions& options() const { return options_; }

  // Everything needed to resume bit-identically: "iterations" (int64
  // scalar) and every slot as float32, keyed "<variable>/<slot>" (e.g.
  // "conv2d/kernel/momentum"), in variable order then Keras's slot order.
  // Before the first apply: just iterations, or a loaded state as given.
  NamedArrays state() const;
  // Built: every slot must be present with its variable's shape, nothing
  // else may be, or a stride::Error is thrown and nothing changes. Not yet
  // built: iterations is taken now and the slots are checked and taken by
  // build (the first apply).
  void load_state(const NamedArrays& state);

 protected:
  Optimizer(OptimizerOptions options, double default_learning_rate, double default_weight_decay);
  // The slots this optimizer keeps per variable, in Keras's order.
  virtual std::vector<std::string> slot_names() const = 0;
  virtual float slot_initial_value(const std::string& /*slot*/) const { return 0.0f; }
  // Keras's update_step on one variable of n elements; slots in slot_names()
  // order. iterations() is still the count before this step.
  virtual void update_step(float* value, const float* gradient, Dim n,
                           const std::vector<float*>& slots, float learning_rate) = 0;

 private:
  struct Slots {
    std::string variable;
    Shape shape;
    std::vector<Tensor> values;  // slot_names() order
  };
  std::vector<Tensor> clipped_gradients(const std::vector<Variable>& variables) const;
  std::vector<Slots> slots_from_state(const std::vector<Slots>& layout,
                                      const NamedArrays& state) const;

  OptimizerOptions options_;
  double weight_decay_ = -1;  // < 0: none
  std::int64_t iterations_ = 0;
  bool built_ = false;
  std::vector<Slots> slots_;
  std::optional<NamedArrays> pending_state_;
};

// sgd, adam, adamw, rmsprop, adagrad (case-insensitive). An unknown name or
// invalid options (several clip options, SGD momentum outside [0, 1], a
// schedule with decay_steps <= 0, ...) is a stride::Error.
std::unique_ptr<Optimizer> make_optimizer(const std::string& name,
                                          const OptimizerOptions& options = {});

}  // namespace stride
