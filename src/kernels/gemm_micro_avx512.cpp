// The AVX-512 micro-kernel, 12 x 32: 24 zmm accumulators (two 512-bit FMA
// units with a 4-cycle latency need at least 8 in flight), two B vectors and
// one broadcast A value: 27 of the 32 registers. Compiled with -mavx512f
// (CMakeLists.txt); runs only where the CPU has it (gemm_micro.cpp checks).
// The tile loop is the one the AVX2 and portable kernels use and the tests
// check on every machine; only these few wrappers are AVX-512's own.
#include <immintrin.h>

#include "kernels/gemm_micro.hpp"
#include "kernels/gemm_micro_tile.hpp"

namespace stride::kernels::detail {
namespace {

struct Avx512 {
  using Type = __m512;
  static constexpr int kWidth = 16;
  static Type zero() { return _mm512_setzero_ps(); }
  static Type load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, Type v) { _mm512_storeu_ps(p, v); }
  static Type broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static Type fma(Type a, Type b, Type c) { return _mm512_fmadd_ps(a, b, c); }
  static Type add(Type a, Type b) { return _mm512_add_ps(a, b); }
};

}  // namespace

const MicroKernel& avx512_micro_kernel() {
  static const MicroKernel kernel{"avx512", 12, 32, micro_tile<Avx512, 12, 2>};
  return kernel;
}

}  // namespace stride::kernels::detail
