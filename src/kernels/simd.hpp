// The vector types that the kernels written once for several instruction sets
// are written over: Avx2 (8 floats in a ymm register, FMA) and Avx512 (16 in
// a zmm). Each has the same few static functions, always inlined, marked with
// its target; a kernel's body is a template over one of them whose functions
// carry STRIDE_SIMD_TARGET, which the including file defines to its target
// before including the body (conv_winograd_avx2.cpp, ..._avx512.cpp). The
// per-element arithmetic is the same in both, so both give the same bits.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/internal.hpp"

#define STRIDE_TARGET_AVX512 __attribute__((target("avx2,fma,avx512f,avx512vl,avx512dq,avx512bw")))

namespace stride::kernels::detail::simd {

#define STRIDE_VEC_FN(target) static inline __attribute__((always_inline)) target

struct Avx2 {
  using V = __m256;
  static constexpr int kLanes = 8;
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V zero() { return _mm256_setzero_ps(); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V set1(float x) { return _mm256_set1_ps(x); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V load(const float* p) { return _mm256_loadu_ps(p); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V broadcast(const float* p) {
    return _mm256_broadcast_ss(p);
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V add(V a, V b) { return _mm256_add_ps(a, b); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V max(V a, V b) { return _mm256_max_ps(a, b); }
  // Lanes 0, 2, 4, ... (evens) or 1, 3, 5, ... (odds) of a and b end to end.
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V evens(V a, V b) {
    const __m256 in_halves = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(in_halves), _MM_SHUFFLE(3, 1, 2, 0)));
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V odds(V a, V b) {
    const __m256 in_halves = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(in_halves), _MM_SHUFFLE(3, 1, 2, 0)));
  }
  // a * b + c and c - a * b, each rounded once.
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V fnmadd(V a, V b, V c) {
    return _mm256_fnmadd_ps(a, b, c);
  }
  // The first n lanes (0 <= n <= kLanes), for loads and stores of a tail.
  using Mask = __m256i;
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) Mask first_lanes(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  // Lanes [lo, hi) (0 <= lo, hi <= kLanes).
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) Mask lanes(int lo, int hi) {
    return _mm256_andnot_si256(first_lanes(lo), first_lanes(hi));
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V load(const float* p, Mask m) {
    return _mm256_maskload_ps(p, m);
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) void store(float* p, Mask m, V v) {
    _mm256_maskstore_ps(p, m, v);
  }
  // Lane-wise comparisons (false where a NaN takes part) and selections by
  // them; int lanes for indices, narrowed to bytes on store (values 0..255).
  using Cmp = __m256;
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) Cmp greater(V a, V b) {
    return _mm256_cmp_ps(a, b, _CMP_GT_OQ);
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) Cmp ordered(V a) { return _mm256_cmp_ps(a, a, _CMP_ORD_Q); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) Cmp either(Cmp a, Cmp b) { return _mm256_or_ps(a, b); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) Cmp none() { return _mm256_setzero_ps(); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) V select(Cmp m, V if_false, V if_true) {
    return _mm256_blendv_ps(if_false, if_true, m);
  }
  using I = __m256i;
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) I iset1(int x) { return _mm256_set1_epi32(x); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) I iselect(Cmp m, I if_false, I if_true) {
    return _mm256_castps_si256(
        _mm256_blendv_ps(_mm256_castsi256_ps(if_false), _mm256_castsi256_ps(if_true), m));
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX2_FMA) void store_bytes(std::uint8_t* p, I v) {
    const __m128i words =
        _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packus_epi16(words, words));
  }
};

struct Avx512 {
  using V = __m512;
  static constexpr int kLanes = 16;
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V zero() { return _mm512_setzero_ps(); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V set1(float x) { return _mm512_set1_ps(x); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V load(const float* p) { return _mm512_loadu_ps(p); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V broadcast(const float* p) { return _mm512_set1_ps(*p); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V add(V a, V b) { return _mm512_add_ps(a, b); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  // All lanes selected: _mm512_max_ps's undefined pass-through makes GCC 12
  // warn of an uninitialized value. As AVX2's, a NaN in either gives b.
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V max(V a, V b) {
    return _mm512_mask_max_ps(a, __mmask16(0xFFFF), a, b);
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V evens(V a, V b) {
    const __m512i even =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(a, even, b);
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V odds(V a, V b) {
    const __m512i odd =
        _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    return _mm512_permutex2var_ps(a, odd, b);
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V fnmadd(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
  using Mask = __mmask16;
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) Mask first_lanes(int n) { return Mask((1u << n) - 1u); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) Mask lanes(int lo, int hi) {
    return Mask(((1u << hi) - 1u) & ~((1u << lo) - 1u));
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V load(const float* p, Mask m) {
    return _mm512_maskz_loadu_ps(m, p);
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) void store(float* p, Mask m, V v) {
    _mm512_mask_storeu_ps(p, m, v);
  }
  using Cmp = __mmask16;
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) Cmp greater(V a, V b) {
    return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ);
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) Cmp ordered(V a) {
    return _mm512_cmp_ps_mask(a, a, _CMP_ORD_Q);
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) Cmp either(Cmp a, Cmp b) { return Cmp(a | b); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) Cmp none() { return 0; }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) V select(Cmp m, V if_false, V if_true) {
    return _mm512_mask_blend_ps(m, if_false, if_true);
  }
  using I = __m512i;
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) I iset1(int x) { return _mm512_set1_epi32(x); }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) I iselect(Cmp m, I if_false, I if_true) {
    return _mm512_mask_blend_epi32(m, if_false, if_true);
  }
  STRIDE_VEC_FN(STRIDE_TARGET_AVX512) void store_bytes(std::uint8_t* p, I v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                     _mm512_maskz_cvtepi32_epi8(__mmask16(0xFFFF), v));
  }
};

#undef STRIDE_VEC_FN

}  // namespace stride::kernels::detail::simd
