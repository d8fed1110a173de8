// Pooling kernels (reference §1.6, §7.2), channels_last.
#pragma once

#include "kernels/conv.hpp"

namespace stride::kernels {

enum class PoolKind { kMax, kAverage };

struct PoolGeometry {
  Dim batch = 1, channels = 1;
  Spatial input{1, 1, 1}, output{1, 1, 1};
  Spatial window{1, 1, 1}, strides{1, 1, 1};
  Spatial pad_before{0, 0, 0};
};

// out[b, o, c] over the window starting at o*s - pad_before, real (in-range)
// elements only: max never picks padding; average divides by the number of
// real elements in the window.
void pool_forward(KernelPath path, PoolKind kind, const PoolGeometry& g, const float* input,
                  float* output);

}  // namespace stride::kernels
