// The AVX2+FMA micro-kernel, 6 x 16: 12 ymm accumulators, two B vectors and
// one broadcast A value fill 15 of the 16 registers. This file alone is
// compiled with -mavx2 -mfma (CMakeLists.txt); it runs only where the CPU
// has both (gemm_micro.cpp checks).
#include <immintrin.h>

#include "kernels/gemm_micro.hpp"
#include "kernels/gemm_micro_tile.hpp"

namespace stride::kernels::detail {
namespace {

struct Avx2 {
  using Type = __m256;
  static constexpr int kWidth = 8;
  static Type zero() { return _mm256_setzero_ps(); }
  static Type load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, Type v) { _mm256_storeu_ps(p, v); }
  static Type broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static Type fma(Type a, Type b, Type c) { return _mm256_fmadd_ps(a, b, c); }
  static Type add(Type a, Type b) { return _mm256_add_ps(a, b); }
};

}  // namespace

const MicroKernel& avx2_micro_kernel() {
  static const MicroKernel kernel{"avx2", 6, 16, micro_tile<Avx2, 6, 2>};
  return kernel;
}

}  // namespace stride::kernels::detail
