// What every optimizer shares (keras/src/optimizers/base_optimizer.py):
// building slots, clipping, weight decay, the iteration counter, state
// save/load, and the factory.
#include "stride/optimizer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <set>

#include "train/optimizers/families.hpp"

namespace stride {
namespace {

constexpr const char* kIterationsKey = "iterations";

[[noreturn]] void state_error(const std::string& message) {
  throw Error("optimizer state: " + message);
}

Array slot_array(const Tensor& t) {
  return Array::from_float(t.shape(), t.data());
}

}  // namespace

Optimizer::Optimizer(OptimizerOptions options, double default_learning_rate,
                     double default_weight_decay)
    : options_(std::move(options)) {
  if (!options_.learning_rate) options_.learning_rate = default_learning_rate;
  weight_decay_ = options_.weight_decay < 0 ? default_weight_decay : options_.weight_decay;
}

double Optimizer::learning_rate() const {
  if (options_.schedule) return options_.schedule->at(iterations_);
  return *options_.learning_rate;
}

void Optimizer::build(const std::vector<Variable>& variables) {
  if (built_) return;
  std::set<std::string> names;
  std::vector<Slots> layout;
  const std::vector<std::string> slot_list = slot_names();
  for (const Variable& v : variables) {
    if (!names.insert(v.name).second) {
      throw Error("optimizer " + name() + ": two variables are named '" + v.name + "'");
    }
    if (v.value.shape() != v.gradient.shape()) {
      throw Error("optimizer " + name() + ": variable '" + v.name + "' has shape " +
                  shape_to_python(v.value.shape()) + " but its gradient has shape " +
                  shape_to_python(v.gradient.shape()));
    }
    Slots s{v.name, v.value.shape(), {}};
    for (const std::string& slot : slot_list) {
      Tensor t(v.value.shape());
      t.fill(slot_initial_value(slot));
      s.values.push_back(std::move(t));
    }
    layout.push_back(std::move(s));
  }
  if (pending_state_) {
    layout = slots_from_state(layout, *pending_state_);  // throws before anything changes
    pending_state_.reset();
  }
  slots_ = std::move(layout);
  built_ = true;
}

// Keras 3 _clip_gradients: clipnorm (each gradient to norm <= clipnorm),
// else global_clipnorm (all gradients scaled together), else clipvalue
// (elementwise). Sums of squares accumulate in double (Keras reduces in
// float32 in a backend-chosen order); the rest is Keras's float32 arithmetic.
std::vector<Tensor> Optimizer::clipped_gradients(const std::vector<Variable>& variables) const {
  auto positive = [](const std::optional<double>& v) { return v && *v > 0; };
  std::vector<Tensor> grads;
  for (const Variable& v : variables) {
    grads.push_back(positive(options_.clipnorm) || positive(options_.global_clipnorm) ||
                            positive(options_.clipvalue)
                        ? v.gradient.clone()
                        : v.gradient);
  }
  auto sum_of_squares = [](const Tensor& g) {
    double s = 0;
    for (float x : g) s += static_cast<double>(x) * x;
    return s;
  };
  if (positive(options_.clipnorm)) {
    const float clip = static_cast<float>(*options_.clipnorm);
    for (Tensor& g : grads) {
      const float l2sum = static_cast<float>(sum_of_squares(g));
      const float norm = l2sum > 0 ? std::sqrt(l2sum) : l2sum;
      const float divisor = std::max(norm, clip);
      for (float& x : g) x = (x * clip) / divisor;
    }
  } else if (positive(options_.global_clipnorm)) {
    const float clip = static_cast<float>(*options_.global_clipnorm);
    double total = 0;
    for (const Tensor& g : grads) total += sum_of_squares(g);
    const float norm = std::sqrt(static_cast<float>(total));
    // clip * min(1/norm, 1/clip), plus (norm - norm) so that a non-finite
    // norm makes every gradient NaN, as Keras's clip_by_global_norm does.
    const float scale = clip * std::min(1.0f / norm, 1.0f / clip) + (norm - norm);
    for (Tensor& g : grads) {
      for (float& x : g) x = x * scale;
    }
  } else if (positive(options_.clipvalue)) {
    const float clip = static_cast<float>(*options_.clipvalue);
    for (Tensor& g : grads) {
      for (float& x : g) x = std::min(std::max(x, -clip), clip);
    }
  }
  return grads;
}

void Optimizer::apply(std::vector<Variable>& variables) {
  if (variables.empty()) return;  // Keras: no gradients, no step (iterations unchanged)
  build(variables);
  if (variables.size() != slots_.size()) {
    throw Error(fmt::format("optimizer {}: built for {} variables, given {}", name(), slots_.size(),
                            variables.size()));
  }
  for (std::size_t i = 0; i < variables.size(); ++i) {
    const Variable& v = variables[i];
    if (v.name != slots_[i].variable || v.value.shape() != slots_[i].shape ||
        v.gradient.shape() != slots_[i].shape) {
      throw Error("optimizer " + name() + ": variable " + std::to_string(i) + " is '" + v.name +
                  "' " + shape_to_python(v.value.shape()) + " (gradient " +
                  shape_to_python(v.gradient.shape()) + "), but the optimizer was built for '" +
                  slots_[i].variable + "' " + shape_to_python(slots_[i].shape));
    }
  }
  const std::vector<Tensor> grads = clipped_gradients(variables);
  const float lr = static_cast<float>(learning_rate());
  for (std::size_t i = 0; i < variables.size(); ++i) {
    Tensor& value = variables[i].value;
    if (weight_decay_ >= 0) {
      // _apply_weight_decay: variable - variable * wd * lr, before the update.
      const float wd = static_cast<float>(weight_decay_);
      for (float& w : value) w = w - w * wd * lr;
    }
    std::vector<float*> slots;
    for (Tensor& t : slots_[i].values) slots.push_back(t.data());
    update_step(value.data(), grads[i].data(), value.size(), slots, lr);
  }
  ++iterations_;
}

NamedArrays Optimizer::state() const {
  if (pending_state_) return *pending_state_;  // loaded, not yet built: pass it on unchanged
  NamedArrays out;
  out.emplace_back(kIterationsKey, Array::int64_scalar(iterations_));
  const std::vector<std::string> names = slot_names();
  for (const Slots& s : slots_) {
    for (std::size_t k = 0; k < names.size(); ++k) {
      out.emplace_back(s.variable + "/" + names[k], slot_array(s.values[k]));
    }
  }
  return out;
}

// The slots of `layout` (names and shapes) filled from `state`; every
// expected slot must be there as float32 of its variable's shape and no
// other key may be present.
std::vector<Optimizer::Slots> Optimizer::slots_from_state(const std::vector<Slots>& layout,
                                                          const NamedArrays& state) const {
  std::vector<Slots> filled = layout;
  std::set<std::string> used{kIterationsKey};
  const std::vector<std::string> names = slot_names();
  for (Slots& s : filled) {
    for (std::size_t k = 0; k < names.size(); ++k) {
      const std::string key = s.variable + "/" + names[k];
      auto it = std::find_if(state.begin(), state.end(),
                             [&](const auto& entry) { return entry.first == key; });
      if (it == state.end()) state_error("missing slot '" + key + "' (optimizer " + name() + ")");
      const Array& a = it->second;
      if (a.dtype != DType::kFloat32 || a.shape != s.shape) {
        state_error("slot '" + key + "' is " + dtype_name(a.dtype) + " " +
                    shape_to_python(a.shape) + ", expected float32 " + shape_to_python(s.shape));
      }
      std::memcpy(s.values[k].data(), a.bytes.data(), a.bytes.size());
      used.insert(key);
    }
  }
  for (const auto& [key, array] : state) {
    if (!used.count(key)) {
      state_error("unexpected entry '" + key + "' (not a slot of optimizer " + name() +
                  " for these variables)");
    }
  }
  return filled;
}

void Optimizer::load_state(const NamedArrays& state) {
  auto it = std::find_if(state.begin(), state.end(),
                         [](const auto& entry) { return entry.first == kIterationsKey; });
  if (it == state.end()) state_error("missing 'iterations'");
  const Array& a = it->second;
  if (a.dtype != DType::kInt64 || a.size() != 1) {
    state_error("'iterations' is " + dtype_name(a.dtype) + " " + shape_to_python(a.shape) +
                ", expected an int64 scalar");
  }
  std::int64_t iterations = 0;
  std::memcpy(&iterations, a.bytes.data(), sizeof iterations);
  if (iterations < 0) state_error(fmt::format("'iterations' is negative ({})", iterations));
  if (built_) {
    slots_ = slots_from_state(slots_, state);
  } else {
    pending_state_ = state;
  }
  iterations_ = iterations;
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name,
                                          const OptimizerOptions& options) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto fail = [&](const std::string& message) -> void {
    throw Error("optimizer " + lower + ": " + message);
  };
  const int clip_args =
      (options.clipnorm ? 1 : 0) + (options.clipvalue ? 1 : 0) + (options.global_clipnorm ? 1 : 0);
  if (clip_args > 1) {
    fail("only one of clipnorm, clipvalue and global_clipnorm can be set (Keras 3)");
  }
  if (options.learning_rate && !std::isfinite(*options.learning_rate)) {
    fail(fmt::format("learning_rate must be finite, got {}", *options.learning_rate));
  }
  if (options.weight_decay < 0 && options.weight_decay != -1) {
    fail(fmt::format("weight_decay must be >= 0 (or -1 for the default), got {}",
                     options.weight_decay));
  }
  if (options.schedule) options.schedule->at(0);  // rejects an unknown kind or decay_steps <= 0
  if (lower == "sgd") {
    if (!(options.momentum >= 0 && options.momentum <= 1)) {
      fail(fmt::format("momentum must be a float between [0, 1], got {}", options.momentum));
    }
    return make_sgd(options);
  }
  if (lower == "adam") return make_adam(options, false);
  if (lower == "adamw") return make_adam(options, true);
  if (lower == "rmsprop") {
    if (options.momentum < 0) fail(fmt::format("momentum must be >= 0, got {}", options.momentum));
    return make_rmsprop(options);
  }
  if (lower == "adagrad") return make_adagrad(options);
  throw Error("unknown optimizer '" + name + "'; known optimizers: sgd, adam, adamw, rmsprop, " +
              "adagrad");
}

}  // namespace stride
