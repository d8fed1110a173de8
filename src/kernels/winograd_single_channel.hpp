// Winograd F(2x2, 3x3) for single-channel first layers (28x28x1 -> 32 3x3,
// MNIST's), a body over the vector type S (simd.hpp), built by
// conv_winograd_avx2.cpp and conv_winograd_avx512.cpp.
//
// Why a second Winograd: with one input channel there is no sum over
// channels, so the direct kernel spends 9 FMAs and a store per output vector,
// and each 512-bit store costs about a cycle of the FMA pipes (Zen 5): about
// 80% of peak at best. Here a 2x2 output tile is
//   Y = A^T [U . V] A,  U = G g G^T (per filter), V = B^T d B (per tile)
// and, one channel, each product U.V enters the output transform's first
// stage as a multiply or an FMA: 16 multiplies and 16 adds per output tile
// and filter vector in place of 36 FMAs, and the adds go to their own pipes.
// Vectors run over filters, as everywhere; V is computed for a line of tiles
// at once with vectors over the line and read back one float at a time.
//
// Every output element comes from the same operations in the same order for
// any thread count and either vector width: the same bits.
#pragma once

#ifndef STRIDE_SIMD_TARGET
#error "define STRIDE_SIMD_TARGET before including winograd_single_channel.hpp"
#endif

#include <algorithm>
#include <vector>

#include "kernels/conv.hpp"
#include "kernels/parallel.hpp"
#include "kernels/simd.hpp"
#include "stride/tensor.hpp"

