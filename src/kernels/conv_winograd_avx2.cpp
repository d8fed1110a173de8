// 3x3 stride-1 convolutions by Winograd's minimal filtering F(4x4, 3x3)
// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016),
// AVX2+FMA. Each 4x4 block of output pixels ("tile") reads a 6x6 block of
// input; with the transforms
//   V = B^T d B (input, 6x6),  U = G g G^T (kernel, 6x6),  Y = A^T M A (4x4)
// the tile's output is Y with M[xi] = sum over c of V[xi, c] * U[xi, c, f]
// for each of the 36 positions xi: 36 products per 16 outputs instead of
// 144, so a 4x4 tile costs 36/144 = 1/4 of the direct kernel's
// multiply-adds, plus the transforms (a few percent where channels are
// many). The products are 36 small gemms (tiles x Cin) x (Cin x Cout),
// taken a block of tiles at a time so that V and M stay in L2.
//
// Rounding: the transforms' constants (up to 8 and 1/24) make the error a
// few times the direct sum's; tests/kernels/conv_winograd_test.cpp bounds
// it. Each tile is computed whole by one thread: the same bits for every
// thread count.
#include <algorithm>
#include <vector>

#include "kernels/parallel.hpp"
#include "kernels/winograd_avx2.hpp"
#include "stride/parallel.hpp"

namespace stride::kernels::detail {
namespace winograd {

bool winograd_shape(const ConvGeometry& g, WinogradShape& s) {
  const bool plain_3x3 = g.groups == 1 && g.input[0] == 1 && g.output[0] == 1 &&
                         g.kernel == Spatial{1, 3, 3} && g.strides == Spatial{1, 1, 1} &&
                         g.dilation == Spatial{1, 1, 1} && g.pad_before[0] == 0;
  s = WinogradShape{g.batch,         g.input[1],      g.input[2],    g.output[1],   g.output[2],
                    g.pad_before[1], g.pad_before[2], g.in_channels, g.out_channels};
  s.tiles_h = (s.out_h + 3) / 4;
  s.tiles_w = (s.out_w + 3) / 4;
  s.tiles = s.tiles_h * s.tiles_w;
  return plain_3x3 && s.cin % kLanes == 0 && s.cin >= 16 && s.cout % kLanes == 0 && s.cout >= 16 &&
         s.batch * s.tiles >= kMinTiles;
}

STRIDE_TARGET_AVX2_FMA void transform_input_tile(const WinogradShape& s, const float* input,
                                                 Dim tile, Dim slot, const PointLayout& layout,
                                                 float* v) {
  const Dim b = tile / s.tiles, ty = tile % s.tiles / s.tiles_w, tx = tile % s.tiles_w;
  const Dim y0 = ty * 4 - s.pad_top, x0 = tx * 4 - s.pad_left;
  const float* image = input + b * s.in_h * s.in_w * s.cin;
  const float* pixel[6][6];  // nullptr: outside the image
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) {
      const Dim y = y0 + i, x = x0 + j;
      pixel[i][j] =
          inside(y, s.in_h) && inside(x, s.in_w) ? image + (y * s.in_w + x) * s.cin : nullptr;
    }
  for (Dim c = 0; c < s.cin; c += kLanes) {
    __m256 columns[6][6];  // B^T d, then B^T d B row by row
    for (int j = 0; j < 6; ++j) {
      __m256 d[6];
      for (int i = 0; i < 6; ++i)
        d[i] = pixel[i][j] ? _mm256_loadu_ps(pixel[i][j] + c) : _mm256_setzero_ps();
      __m256 r[6];
      input_transform6(d, r);
      for (int i = 0; i < 6; ++i) columns[i][j] = r[i];
    }
    float* to = layout.at(v, 0, slot) + c;
    for (int i = 0; i < 6; ++i) {
      __m256 r[6];
      input_transform6(columns[i], r);
      for (int j = 0; j < 6; ++j) _mm256_storeu_ps(to + (i * 6 + j) * layout.point, r[j]);
    }
  }
}

}  // namespace winograd

