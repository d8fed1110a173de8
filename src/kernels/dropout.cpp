#include "kernels/dropout.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "kernels/parallel.hpp"
#include "stride/random.hpp"

namespace stride::kernels {

namespace {
constexpr Dim kPiece = 8192;
}  // namespace

// Pieces of an even length, so a 64-bit draw is never split between two;
// with input, each piece also multiplies its elements while they are hot.
void dropout_mask(std::uint64_t key, double rate, float scale, float* mask, Dim size,
                  const float* input, float* output) {
  // Dropped when the 32-bit draw is below the threshold; 2^32 drops all.
  const std::uint64_t threshold = std::uint64_t(std::clamp(std::ceil(rate * 0x1p32), 0.0, 0x1p32));
  constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
  // Branch-free selection (the draws are random, so a branch would be
  // mispredicted half the time): scale's bits and-ed with all ones or zeros.
  const std::uint32_t scale_bits = std::bit_cast<std::uint32_t>(scale);
  const auto value = [threshold, scale_bits](std::uint64_t draw) {
    return std::bit_cast<float>(scale_bits & -std::uint32_t(draw >= threshold));
  };
  parallel_for((size + 1) / 2, kPiece, [&, value](Dim first, Dim last) {
    for (Dim pair = first; pair < last; ++pair) {
      const std::uint64_t bits = Random::mix(key + std::uint64_t(pair) * kGolden);
      const Dim i = 2 * pair;
      mask[i] = value(bits & 0xffffffffULL);
      if (i + 1 < size) mask[i + 1] = value(bits >> 32);
    }
    if (!input) return;
    const Dim end = std::min(size, 2 * last);
    for (Dim i = 2 * first; i < end; ++i) output[i] = input[i] * mask[i];
  });
}

void apply_mask(const float* input, const float* mask, float* output, Dim size) {
  parallel_for(size, 2 * kPiece, [&](Dim first, Dim last) {
    for (Dim i = first; i < last; ++i) output[i] = input[i] * mask[i];
  });
}

}  // namespace stride::kernels