namespace stride::kernels::detail::winograd {
namespace {

// Filters in blocks of 16 on both instruction sets. Up to 128 with AVX-512,
// where it ran 1.4-3.8x faster than the direct kernel on 16 to 128 filters
// (Zen 5, 2 threads); up to 32 with AVX2, whose 16 registers cannot hold U:
// ahead of oneDNN's AVX2 kernel at 32 filters, behind it at 64 on one of
// two shapes. Both builds give the same bits where both take a layer.
constexpr Dim kSingleChannelFilterBlock = 16;

// Ungrouped 2D 3x3 stride-1 convolutions of one input channel; any padding.
template <class S>
bool single_channel_applies(const ConvGeometry& g) {
  const Dim max_filters = S::kLanes == 16 ? 128 : 32;
  return g.groups == 1 && g.in_channels == 1 && g.input[0] == 1 && g.output[0] == 1 &&
         g.kernel[0] == 1 && g.kernel[1] == 3 && g.kernel[2] == 3 && g.strides[1] == 1 &&
         g.strides[2] == 1 && g.dilation[1] == 1 && g.dilation[2] == 1 &&
         g.out_channels % kSingleChannelFilterBlock == 0 && g.out_channels <= max_filters &&
         g.pad_before[1] >= 0 && g.pad_before[2] >= 0;
}

// U = G g G^T for every filter, laid out (16, F): row k = 4*xi + nu.
// G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]. Plain float sums and
// halvings (no product to fuse), so the same bits in every build.
inline void single_channel_kernel_transform(const float* kernel, Dim f_count, float* u) {
  for (Dim f = 0; f < f_count; ++f) {
    float g[3][3], t[4][3];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) g[r][c] = kernel[(r * 3 + c) * f_count + f];
    for (int c = 0; c < 3; ++c) {
      t[0][c] = g[0][c];
      t[1][c] = (g[0][c] + g[1][c] + g[2][c]) * 0.5f;
      t[2][c] = (g[0][c] - g[1][c] + g[2][c]) * 0.5f;
      t[3][c] = g[2][c];
    }
    for (int xi = 0; xi < 4; ++xi) {
      float* row = u + Dim(4 * xi) * f_count + f;
      row[0] = t[xi][0];
      row[f_count] = (t[xi][0] + t[xi][1] + t[xi][2]) * 0.5f;
      row[2 * f_count] = (t[xi][0] - t[xi][1] + t[xi][2]) * 0.5f;
      row[3 * f_count] = t[xi][2];
    }
  }
}

// A line of tiles is taken in chunks of kChunkTiles tiles: a chunk's V is
// 16 rows of kChunkTiles floats, at offsets known when compiling.
constexpr Dim kChunkTiles = 16;

// V = B^T d B for a chunk's tiles: rows[r] is the r-th input row of the line
// (null for a row of padding), `column` the input column of the chunk's
// first window (negative in the left padding; windows start 2 columns
// apart), `width` the input's. v[k * kChunkTiles + t] is value k (4*xi + nu)
// of tile t. Vectors over tiles: the window columns 2t..2t+3 are the even and
// odd lanes of masked loads from the input itself (padding reads as 0).
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1] on both axes.
template <class S>
STRIDE_SIMD_TARGET void single_channel_input_transform(const float* const rows[4], Dim column,
                                                       Dim width, float* v) {
  using V = typename S::V;
  constexpr Dim kLanes = S::kLanes;
  for (Dim t = 0; t < kChunkTiles; t += kLanes) {
    // Loads at columns first + {0, kLanes, 2, 2 + kLanes}: lanes inside the input.
    const Dim first = column + 2 * t;
    const Dim offsets[4] = {0, kLanes, 2, 2 + kLanes};
    typename S::Mask inside[4];
    for (int i = 0; i < 4; ++i) {
      const Dim at = first + offsets[i];
      inside[i] = S::lanes(int(std::clamp<Dim>(-at, 0, kLanes)),
                           int(std::clamp<Dim>(width - at, 0, kLanes)));
    }
    V e[4][4];  // rows transformed along the line: e[r][nu]
    for (int r = 0; r < 4; ++r) {
      V x[4];  // window columns 0..3 of the tiles
      if (rows[r]) {
        V in[4];
        for (int i = 0; i < 4; ++i) in[i] = S::load(rows[r] + first + offsets[i], inside[i]);
        x[0] = S::evens(in[0], in[1]), x[1] = S::odds(in[0], in[1]);
        x[2] = S::evens(in[2], in[3]), x[3] = S::odds(in[2], in[3]);
      } else {
        x[0] = x[1] = x[2] = x[3] = S::zero();
      }
      e[r][0] = S::sub(x[0], x[2]);
      e[r][1] = S::add(x[1], x[2]);
      e[r][2] = S::sub(x[2], x[1]);
      e[r][3] = S::sub(x[1], x[3]);
    }
    for (int nu = 0; nu < 4; ++nu) {
      S::store(v + (0 + nu) * kChunkTiles + t, S::sub(e[0][nu], e[2][nu]));
      S::store(v + (4 + nu) * kChunkTiles + t, S::add(e[1][nu], e[2][nu]));
      S::store(v + (8 + nu) * kChunkTiles + t, S::sub(e[2][nu], e[1][nu]));
      S::store(v + (12 + nu) * kChunkTiles + t, S::sub(e[1][nu], e[3][nu]));
    }
  }
}

