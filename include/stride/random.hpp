// A random generator whose streams are the same on every platform: the
// standard fixes mt19937_64's sequence but not the distributions', so the
// conversions to uniform and normal values are written here.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace stride {

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  // Independent streams from one seed: stream (seed, a, b) for weight b of layer a.
  static Random stream(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0) {
    return Random(mix(mix(mix(seed) ^ a) ^ b));
  }

  std::uint64_t next() { return engine_(); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  // Standard normal (Box-Muller; the second value is dropped for simplicity).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
  }
  // Normal redrawn until within two standard deviations (Keras's truncated_normal).
  double truncated_normal() {
    for (;;) {
      const double x = normal();
      if (std::abs(x) <= 2.0) return x;
    }
  }
  // Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }

  // splitmix64's step and finalizer: spreads nearby seeds far apart, and
  // mix(key + i * 0x9e3779b97f4a7c15) for i = 0, 1, ... is splitmix64's
  // stream from `key`, so value i can be drawn without drawing the others
  // (Dropout's masks, drawn in parallel).
  static std::uint64_t mix(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace stride
