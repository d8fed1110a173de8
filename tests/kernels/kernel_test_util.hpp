// Helpers for the kernel tests: a seeded random source, random window
// geometry built with the library's own shape arithmetic, and the
// fast-vs-reference comparison.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/conv.hpp"
#include "kernels/internal.hpp"
#include "kernels/onednn.hpp"
#include "stride/parallel.hpp"
#include "stride/shape.hpp"

namespace stride::kernels::test {

inline constexpr KernelPath kBothPaths[] = {KernelPath::kReference, KernelPath::kFast};

// oneDNN on or off for a scope: the fast path's tests run stride's own
// kernels and oneDNN's where both can take a geometry.
class ScopedOneDnn {
 public:
  explicit ScopedOneDnn(bool on) : was_on_(onednn::enabled()) { onednn::set_enabled(on); }
  ~ScopedOneDnn() { onednn::set_enabled(was_on_); }
  ScopedOneDnn(const ScopedOneDnn&) = delete;
  ScopedOneDnn& operator=(const ScopedOneDnn&) = delete;

 private:
  bool was_on_;
};

// stride's direct AVX2 convolution kernels on or off for a scope: off, an
// AVX2 CPU takes the im2col paths that other CPUs take.
class ScopedDirectKernels {
 public:
  explicit ScopedDirectKernels(bool on) : was_on_(detail::direct_kernels()) {
    detail::set_direct_kernels(on);
  }
  ~ScopedDirectKernels() { detail::set_direct_kernels(was_on_); }
  ScopedDirectKernels(const ScopedDirectKernels&) = delete;
  ScopedDirectKernels& operator=(const ScopedDirectKernels&) = delete;

 private:
  bool was_on_;
};

// 8 images of 20x20, 3x3 same: clean and border pixels in every image, for
// the tests that compare thread counts.
inline ConvGeometry padded_batch_geometry(Dim in_channels, Dim out_channels) {
  ConvGeometry g;
  g.batch = 8;
  g.input = {1, 20, 20};
  g.output = {1, 20, 20};
  g.kernel = {1, 3, 3};
  g.pad_before = {0, 1, 1};
  g.in_channels = in_channels;
  g.out_channels = out_channels;
  return g;
}

// compute() run with 1, 2 and 3 threads, in that order (the count is
// restored afterwards).
template <typename Compute>
auto results_for_thread_counts(Compute compute) {
  const int saved = num_threads();
  std::vector<decltype(compute())> results;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    results.push_back(compute());
  }
  set_num_threads(saved);
  return results;
}

// One 64x64x128 image, 3x3 valid, 2 filters: 62*62 output pixels x 3*3*128
// columns exceed the fast paths' 2^20-float scratch, so they work in bands.
inline ConvGeometry large_banded_geometry() {
  ConvGeometry g;
  g.input = {1, 64, 64};
  g.output = {1, 62, 62};
  g.kernel = {1, 3, 3};
  g.in_channels = 128;
  g.out_channels = 2;
  return g;
}

inline const char* path_name(KernelPath path) {
  return path == KernelPath::kReference ? "reference" : "fast";
}

// Fixed-seed randomness. Values are drawn with our own arithmetic, not with
// std::uniform_*_distribution, so the configurations are the same with every
// standard library.
class Rng {
 public:
  explicit Rng(std::uint32_t seed) : engine_(seed) {}
  // Uniform in [lo, hi].
  Dim in(Dim lo, Dim hi) { return lo + Dim(engine_() % std::uint64_t(hi - lo + 1)); }
  bool coin() { return in(0, 1) == 1; }
  // n values uniform in [-1, 1).
  std::vector<float> floats(Dim n) {
    std::vector<float> v(n);
    for (float& x : v) x = float(engine_() % 65536) / 32768.0f - 1.0f;
    return v;
  }

 private:
  std::mt19937_64 engine_;
};

// One spatial axis of a window op: sizes drawn as Keras allows (a dilation
// above 1 usually comes with stride 1, but not always: the kernels handle
// both), output length and SAME split from stride/shape.hpp.
struct Axis {
  Dim in = 1, kernel = 1, stride = 1, dilation = 1, out = 1, pad_before = 0;
};

inline Axis random_axis(Rng& rng, bool dilated) {
  Axis a;
  a.in = rng.in(1, 9);
  a.kernel = rng.in(1, 4);
  a.stride = rng.in(1, 3);
  a.dilation = dilated ? rng.in(1, 3) : 1;
  if (a.dilation > 1 && rng.in(0, 3) != 0) a.stride = 1;
  const bool fits = effective_kernel(a.kernel, a.dilation) <= a.in;
  const Padding padding = fits && rng.coin() ? Padding::kValid : Padding::kSame;
  a.out = conv_output_length(a.in, a.kernel, padding, a.stride, a.dilation);
  if (padding == Padding::kSame)
    a.pad_before = same_padding(a.in, a.kernel, a.stride, a.dilation).before;
  return a;
}

// The last `rank` of the three spatial axes are random, the leading ones 1.
inline ConvGeometry random_conv_geometry(Rng& rng, bool dilated) {
  ConvGeometry g;
  const Dim rank = rng.in(1, 3);
  for (Dim axis = 3 - rank; axis < 3; ++axis) {
    const Axis a = random_axis(rng, dilated);
    g.input[axis] = a.in;
    g.output[axis] = a.out;
    g.kernel[axis] = a.kernel;
    g.strides[axis] = a.stride;
    g.dilation[axis] = a.dilation;
    g.pad_before[axis] = a.pad_before;
  }
  g.batch = rng.in(1, 3);
  return g;
}