// One filter vector over a chunk's tiles: u the 16 U rows at this vector's
// filters (u_stride apart), v the chunk's V, y0/y1 the output's two lines at
// the chunk's first pixel and this vector's filters. The last tile writes
// only its first column when `odd_end`; y1 is null when the output has one
// line left.
template <class S>
STRIDE_SIMD_TARGET void single_channel_tiles(const float* u, Dim u_stride, const float* bias,
                                             const float* v, Dim tile_count, bool odd_end,
                                             Dim f_count, bool relu, float* y0, float* y1) {
  using V = typename S::V;
  V w[16];
  for (int k = 0; k < 16; ++k) w[k] = S::load(u + k * u_stride);
  const V b = bias ? S::load(bias) : S::zero();
  for (Dim t = 0; t < tile_count; ++t) {
    const float* vt = v + t;
    const auto at = [vt](int k) STRIDE_SIMD_TARGET { return S::broadcast(vt + k * kChunkTiles); };
    // T = A^T M (M = U . V, A^T = [1 1 1 0; 0 1 -1 -1]) column by column,
    // each column folded at once into Y = T A: y[i][0] = T[i][0] + T[i][1] +
    // T[i][2], y[i][1] = T[i][1] - T[i][2] - T[i][3].
    V y00, y01, y10, y11;
#pragma GCC unroll 4
    for (int nu = 0; nu < 4; ++nu) {
      // M[1][1] is in all four outputs with weight 1: the bias starts it.
      const V m1 = nu == 1 ? S::fmadd(w[4 + nu], at(4 + nu), b) : S::mul(w[4 + nu], at(4 + nu));
      const V m2 = S::mul(w[8 + nu], at(8 + nu));
      const V t0 = S::fmadd(w[nu], at(nu), S::add(m1, m2));
      const V t1 = S::fnmadd(w[12 + nu], at(12 + nu), S::sub(m1, m2));
      if (nu == 0) {
        y00 = t0, y10 = t1;
      } else if (nu == 1) {
        y00 = S::add(y00, t0), y10 = S::add(y10, t1), y01 = t0, y11 = t1;
      } else if (nu == 2) {
        y00 = S::add(y00, t0), y10 = S::add(y10, t1);
        y01 = S::sub(y01, t0), y11 = S::sub(y11, t1);
      } else {
        y01 = S::sub(y01, t0), y11 = S::sub(y11, t1);
      }
    }
    if (relu) {
      const V zero = S::zero();
      y00 = S::max(y00, zero), y01 = S::max(y01, zero);
      y10 = S::max(y10, zero), y11 = S::max(y11, zero);
    }
    const bool both = !odd_end || t + 1 < tile_count;
    float* at0 = y0 + 2 * t * f_count;
    S::store(at0, y00);
    if (both) S::store(at0 + f_count, y01);
    if (y1) {
      float* at1 = y1 + 2 * t * f_count;
      S::store(at1, y10);
      if (both) S::store(at1 + f_count, y11);
    }
  }
}

// The forward pass, or false where single_channel_applies says no.
template <class S>
bool single_channel_forward(const ConvGeometry& g, const float* input, const float* kernel,
                            const float* bias, bool relu, float* output) {
  if (!single_channel_applies<S>(g)) return false;
  const Dim f_count = g.out_channels, in_h = g.input[1], in_w = g.input[2];
  const Dim out_h = g.output[1], out_w = g.output[2];
  const Dim pad_top = g.pad_before[1], pad_left = g.pad_before[2];
  const Dim tiles_y = (out_h + 1) / 2, tiles_x = (out_w + 1) / 2;
  if (g.batch == 0 || tiles_x == 0 || tiles_y == 0) return true;
  const Dim chunks = (tiles_x + kChunkTiles - 1) / kChunkTiles;

  std::vector<float> u(16 * f_count);
  single_channel_kernel_transform(kernel, f_count, u.data());

  const Dim line_count = g.batch * tiles_y;
  const double line_flops = 2.0 * 9.0 * double(f_count) * 2.0 * double(out_w);
  const Dim grain = std::max<Dim>({1, Dim(5e5 / line_flops), line_count / (8 * num_threads())});
  parallel_for(line_count, grain, [&](Dim first, Dim last) {
    alignas(64) float v[16 * kChunkTiles];
    for (Dim line = first; line < last; ++line) {
      const Dim b = line / tiles_y, ty = line % tiles_y;
      const float* rows[4];
      for (int r = 0; r < 4; ++r) {
        const Dim iy = 2 * ty + r - pad_top;
        rows[r] = iy >= 0 && iy < in_h ? input + (b * in_h + iy) * in_w : nullptr;
      }
      const Dim oy = 2 * ty;
      float* y0 = output + (b * out_h + oy) * out_w * f_count;
      float* y1 = oy + 1 < out_h ? y0 + out_w * f_count : nullptr;
      for (Dim c = 0; c < chunks; ++c) {
        single_channel_input_transform<S>(rows, 2 * c * kChunkTiles - pad_left, in_w, v);
        const Dim first = c * kChunkTiles, n = std::min(kChunkTiles, tiles_x - first);
        const bool odd_end = out_w % 2 == 1 && first + n == tiles_x;
        const Dim offset = 2 * first * f_count;
        for (Dim f = 0; f < f_count; f += S::kLanes)
          single_channel_tiles<S>(u.data() + f, f_count, bias ? bias + f : nullptr, v, n, odd_end,
                                  f_count, relu, y0 + offset + f, y1 ? y1 + offset + f : nullptr);
      }
    }
  });
  return true;
}

}  // namespace
}  // namespace stride::kernels::detail::winograd
