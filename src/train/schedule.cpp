// Learning-rate schedules (keras/src/optimizers/schedules/learning_rate_schedule.py).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "stride/optimizer.hpp"

namespace stride {

double LearningRateSchedule::at(std::int64_t step) const {
  if (kind == "constant") return initial;
  if (kind != "exponential_decay" && kind != "cosine_decay") {
    throw Error("unknown learning-rate schedule '" + kind +
                "'; known: constant, exponential_decay, cosine_decay");
  }
  if (decay_steps <= 0) {
    throw Error(fmt::format("{}: decay_steps must be > 0, got {}", kind, decay_steps));
  }
  const double t = static_cast<double>(step);
  const double steps = static_cast<double>(decay_steps);
  if (kind == "exponential_decay") {
    // ExponentialDecay: initial * rate^(step / decay_steps); staircase floors the exponent.
    double p = t / steps;
    if (staircase) p = std::floor(p);
    return initial * std::pow(decay_rate, p);
  }
  // CosineDecay without warmup: the step stops at decay_steps, after which
  // the rate stays at initial * alpha.
  const double fraction = std::min(t, steps) / steps;
  const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * fraction));
  return initial * ((1 - alpha) * cosine + alpha);
}

}  // namespace stride
