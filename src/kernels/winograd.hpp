// Winograd's minimal filtering F(4x4, 3x3) and F(3x3, 4x4) (Lavin & Gray,
// "Fast Algorithms for Convolutional Neural Networks", 2016): what the
// instruction sets' kernels share and what needs no vectors. The forward
// pass (winograd_forward.hpp) and the kernel gradient
// (winograd_kernel_grad.hpp) cut the output into 4x4 tiles, each reading a
// 6x6 block of input, and take the same input transform V = B^T d B; the
// interpolation points are 0, 1, -1, 2, -2, inf.
#pragma once

#include <algorithm>

#include "kernels/internal.hpp"

namespace stride::kernels::detail::winograd {

constexpr int kPoints = 36;    // 6x6 transformed positions
constexpr Dim kMinTiles = 64;  // below this the kernel transform is not repaid

// The part of the geometry the kernels use, 2D (the depth axis has size 1).
struct WinogradShape {
  Dim batch, in_h, in_w, out_h, out_w, pad_top, pad_left, cin, cout;
  Dim tiles_h = 0, tiles_w = 0, tiles = 0;  // 4x4 output tiles per column, row, image

  // How many tiles a block holds so that its V (36 x block x Cin) and the
  // other side (36 x block x Cout) take at most `bytes` together: a multiple
  // of `rows` (the gemm's register tile) from `rows` to max_tiles.
  Dim block_tiles(Dim bytes, Dim rows, Dim max_tiles) const {
    const Dim fit = bytes / Dim(sizeof(float) * kPoints * (cin + cout));
    return std::clamp<Dim>(fit / rows * rows, rows, max_tiles);
  }
};

// Where a block's transformed values live (V, M or W: 36 positions x the
// block's tiles x channels): value (xi, slot, channel) at
// xi * point + slot * slot_stride + channel.
struct PointLayout {
  Dim point, slot_stride, floats;  // floats: the whole block's
  float* at(float* base, Dim xi, Dim slot) const { return base + xi * point + slot * slot_stride; }
  const float* at(const float* base, Dim xi, Dim slot) const {
    return base + xi * point + slot * slot_stride;
  }
};

// Position-major: each position's rows together, padded to an odd number of
// 64-byte lines so that the 36 positions of one tile fall into distinct L1
// sets (at 3 KiB apart, 36 lines shared four sets and evicted each other).
inline PointLayout point_major(Dim block, Dim channels) {
  const Dim lines = (block * channels + 15) / 16;
  return {(lines | 1) * 16, channels, kPoints * (lines | 1) * 16};
}

// g's shape where the kernels take it: a 3x3, stride-1, undilated,
// ungrouped 2D convolution with channel counts multiples of `lanes` from 16
// on and at least kMinTiles output tiles; false otherwise.
bool winograd_shape(const ConvGeometry& g, Dim lanes, WinogradShape& s);

// U = G g G^T for every (c, f), in double, stored as U[xi][c][f]. g is
// K[kh][kw][c][f] (forward), or with `flip_swap` the kernel of the input
// gradient: g'[kh][kw][c][f] = K[2-kh][2-kw][f][c]. Parallel over c.
void transform_kernel(const float* kernel, Dim cin, Dim cout, bool flip_swap, float* u);

}  // namespace stride::kernels::detail::winograd
