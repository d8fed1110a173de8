// The optimizer families behind make_optimizer; options are already checked.
#pragma once

#include <memory>

#include "stride/optimizer.hpp"

namespace stride {

std::unique_ptr<Optimizer> make_sgd(const OptimizerOptions& options);
// adamw: Adam with weight_decay defaulting to 0.004.
std::unique_ptr<Optimizer> make_adam(const OptimizerOptions& options, bool adamw);
std::unique_ptr<Optimizer> make_rmsprop(const OptimizerOptions& options);
std::unique_ptr<Optimizer> make_adagrad(const OptimizerOptions& options);

}  // namespace stride
