// Winograd F(2x2, 3x3) for single-channel first layers (28x28x1 -> 32 3x3,
// MNIST's), a body over the vector type S (simd.hpp), built by
// conv_winograd_avx2.cpp and conv_winograd_avx512.cpp.
//
// Why a second Winograd: with one input channel there is no sum over
// channels, so the direct kernel spends 9 FMAs and a store per output vector
// and held at about 75% of peak. Here a 2x2 output tile is
//   Y = A^T [U . V] A,  U = G g G^T (per filter), V = B^T d B (per tile)
// and, with one channel, each product U.V enters the output transform's
// first stage as a multiply or an FMA: per tile and filter vector 20
// multiply/FMA instructions and 8 adds (as GCC fuses them) in place of 36
// FMAs. Vectors run over filters, as everywhere; V is computed for a chunk
// of tiles at once with vectors over the tiles and read back one float at a
// time. Bench case (a): 0.186 -> 0.14-0.15 ms (2 threads, Zen 5); with
// AVX-512's 32 filters of a pixel written together (P = 2 below), 1.10-1.18x
// faster again (bench/ab.py).
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

namespace stride::kernels::detail::winograd {
namespace {

// Filters in blocks of 16 on both instruction sets. Up to 128 with AVX-512,
// where it ran 1.3-3.8x faster than the direct kernel on 16 to 128 filters
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

// Lines of tiles go in bands of up to kBandLines consecutive ones of one
// image, which share their input rows (line l reads rows 2l..2l+3) and each
// filter vector's U, loaded once a band; each line in chunks of kChunkTiles
// tiles, whose V is 16 rows of kChunkTiles floats, at offsets known when
// compiling.
constexpr Dim kBandLines = 4, kChunkTiles = 16, kChunkV = 16 * kChunkTiles;

// V = B^T d B for a chunk's tiles on every line of a band: rows[r] is the
// band's r-th input row (null for a row of padding; 2 * lines + 2 of them),
// `column` the input column of the chunk's first window (negative in the
// left padding; windows start 2 columns apart), `width` the input's.
// v[l * kChunkV + k * kChunkTiles + t] is value k (4*xi + nu) of tile t on
// line l. Vectors over tiles: the window columns 2t..2t+3 are the even and
// odd lanes of masked loads from the input itself (padding reads as 0).
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1] on both axes: each row is
// transformed along the line once (e), then lines combine 4 rows of e.
template <class S>
STRIDE_SIMD_TARGET void single_channel_input_transform(const float* const* rows, Dim lines,
                                                       Dim column, Dim width, float* v) {
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
    // Row r transformed along the line: e[nu] = (d_r B)[nu].
    const auto transform_row = [&](Dim r, V* e) STRIDE_SIMD_TARGET {
      V x[4];  // window columns 0..3 of the tiles
      if (rows[r]) {
        V in[4];
        for (int i = 0; i < 4; ++i) in[i] = S::load(rows[r] + first + offsets[i], inside[i]);
        x[0] = S::evens(in[0], in[1]), x[1] = S::odds(in[0], in[1]);
        x[2] = S::evens(in[2], in[3]), x[3] = S::odds(in[2], in[3]);
      } else {
        x[0] = x[1] = x[2] = x[3] = S::zero();
      }
      e[0] = S::sub(x[0], x[2]);
      e[1] = S::add(x[1], x[2]);
      e[2] = S::sub(x[2], x[1]);
      e[3] = S::sub(x[1], x[3]);
    };
    V e[4][4];  // the current line's 4 rows; the last 2 are the next line's first
    transform_row(0, e[0]);
    transform_row(1, e[1]);
    for (Dim l = 0; l < lines; ++l) {
      transform_row(2 * l + 2, e[2]);
      transform_row(2 * l + 3, e[3]);
      float* vl = v + l * kChunkV + t;
      for (int nu = 0; nu < 4; ++nu) {
        S::store(vl + (0 + nu) * kChunkTiles, S::sub(e[0][nu], e[2][nu]));
        S::store(vl + (4 + nu) * kChunkTiles, S::add(e[1][nu], e[2][nu]));
        S::store(vl + (8 + nu) * kChunkTiles, S::sub(e[2][nu], e[1][nu]));
        S::store(vl + (12 + nu) * kChunkTiles, S::sub(e[1][nu], e[3][nu]));
      }
      for (int nu = 0; nu < 4; ++nu) e[0][nu] = e[2][nu], e[1][nu] = e[3][nu];
    }
  }
}

