// The register-tile micro-kernels of the blocked gemm: the only code that
// depends on the instruction set, so tuning for a CPU happens here.
#pragma once

#include <vector>

#include "kernels/gemm.hpp"
#include "stride/shape.hpp"

namespace stride::kernels::detail {

// Computes one mr x nr tile of C from packed panels:
//   c[i*ldc + j] (+)= sum_p a_panel[p*mr + i] * b_panel[p*nr + j],
// adding to the old c when `add`, overwriting it otherwise. The panels hold
// kc steps each, zero-padded to the full tile.
inline constexpr Dim kMaxTileFloats = 12 * 32;  // mr * nr of every micro-kernel is at most this

struct MicroKernel {
  const char* name;  // the instruction set: "avx512", "avx2", "portable"
  Dim mr, nr;
  void (*run)(Dim kc, const float* a_panel, const float* b_panel, float* c, Dim ldc, bool add);
};

// The best micro-kernel this CPU supports (chosen once, at first use).
const MicroKernel& best_micro_kernel();

// The portable micro-kernel, used where nothing better is available and by
// tests to cover it on every machine.
const MicroKernel& portable_micro_kernel();
// Every micro-kernel this CPU can run, best first (tests check each one).
std::vector<const MicroKernel*> supported_micro_kernels();

#ifdef STRIDE_X86_KERNELS
// The x86 kernels (gemm_micro_avx2.cpp, gemm_micro_avx512.cpp): call only
// where the CPU supports them.
const MicroKernel& avx2_micro_kernel();
const MicroKernel& avx512_micro_kernel();
// Whether this CPU runs AVX2 with FMA (asked once; for the other AVX2 kernels too).
bool cpu_has_avx2_fma();
// Whether it runs AVX-512 F, VL, DQ and BW (simd.hpp's Avx512 target).
bool cpu_has_avx512();
#endif

}  // namespace stride::kernels::detail

namespace stride::kernels::detail {

// The blocked gemm (gemm.hpp's fast path) driven by a given micro-kernel.
void gemm_blocked(const MicroKernel& micro, Dim m, Dim n, Dim k, const float* a, Dim lda,
                  const float* b, Dim ldb, float* c, Dim ldc, bool accumulate);
void gemm_blocked(const MicroKernel& micro, Transpose ta, Transpose tb, Dim m, Dim n, Dim k,
                  const float* a, Dim lda, const float* b, Dim ldb, float* c, Dim ldc,
                  bool accumulate);

}  // namespace stride::kernels::detail
