// The Winograd transforms on vectors of S (simd.hpp: Avx2 or Avx512), shared
// by the forward pass and the kernel gradient. A body over S: the including
// file defines STRIDE_SIMD_TARGET to S's target first, and everything here
// has internal linkage, so no code built for one target is shared with
// another (winograd.hpp has the parts that need no vectors).
#pragma once

#ifndef STRIDE_SIMD_TARGET
#error "define STRIDE_SIMD_TARGET before including winograd_simd.hpp"
#endif

#include "kernels/simd.hpp"
#include "kernels/winograd.hpp"

namespace stride::kernels::detail::winograd {
namespace {

// B^T applied to six vectors (one column or row of a 6x6 input block).
template <class S>
STRIDE_SIMD_TARGET inline void input_transform6(const typename S::V d[6], typename S::V r[6]) {
  const auto two = S::set1(2), four = S::set1(4), five = S::set1(5);
  r[0] = S::fmadd(four, d[0], S::fnmadd(five, d[2], d[4]));
  r[1] = S::fnmadd(four, S::add(d[1], d[2]), S::add(d[3], d[4]));
  r[2] = S::fmadd(four, S::sub(d[1], d[2]), S::sub(d[4], d[3]));
  r[3] = S::fmadd(two, S::sub(d[3], d[1]), S::sub(d[4], d[2]));
  r[4] = S::fmadd(two, S::sub(d[1], d[3]), S::sub(d[4], d[2]));
  r[5] = S::fmadd(four, d[1], S::fnmadd(five, d[3], d[5]));
}

// A^T applied to six vectors: four outputs.
template <class S>
STRIDE_SIMD_TARGET inline void output_transform6(const typename S::V m[6], typename S::V o[4]) {
  const auto sum12 = S::add(m[1], m[2]), diff12 = S::sub(m[1], m[2]);
  const auto sum34 = S::add(m[3], m[4]), diff34 = S::sub(m[3], m[4]);
  o[0] = S::add(S::add(m[0], sum12), sum34);
  o[1] = S::fmadd(S::set1(2), diff34, diff12);
  o[2] = S::fmadd(S::set1(4), sum34, sum12);
  o[3] = S::add(S::fmadd(S::set1(8), diff34, diff12), m[5]);
}

// V[xi][slot][c] for tile `tile` (over the whole batch), all channels;
// input positions outside the image read zero.
template <class S>
STRIDE_SIMD_TARGET void transform_input_tile(const WinogradShape& s, const float* input, Dim tile,
                                             Dim slot, const PointLayout& layout, float* v) {
  using V = typename S::V;
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
  for (Dim c = 0; c < s.cin; c += S::kLanes) {
    V columns[6][6];  // B^T d, then B^T d B row by row
    for (int j = 0; j < 6; ++j) {
      V d[6];
      for (int i = 0; i < 6; ++i) d[i] = pixel[i][j] ? S::load(pixel[i][j] + c) : S::zero();
      V r[6];
      input_transform6<S>(d, r);
      for (int i = 0; i < 6; ++i) columns[i][j] = r[i];
    }
    float* to = layout.at(v, 0, slot) + c;
    for (int i = 0; i < 6; ++i) {
      V r[6];
      input_transform6<S>(columns[i], r);
      for (int j = 0; j < 6; ++j) S::store(to + (i * 6 + j) * layout.point, r[j]);
    }
  }
}

}  // namespace
}  // namespace stride::kernels::detail::winograd
