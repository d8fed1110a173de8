// Dropout's mask: one independent draw per element, in parallel.
#pragma once

#include <cstdint>

#include "stride/shape.hpp"

namespace stride::kernels {

// mask[i] = scale where element i is kept, else 0. Element i is kept with
// probability 1 - rate: its draw is 32 bits of splitmix64's stream from
// `key` (value i / 2, low half for even i, high half for odd), kept when at
// least rate * 2^32. Each value depends only on key and i, so the mask is
// the same for every thread count. With input (as many values as the mask),
// output[i] = input[i] * mask[i] too, in the same pass.
void dropout_mask(std::uint64_t key, double rate, float scale, float* mask, Dim size,
                  const float* input = nullptr, float* output = nullptr);

// output[i] = input[i] * mask[i], in parallel (dropout's gradient).
void apply_mask(const float* input, const float* mask, float* output, Dim size);

}  // namespace stride::kernels
