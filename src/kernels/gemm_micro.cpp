// Choosing the gemm micro-kernel (see gemm_micro.hpp). The instruction-set
// kernels live in their own files, compiled for their targets alone, so the
// library itself needs no -march flag; this file asks the CPU what it has.
#include "kernels/gemm_micro.hpp"

#include "kernels/gemm_micro_tile.hpp"

namespace stride::kernels::detail {

namespace {

// One float per "vector": the tile loop in plain C++.
struct Scalar {
  using Type = float;
  static constexpr int kWidth = 1;
  static float zero() { return 0.0f; }
  static float load(const float* p) { return *p; }
  static void store(float* p, float v) { *p = v; }
  static float broadcast(const float* p) { return *p; }
  static float fma(float a, float b, float c) { return c + a * b; }
  static float add(float a, float b) { return a + b; }
};

#ifdef STRIDE_X86_KERNELS
bool cpu_has_avx512f() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

#endif

}  // namespace

#ifdef STRIDE_X86_KERNELS
bool cpu_has_avx2_fma() {
  __builtin_cpu_init();
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

bool cpu_has_avx512() {
  __builtin_cpu_init();
  static const bool has = cpu_has_avx2_fma() && cpu_has_avx512f() &&
                          __builtin_cpu_supports("avx512vl") &&
                          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
  return has;
}
#endif

const MicroKernel& portable_micro_kernel() {
  static const MicroKernel kernel{"portable", 4, 8, micro_tile<Scalar, 4, 8>};
  return kernel;
}

std::vector<const MicroKernel*> supported_micro_kernels() {
  std::vector<const MicroKernel*> kernels;
#ifdef STRIDE_X86_KERNELS
  if (cpu_has_avx512f()) kernels.push_back(&avx512_micro_kernel());
  if (cpu_has_avx2_fma()) kernels.push_back(&avx2_micro_kernel());
#endif
  kernels.push_back(&portable_micro_kernel());
  return kernels;
}

const MicroKernel& best_micro_kernel() {
  static const MicroKernel* const best = supported_micro_kernels().front();
  return *best;
}

}  // namespace stride::kernels::detail
