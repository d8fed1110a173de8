// Shared by the kernel implementations only: grid arithmetic, geometry
// checks and the reference implementations the public entry points dispatch
// to.
#pragma once

#include <algorithm>

#include "kernels/conv.hpp"
#include "kernels/pool.hpp"

namespace stride::kernels::detail {

inline Dim volume(const Spatial& s) {
  return s[0] * s[1] * s[2];
}

// Row-major index of (d, h, w) in a grid of extents `grid`.
inline Dim grid_index(const Spatial& grid, Dim d, Dim h, Dim w) {
  return (d * grid[1] + h) * grid[2] + w;
}

// Inverse of grid_index.
inline Spatial grid_position(const Spatial& grid, Dim index) {
  return {index / (grid[1] * grid[2]), (index / grid[2]) % grid[1], index % grid[2]};
}

inline bool inside(Dim i, Dim extent) {
  return i >= 0 && i < extent;
}

// `rows` rows of `channels` values, each set to the bias (zero without one).
inline void fill_rows(float* out, Dim rows, Dim channels, const float* bias) {
  for (Dim r = 0; r < rows; ++r, out += channels) {
    if (bias) {
      std::copy(bias, bias + channels, out);
    } else {
      std::fill(out, out + channels, 0.0f);
    }
  }
}

// Throw stride::Error on a geometry no layer should produce (non-positive
// kernel/stride/channels, groups not dividing the channels, ...), so a bug
// upstream surfaces as a message rather than as out-of-bounds memory access.
void check_conv_geometry(const ConvGeometry& g, const char* kernel_name);
void check_conv_transpose_geometry(const ConvGeometry& g);  // also groups == 1
void check_pool_geometry(const PoolGeometry& g);

void conv_forward_reference(const ConvGeometry& g, const float* input, const float* kernel,
                            const float* bias, float* output);
void conv_transpose_forward_reference(const ConvGeometry& g, const float* input,
                                      const float* kernel, const float* bias, float* output);
void pool_forward_reference(PoolKind kind, const PoolGeometry& g, const float* input,
                            float* output);

}  // namespace stride::kernels::detail