namespace {

using namespace winograd;

// U = G g G^T for every (c, f), in double, stored as U[xi][c][f]. g is
// K[kh][kw][c][f] (forward), or with `flip_swap` the kernel of the input
// gradient: g'[kh][kw][c][f] = K[2-kh][2-kw][f][c].
void transform_kernel(const float* kernel, Dim cin, Dim cout, bool flip_swap, float* u) {
  constexpr double G[6][3] = {{1.0 / 4, 0, 0},
                              {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                              {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                              {1.0 / 24, 1.0 / 12, 1.0 / 6},
                              {1.0 / 24, -1.0 / 12, 1.0 / 6},
                              {0, 0, 1}};
  parallel_for(cin, 8, [&](Dim c_begin, Dim c_end) {
    for (Dim c = c_begin; c < c_end; ++c) {
      for (Dim f = 0; f < cout; ++f) {
        double g[3][3];
        for (int kh = 0; kh < 3; ++kh)
          for (int kw = 0; kw < 3; ++kw)
            g[kh][kw] = flip_swap ? kernel[((2 - kh) * 3 + (2 - kw)) * cin * cout + f * cin + c]
                                  : kernel[(kh * 3 + kw) * cin * cout + c * cout + f];
        double gg[6][3];  // G g
        for (int i = 0; i < 6; ++i)
          for (int j = 0; j < 3; ++j)
            gg[i][j] = G[i][0] * g[0][j] + G[i][1] * g[1][j] + G[i][2] * g[2][j];
        for (int i = 0; i < 6; ++i)
          for (int j = 0; j < 6; ++j)
            u[((i * 6 + j) * cin + c) * cout + f] =
                float(gg[i][0] * G[j][0] + gg[i][1] * G[j][1] + gg[i][2] * G[j][2]);
      }
    }
  });
}

// M[xi][slot0 + i][f0 ...] = sum over c of V[xi][slot0 + i][c] * U[xi][c][f0 ...]
// for six slots and 8*NV filters (v and m point at slot0's rows, which are
// v_rows and m_rows floats apart).
template <int NV>
STRIDE_TARGET_AVX2_FMA void gemm_tile(const float* v, Dim v_rows, Dim cin, const float* u, Dim cout,
                                      float* m, Dim m_rows) {
  __m256 acc[kTileRows][NV];
#pragma GCC unroll 8
  for (int i = 0; i < kTileRows; ++i)
#pragma GCC unroll 2
    for (int n = 0; n < NV; ++n) acc[i][n] = _mm256_setzero_ps();
  for (Dim c = 0; c < cin; ++c, u += cout) {
    __m256 w[NV];
#pragma GCC unroll 2
    for (int n = 0; n < NV; ++n) w[n] = _mm256_loadu_ps(u + n * kLanes);
#pragma GCC unroll 8
    for (int i = 0; i < kTileRows; ++i) {
      const __m256 x = _mm256_broadcast_ss(v + i * v_rows + c);
#pragma GCC unroll 2
      for (int n = 0; n < NV; ++n) acc[i][n] = _mm256_fmadd_ps(x, w[n], acc[i][n]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < kTileRows; ++i)
#pragma GCC unroll 2
    for (int n = 0; n < NV; ++n) _mm256_storeu_ps(m + i * m_rows + n * kLanes, acc[i][n]);
}

// Y = A^T M A for tile `tile` (M[xi][slot][f]), plus bias, relu, stored
// where the tile's pixels are inside the output.
STRIDE_TARGET_AVX2_FMA void transform_output_tile(const WinogradShape& s, const float* m, Dim tile,
                                                  Dim slot, const PointLayout& layout,
                                                  const float* bias, bool relu, float* output) {
  const Dim b = tile / s.tiles, ty = tile % s.tiles / s.tiles_w, tx = tile % s.tiles_w;
  const int rows = int(std::min<Dim>(4, s.out_h - ty * 4));
  const int cols = int(std::min<Dim>(4, s.out_w - tx * 4));
  float* corner = output + ((b * s.out_h + ty * 4) * s.out_w + tx * 4) * s.cout;
  const __m256 zero = _mm256_setzero_ps();
  for (Dim f = 0; f < s.cout; f += kLanes) {
    const float* from = layout.at(m, 0, slot) + f;
    __m256 half[6][4];  // M A, row by row
    for (int i = 0; i < 6; ++i) {
      __m256 row[6];
      for (int j = 0; j < 6; ++j) row[j] = _mm256_loadu_ps(from + (i * 6 + j) * layout.point);
      output_transform6(row, half[i]);
    }
    const __m256 start = bias ? _mm256_loadu_ps(bias + f) : zero;
    for (int x = 0; x < cols; ++x) {
      __m256 column[6], y[4];
      for (int i = 0; i < 6; ++i) column[i] = half[i][x];
      output_transform6(column, y);
      for (int r = 0; r < rows; ++r) {
        __m256 out = _mm256_add_ps(y[r], start);
        if (relu) out = _mm256_max_ps(out, zero);
        _mm256_storeu_ps(corner + (r * s.out_w + x) * s.cout + f, out);
      }
    }
  }
}

// One block of tiles [first, first + count): transform, 36 gemms, transform.
STRIDE_TARGET_AVX2_FMA void run_block(const WinogradShape& s, const float* input, const float* u,
                                      const float* bias, bool relu, Dim first, Dim count, Dim block,
                                      float* v, float* m, float* output) {
  const Dim rows = (count + kTileRows - 1) / kTileRows * kTileRows;
  const PointLayout v_layout = point_major(block, s.cin), m_layout = point_major(block, s.cout);
  for (Dim t = 0; t < count; ++t) transform_input_tile(s, input, first + t, t, v_layout, v);
  for (int xi = 0; xi < kPoints; ++xi)  // rows past `count` are zero: their M is never read
    for (Dim t = count; t < rows; ++t) std::fill_n(v_layout.at(v, xi, t), s.cin, 0.0f);
  for (int xi = 0; xi < kPoints; ++xi) {
    const float* u_xi = u + xi * s.cin * s.cout;
    for (Dim f = 0; f < s.cout; f += 2 * kLanes) {
      const bool wide = s.cout - f >= 2 * kLanes;
      for (Dim r = 0; r < rows; r += kTileRows) {
        const float* a = v_layout.at(v, xi, r);
        float* c = m_layout.at(m, xi, r) + f;
        wide ? gemm_tile<2>(a, v_layout.slot_stride, s.cin, u_xi + f, s.cout, c,
                            m_layout.slot_stride)
             : gemm_tile<1>(a, v_layout.slot_stride, s.cin, u_xi + f, s.cout, c,
                            m_layout.slot_stride);
      }
    }
  }
  for (Dim t = 0; t < count; ++t)
    transform_output_tile(s, m, first + t, t, m_layout, bias, relu, output);
}

}  // namespace

bool conv_winograd_avx2(const ConvGeometry& g, const float* input, const float* kernel,
                        bool flip_swap, const float* bias, bool relu, float* output) {
  WinogradShape s;
  if (!winograd_shape(g, s)) return false;
  const Dim all_tiles = s.batch * s.tiles;

  std::vector<float> u(std::size_t(kPoints) * s.cin * s.cout);
  transform_kernel(kernel, s.cin, s.cout, flip_swap, u.data());
  // V and M of a block stay in L2 (512 KiB on the machines measured).
  const Dim block = s.block_tiles(200 * 1024, 8 * kTileRows),
            block_count = (all_tiles + block - 1) / block;
  const float* u_all = u.data();
  parallel_for(block_count, 1, [&](Dim first_block, Dim last_block) {
    thread_local std::vector<float> scratch;
    const std::size_t v_size = point_major(block, s.cin).floats;
    scratch.resize(std::max(scratch.size(), v_size + point_major(block, s.cout).floats));
    for (Dim k = first_block; k < last_block; ++k) {
      const Dim first = k * block, count = std::min(block, all_tiles - first);
      run_block(s, input, u_all, bias, relu, first, count, block, scratch.data(),
                scratch.data() + v_size, output);
    }
  });
  return true;
}

}  // namespace stride::kernels::detail
