// The register tile of the blocked gemm, written once for every instruction
// set: a Vec type supplies zero/load/store/broadcast/fma/add on W floats, and
// micro_tile<Vec, MR, NV> computes an MR x (NV*W) tile from packed panels
// (see gemm_micro.hpp). Each instruction set's .cpp includes this in its own
// translation unit, compiled for that target; everything here has internal
// linkage so that no code built for one target is shared with another.
#pragma once

#include "stride/shape.hpp"

namespace stride::kernels::detail {
namespace {

// The loops are unrolled explicitly: without the pragmas GCC 12 kept the
// accumulators in memory and stored them to the stack on every step of p.
template <class Vec, int kMr, int kNrVecs>
void micro_tile(Dim kc, const float* a, const float* b, float* c, Dim ldc, bool add) {
  constexpr int kW = Vec::kWidth, kNr = kNrVecs * kW;
  typename Vec::Type acc[kMr][kNrVecs];
#pragma GCC unroll 16
  for (int i = 0; i < kMr; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < kNrVecs; ++v) acc[i][v] = Vec::zero();
  for (Dim p = 0; p < kc; ++p, a += kMr, b += kNr) {
    typename Vec::Type bv[kNrVecs];
#pragma GCC unroll 4
    for (int v = 0; v < kNrVecs; ++v) bv[v] = Vec::load(b + v * kW);
#pragma GCC unroll 16
    for (int i = 0; i < kMr; ++i) {
      const typename Vec::Type ai = Vec::broadcast(a + i);
#pragma GCC unroll 4
      for (int v = 0; v < kNrVecs; ++v) acc[i][v] = Vec::fma(ai, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < kMr; ++i) {
    float* row = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < kNrVecs; ++v) {
      if (add) acc[i][v] = Vec::add(acc[i][v], Vec::load(row + v * kW));
      Vec::store(row + v * kW, acc[i][v]);
    }
  }
}

}  // namespace
}  // namespace stride::kernels::detail
