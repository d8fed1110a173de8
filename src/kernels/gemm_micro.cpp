// Micro-kernels for the blocked gemm (see gemm_micro.hpp). The AVX2+FMA one
// is compiled for that target alone and picked at run time, so the library
// itself needs no -march flag.
#include "kernels/gemm_micro.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define STRIDE_HAVE_AVX2_KERNEL 1
#endif

namespace stride::kernels::detail {

namespace {

// Plain loops over a small tile; the compiler keeps `acc` in registers.
template <int kMr, int kNr>
void micro_portable(Dim kc, const float* a, const float* b, float* c, Dim ldc, bool add) {
  float acc[kMr][kNr] = {};
  for (Dim p = 0; p < kc; ++p, a += kMr, b += kNr) {
    for (int i = 0; i < kMr; ++i) {
      for (int j = 0; j < kNr; ++j) acc[i][j] += a[i] * b[j];
    }
  }
  for (int i = 0; i < kMr; ++i) {
    float* row = c + i * ldc;
    for (int j = 0; j < kNr; ++j) row[j] = add ? row[j] + acc[i][j] : acc[i][j];
  }
}

#ifdef STRIDE_HAVE_AVX2_KERNEL
// 6 rows x 16 columns: 12 accumulators, two B vectors and one broadcast A
// value fill 15 of the 16 ymm registers.
__attribute__((target("avx2,fma"))) void micro_avx2_6x16(Dim kc, const float* a, const float* b,
                                                         float* c, Dim ldc, bool add) {
  __m256 acc[6][2];
  for (auto& row : acc) row[0] = row[1] = _mm256_setzero_ps();
  for (Dim p = 0; p < kc; ++p, a += 6, b += 16) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    for (int i = 0; i < 6; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  for (int i = 0; i < 6; ++i) {
    float* row = c + i * ldc;
    if (add) {
      acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_loadu_ps(row));
      acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_loadu_ps(row + 8));
    }
    _mm256_storeu_ps(row, acc[i][0]);
    _mm256_storeu_ps(row + 8, acc[i][1]);
  }
}

bool cpu_has_avx2_fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

}  // namespace

const MicroKernel& portable_micro_kernel() {
  static const MicroKernel kernel{4, 8, micro_portable<4, 8>};
  return kernel;
}

const MicroKernel& best_micro_kernel() {
#ifdef STRIDE_HAVE_AVX2_KERNEL
  static const MicroKernel avx2{6, 16, micro_avx2_6x16};
  static const bool use_avx2 = cpu_has_avx2_fma();
  if (use_avx2) return avx2;
#endif
  return portable_micro_kernel();
}

}  // namespace stride::kernels::detail
