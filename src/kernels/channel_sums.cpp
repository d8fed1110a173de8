// Per-channel sums over many rows (bias gradients), in parallel and the same
// for every thread count.
#include <algorithm>
#include <vector>

#include "kernels/internal.hpp"
#include "kernels/parallel.hpp"
#ifdef STRIDE_X86_KERNELS
#include "kernels/gemm_micro.hpp"
#include "kernels/simd.hpp"
#endif

namespace stride::kernels::detail {

namespace {

// About 128 KiB of rows per chunk (it stays in L2 for the channel blocks).
Dim chunk_rows(Dim channels) {
  return std::max<Dim>(1, (Dim{1} << 15) / std::max<Dim>(1, channels));
}

#ifdef STRIDE_X86_KERNELS
// Eight floats widened to doubles (all lanes selected: the unmasked form's
// undefined pass-through makes GCC 12 warn of an uninitialized value).
STRIDE_TARGET_AVX512 inline __m512d widen(const float* p) {
  return _mm512_maskz_cvtps_pd(__mmask8(0xFF), _mm256_loadu_ps(p));
}

// add_rows for channel counts in multiples of 16, AVX-512: the rows taken
// four at a time into four sums per channel (8 chains of additions in
// flight, where one sum per channel waited on the adder's latency every row),
// added in a fixed order at the end. The order is fixed by the data, so the
// sums are the same for every thread count.
STRIDE_TARGET_AVX512 void add_rows_avx512(const float* rows, Dim count, Dim channels,
                                          double* sums) {
  for (Dim c0 = 0; c0 < channels; c0 += 16) {
    __m512d acc[4][2];
    for (auto& a : acc) a[0] = a[1] = _mm512_setzero_pd();
    const float* row = rows + c0;
    Dim r = 0;
    for (; r + 4 <= count; r += 4, row += 4 * channels)
      for (int u = 0; u < 4; ++u)
        for (int h = 0; h < 2; ++h)
          acc[u][h] = _mm512_add_pd(acc[u][h], widen(row + u * channels + 8 * h));
    for (; r < count; ++r, row += channels)
      for (int h = 0; h < 2; ++h) acc[0][h] = _mm512_add_pd(acc[0][h], widen(row + 8 * h));
    for (int h = 0; h < 2; ++h) {
      const __m512d total =
          _mm512_add_pd(_mm512_add_pd(acc[0][h], acc[1][h]), _mm512_add_pd(acc[2][h], acc[3][h]));
      _mm512_storeu_pd(sums + c0 + 8 * h, _mm512_add_pd(_mm512_loadu_pd(sums + c0 + 8 * h), total));
    }
  }
}
#endif

}  // namespace

void add_rows(const float* rows, Dim count, Dim channels, double* sums) {
#ifdef STRIDE_X86_KERNELS
  if (channels % 16 == 0 && avx512_kernels()) return add_rows_avx512(rows, count, channels, sums);
#endif
  // Blocks of 16 channels summed in registers over the rows.
  constexpr Dim kBlock = 16;
  for (Dim c0 = 0; c0 < channels; c0 += kBlock) {
    const Dim width = std::min(kBlock, channels - c0);
    double sum[kBlock] = {};
    const float* row = rows + c0;
    if (width == kBlock) {  // a fixed trip count, so the loop vectorizes
      for (Dim r = 0; r < count; ++r, row += channels)
        for (Dim c = 0; c < kBlock; ++c) sum[c] += row[c];
    } else {
      for (Dim r = 0; r < count; ++r, row += channels)
        for (Dim c = 0; c < width; ++c) sum[c] += row[c];
    }
    for (Dim c = 0; c < width; ++c) sums[c0 + c] += sum[c];
  }
}

void chunked_channel_sums(Dim count, Dim channels, float* out,
                          const std::function<void(Dim, Dim, double*)>& visit) {
  const Dim rows = chunk_rows(channels);
  const Dim chunks = (count + rows - 1) / rows;
  std::vector<double> partial(chunks * channels, 0.0);
  parallel_for(chunks, 1, [&](Dim first, Dim last) {
    for (Dim k = first; k < last; ++k)
      visit(k * rows, std::min(count, (k + 1) * rows), partial.data() + k * channels);
  });
  for (Dim c = 0; c < channels; ++c) {
    double sum = 0.0;
    for (Dim k = 0; k < chunks; ++k) sum += partial[k * channels + c];
    out[c] = float(sum);
  }
}

void sum_rows(const float* rows, Dim count, Dim channels, float* out) {
  chunked_channel_sums(count, channels, out, [&](Dim first, Dim last, double* sums) {
    add_rows(rows + first * channels, last - first, channels, sums);
  });
}

}  // namespace stride::kernels::detail
