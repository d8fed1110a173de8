// Axis permutation (NumPy's transpose): the data movement behind Permute,
// channels_first layers and Flatten of channels_first inputs.
#pragma once

#include <vector>

#include "stride/tensor.hpp"

namespace stride::kernels {

// out.shape[i] = in.shape[axes[i]].
Tensor transpose(const Tensor& input, const std::vector<std::size_t>& axes);

// (batch, C, spatial...) <-> (batch, spatial..., C).
Tensor to_channels_last(const Tensor& input);
Tensor to_channels_first(const Tensor& input);

}  // namespace stride::kernels