// P filter vectors (P * kLanes consecutive filters) over a chunk's tiles on
// every line of a band: u the 16 U rows at the first vector's filters
// (f_count apart), v the band's V for the chunk, y the output at the band's
// first line, the chunk's first pixel and these filters, line_step the floats
// from one line of tiles to the next (2 output lines). The last tile of a
// line writes only its first column when `odd_end`; the band's last line
// writes only its first output line when `odd_last`. With P = 2 (AVX-512)
// 32 consecutive filters of a pixel (all of them in a 32-filter layer) are
// written together, one 128-byte run, instead of in two passes 64 bytes
// apart; each vector's arithmetic is the same either way.
template <class S, int P>
STRIDE_SIMD_TARGET void single_channel_tiles(const float* u, const float* bias, const float* v,
                                             Dim lines, Dim tile_count, bool odd_end, bool odd_last,
                                             Dim f_count, Dim line_step, bool relu, float* y) {
  using V = typename S::V;
  constexpr Dim kLanes = S::kLanes;
  V w[P][16], b[P];
  for (int p = 0; p < P; ++p) {
    for (int k = 0; k < 16; ++k) w[p][k] = S::load(u + p * kLanes + k * f_count);
    b[p] = bias ? S::load(bias + p * kLanes) : S::zero();
  }
  for (Dim l = 0; l < lines; ++l, v += kChunkV, y += line_step) {
    const bool second_line = !odd_last || l + 1 < lines;
    for (Dim t = 0; t < tile_count; ++t) {
      const float* vt = v + t;
      const auto at = [vt](int k) STRIDE_SIMD_TARGET { return S::broadcast(vt + k * kChunkTiles); };
      // T = A^T M (M = U . V, A^T = [1 1 1 0; 0 1 -1 -1]) column by column,
      // each column folded at once into Y = T A: y[i][0] = T[i][0] + T[i][1] +
      // T[i][2], y[i][1] = T[i][1] - T[i][2] - T[i][3].
      V y00[P], y01[P], y10[P], y11[P];  // set at nu == 0 and 1
#pragma GCC unroll 4
      for (int nu = 0; nu < 4; ++nu) {
        const V a0 = at(nu), a4 = at(4 + nu), a8 = at(8 + nu), a12 = at(12 + nu);
        for (int p = 0; p < P; ++p) {
          // M[1][1] is in all four outputs with weight 1: the bias starts it.
          const V m1 = nu == 1 ? S::fmadd(w[p][4 + nu], a4, b[p]) : S::mul(w[p][4 + nu], a4);
          const V m2 = S::mul(w[p][8 + nu], a8);
          const V t0 = S::fmadd(w[p][nu], a0, S::add(m1, m2));
          const V t1 = S::fnmadd(w[p][12 + nu], a12, S::sub(m1, m2));
          if (nu == 0) {
            y00[p] = t0, y10[p] = t1;
          } else if (nu == 1) {
            y00[p] = S::add(y00[p], t0), y10[p] = S::add(y10[p], t1), y01[p] = t0, y11[p] = t1;
          } else if (nu == 2) {
            y00[p] = S::add(y00[p], t0), y10[p] = S::add(y10[p], t1);
            y01[p] = S::sub(y01[p], t0), y11[p] = S::sub(y11[p], t1);
          } else {
            y01[p] = S::sub(y01[p], t0), y11[p] = S::sub(y11[p], t1);
          }
        }
      }
      if (relu) {
        const V zero = S::zero();
        for (int p = 0; p < P; ++p) {
          y00[p] = S::max(y00[p], zero), y01[p] = S::max(y01[p], zero);
          y10[p] = S::max(y10[p], zero), y11[p] = S::max(y11[p], zero);
        }
      }
      const bool both = !odd_end || t + 1 < tile_count;
      float* at0 = y + 2 * t * f_count;
      for (int p = 0; p < P; ++p) S::store(at0 + p * kLanes, y00[p]);
      if (both)
        for (int p = 0; p < P; ++p) S::store(at0 + f_count + p * kLanes, y01[p]);
      if (second_line) {
        float* at1 = at0 + line_step / 2;
        for (int p = 0; p < P; ++p) S::store(at1 + p * kLanes, y10[p]);
        if (both)
          for (int p = 0; p < P; ++p) S::store(at1 + f_count + p * kLanes, y11[p]);
      }
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

  // Bands of equal size in each image (13 lines: 4 bands of 3 or 4).
  const Dim bands_per_image = (tiles_y + kBandLines - 1) / kBandLines;
  const Dim band_count = g.batch * bands_per_image;
  const double band_flops = 2.0 * 9.0 * double(f_count) * double(out_w) * 2.0 * kBandLines;
  parallel_for(band_count, flop_grain(band_count, band_flops), [&](Dim first, Dim last) {
    alignas(64) float v[kBandLines * kChunkV];
    for (Dim band = first; band < last; ++band) {
      const Dim b = band / bands_per_image, i = band % bands_per_image;
      const Dim ty = i * tiles_y / bands_per_image,
                lines = (i + 1) * tiles_y / bands_per_image - ty;
      const float* rows[2 * kBandLines + 2];
      for (Dim r = 0; r < 2 * lines + 2; ++r) {
        const Dim iy = 2 * ty + r - pad_top;
        rows[r] = iy >= 0 && iy < in_h ? input + (b * in_h + iy) * in_w : nullptr;
      }
      const bool odd_last = 2 * (ty + lines) > out_h;
      float* y = output + (b * out_h + 2 * ty) * out_w * f_count;
      for (Dim c = 0; c < chunks; ++c) {
        single_channel_input_transform<S>(rows, lines, 2 * c * kChunkTiles - pad_left, in_w, v);
        const Dim first_tile = c * kChunkTiles, n = std::min(kChunkTiles, tiles_x - first_tile);
        const bool odd_end = out_w % 2 == 1 && first_tile + n == tiles_x;
        float* y_chunk = y + 2 * first_tile * f_count;
        // Pairs of vectors with AVX-512: its 32 registers hold one U and
        // most of the work; the other U is read from the stack. AVX2's 16
        // would spill the accumulators.
        Dim f = 0;
        if constexpr (S::kLanes == 16)
          for (; f + 2 * S::kLanes <= f_count; f += 2 * S::kLanes)
            single_channel_tiles<S, 2>(u.data() + f, bias ? bias + f : nullptr, v, lines, n,
                                       odd_end, odd_last, f_count, 2 * out_w * f_count, relu,
                                       y_chunk + f);
        for (; f < f_count; f += S::kLanes)
          single_channel_tiles<S, 1>(u.data() + f, bias ? bias + f : nullptr, v, lines, n, odd_end,
                                     odd_last, f_count, 2 * out_w * f_count, relu, y_chunk + f);
      }
    }
  });
  return true;
}

}  // namespace
}  // namespace stride::kernels::detail::winograd