inline Dim volume(const Spatial& s) {
  return s[0] * s[1] * s[2];
}

// A buffer of NaNs, so that a kernel's unwritten outputs show.
inline std::vector<float> nans(Dim n) {
  return std::vector<float>(n, std::numeric_limits<float>::quiet_NaN());
}

// |v| elementwise: the reference sums of magnitudes that agree_to_rounding
// scales its bound by.
inline std::vector<float> absolute(std::vector<float> values) {
  for (float& v : values) v = std::fabs(v);
  return values;
}

inline std::string spatial_text(const Spatial& s) {
  return std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" + std::to_string(s[2]);
}

inline std::string describe(const ConvGeometry& g) {
  return "batch " + std::to_string(g.batch) + ", input " + spatial_text(g.input) + "x" +
         std::to_string(g.in_channels) + ", output " + spatial_text(g.output) + "x" +
         std::to_string(g.out_channels) + ", kernel " + spatial_text(g.kernel) + ", strides " +
         spatial_text(g.strides) + ", dilation " + spatial_text(g.dilation) + ", pad_before " +
         spatial_text(g.pad_before) + ", groups " + std::to_string(g.groups);
}

// The fast path agrees with the reference when every element satisfies
// |fast - ref| <= 1e-5 * (1 + |ref|): a relative bound on float32 rounding
// (the reference accumulates in double) with an absolute floor of 1e-5 for
// results near zero, where sums of terms in [-1, 1] cancel.
inline ::testing::AssertionResult agree(const std::vector<float>& fast,
                                        const std::vector<float>& ref) {
  if (fast.size() != ref.size()) {
    return ::testing::AssertionFailure() << "sizes differ: " << fast.size() << " vs " << ref.size();
  }
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double tolerance = 1e-5 * (1.0 + std::fabs(ref[i]));
    if (!(std::fabs(double(fast[i]) - double(ref[i])) <= tolerance)) {
      return ::testing::AssertionFailure()
             << "element " << i << ": fast " << fast[i] << ", reference " << ref[i];
    }
  }
  return ::testing::AssertionSuccess();
}

// The reference loops' forward pass (conv_forward_reference) of g.
inline std::vector<float> reference_forward(const ConvGeometry& g, const std::vector<float>& input,
                                            const std::vector<float>& kernel, const float* bias) {
  std::vector<float> out = nans(g.batch * volume(g.output) * g.out_channels);
  detail::conv_forward_reference(g, input.data(), kernel.data(), bias, out.data());
  return out;
}

// `base` with each named change applied: the geometries of a kernel's
// "declines" test.
using GeometryChange = std::pair<std::string, std::function<void(ConvGeometry&)>>;
inline std::vector<std::pair<std::string, ConvGeometry>> changed_geometries(
    const ConvGeometry& base, const std::vector<GeometryChange>& changes) {
  std::vector<std::pair<std::string, ConvGeometry>> geometries;
  for (const auto& [what, change] : changes) {
    ConvGeometry g = base;
    change(g);
    geometries.emplace_back(what, g);
  }
  return geometries;
}

// Whether `forward(input, kernel, output)` (a kernel's bool entry point)
// declines g, given an input and kernel of ones, and leaves its output NaN.
template <typename Forward>
::testing::AssertionResult declines_writing_nothing(const ConvGeometry& g, Forward forward) {
  const std::vector<float> input(g.batch * volume(g.input) * g.in_channels, 1.0f);
  const std::vector<float> kernel(volume(g.kernel) * (g.in_channels / g.groups) * g.out_channels,
                                  1.0f);
  std::vector<float> out = nans(g.batch * volume(g.output) * g.out_channels);
  if (forward(input.data(), kernel.data(), out.data()))
    return ::testing::AssertionFailure() << "took " << describe(g);
  for (float v : out)
    if (!std::isnan(v)) return ::testing::AssertionFailure() << "wrote an output";
  return ::testing::AssertionSuccess();
}

// For kernels that sum in another order than stride's (oneDNN): the float32
// rounding of a sum grows with the sum of the magnitudes of its terms, which
// the reference computes when given |input| and |kernel| (`magnitude`).
// `scale` widens the bound for algorithms that round more (Winograd).
inline ::testing::AssertionResult agree_to_rounding(const std::vector<float>& fast,
                                                    const std::vector<float>& ref,
                                                    const std::vector<float>& magnitude,
                                                    double scale = 1.0) {
  if (fast.size() != ref.size() || magnitude.size() != ref.size())
    return ::testing::AssertionFailure() << "sizes differ";
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double tolerance = scale * 1e-6 * (1.0 + magnitude[i]);
    if (!(std::fabs(double(fast[i]) - double(ref[i])) <= tolerance))
      return ::testing::AssertionFailure()
             << "element " << i << ": fast " << fast[i] << ", reference " << ref[i]
             << ", magnitude " << magnitude[i];
  }
  return ::testing::AssertionSuccess();
}

}  // namespace stride::kernels::test
