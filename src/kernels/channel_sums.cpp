// Per-channel sums over many rows (bias gradients), in parallel and the same
// for every thread count.
#include <algorithm>
#include <vector>

#include "kernels/internal.hpp"
#include "kernels/parallel.hpp"

namespace stride::kernels::detail {

namespace {

// About 128 KiB of rows per chunk (it stays in L2 for the channel blocks).
Dim chunk_rows(Dim channels) {
  return std::max<Dim>(1, (Dim{1} << 15) / std::max<Dim>(1, channels));
}

}  // namespace

void add_rows(const float* rows, Dim count, Dim channels, double* sums) {
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
