#include "kernels/dropout.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "kernels/parallel.hpp"
#include "stride/random.hpp"

namespace stride::kernels {

void dropout_mask(std::uint64_t key, double rate, float scale, float* mask, Dim size) {
  // Dropped when the 32-bit draw is below the threshold; 2^32 drops all.
  const std::uint64_t threshold = std::uint64_t(std::clamp(std::ceil(rate * 0x1p32), 0.0, 0x1p32));
  constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
  // Branch-free selection (the draws are random, so a branch would be
  // mispredicted half the time): scale's bits and-ed with all ones or zeros.
  const std::uint32_t scale_bits = std::bit_cast<std::uint32_t>(scale);
  const auto value = [threshold, scale_bits](std::uint64_t draw) {
    return std::bit_cast<float>(scale_bits & -std::uint32_t(draw >= threshold));
  };
  // Pieces of an even length, so a 64-bit value is never split between two.
  parallel_for((size + 1) / 2, 8192, [&, value](Dim first, Dim last) {
    for (Dim pair = first; pair < last; ++pair) {
      const std::uint64_t bits = Random::mix(key + std::uint64_t(pair) * kGolden);
      const Dim i = 2 * pair;
      mask[i] = value(bits & 0xffffffffULL);
      if (i + 1 < size) mask[i + 1] = value(bits >> 32);
    }
  });
}

}  // namespace stride::kernels
