// Winograd's minimal filtering F(4x4, 3x3) and F(3x3, 4x4) on AVX2+FMA
// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016),
// shared by the forward pass (conv_winograd_avx2.cpp) and the kernel
// gradient (conv_winograd_kernel_grad_avx2.cpp). Both cut the output into
// 4x4 tiles, each reading a 6x6 block of input, and take the same input
// transform V = B^T d B; the interpolation points are 0, 1, -1, 2, -2, inf.
// Included only by those AVX2 files.
#pragma once

#include <immintrin.h>

#include <algorithm>

#include "kernels/internal.hpp"

namespace stride::kernels::detail::winograd {

constexpr int kLanes = 8;      // floats per ymm register
constexpr int kPoints = 36;    // 6x6 transformed positions
constexpr int kTileRows = 6;   // tiles per gemm register tile
constexpr Dim kMinTiles = 64;  // below this the kernel transform is not repaid

// The part of the geometry the kernel uses, 2D (the depth axis has size 1).
struct WinogradShape {
  Dim batch, in_h, in_w, out_h, out_w, pad_top, pad_left, cin, cout;
  Dim tiles_h = 0, tiles_w = 0, tiles = 0;  // 4x4 output tiles per column, row, image

  // How many tiles a block holds so that its V (36 x block x Cin) and the
  // other side (36 x block x Cout) take at most `bytes` together: a multiple
  // of kTileRows from kTileRows to max_tiles.
  Dim block_tiles(Dim bytes, Dim max_tiles) const {
    const Dim fit = bytes / Dim(sizeof(float) * kPoints * (cin + cout));
    return std::clamp<Dim>(fit / kTileRows * kTileRows, kTileRows, max_tiles);
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
// ungrouped 2D convolution with channel counts multiples of 8 from 16 on and
// at least kMinTiles output tiles; false otherwise.
bool winograd_shape(const ConvGeometry& g, WinogradShape& s);

// B^T applied to six vectors (one column or row of a 6x6 input block).
STRIDE_TARGET_AVX2_FMA inline void input_transform6(const __m256 d[6], __m256 r[6]) {
  const __m256 two = _mm256_set1_ps(2), four = _mm256_set1_ps(4), five = _mm256_set1_ps(5);
  r[0] = _mm256_fmadd_ps(four, d[0], _mm256_fnmadd_ps(five, d[2], d[4]));
  r[1] = _mm256_fnmadd_ps(four, _mm256_add_ps(d[1], d[2]), _mm256_add_ps(d[3], d[4]));
  r[2] = _mm256_fmadd_ps(four, _mm256_sub_ps(d[1], d[2]), _mm256_sub_ps(d[4], d[3]));
  r[3] = _mm256_fmadd_ps(two, _mm256_sub_ps(d[3], d[1]), _mm256_sub_ps(d[4], d[2]));
  r[4] = _mm256_fmadd_ps(two, _mm256_sub_ps(d[1], d[3]), _mm256_sub_ps(d[4], d[2]));
  r[5] = _mm256_fmadd_ps(four, d[1], _mm256_fnmadd_ps(five, d[3], d[5]));
}

// A^T applied to six vectors: four outputs.
STRIDE_TARGET_AVX2_FMA inline void output_transform6(const __m256 m[6], __m256 o[4]) {
  const __m256 sum12 = _mm256_add_ps(m[1], m[2]), diff12 = _mm256_sub_ps(m[1], m[2]);
  const __m256 sum34 = _mm256_add_ps(m[3], m[4]), diff34 = _mm256_sub_ps(m[3], m[4]);
  o[0] = _mm256_add_ps(_mm256_add_ps(m[0], sum12), sum34);
  o[1] = _mm256_fmadd_ps(_mm256_set1_ps(2), diff34, diff12);
  o[2] = _mm256_fmadd_ps(_mm256_set1_ps(4), sum34, sum12);
  o[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8), diff34, diff12), m[5]);
}

// V[xi][slot][c] for tile `tile` (over the whole batch), all channels;
// input positions outside the image read zero.
STRIDE_TARGET_AVX2_FMA void transform_input_tile(const WinogradShape& s, const float* input,
                                                 Dim tile, Dim slot, const PointLayout& layout,
                                                 float* v);

}  // namespace stride::kernels::detail::winograd
