// Every compute kernel has two implementations behind one function: a short
// reference (plain loops that read like the formula) and the fast path. Tests
// run both on randomized configurations and require them to agree.
#pragma once

#include "stride/tensor.hpp"

namespace stride::kernels {

using KernelPath = ComputePath;  // kReference or kFast

}  // namespace stride::kernels
