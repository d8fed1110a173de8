// conv_transpose_forward: hand-worked scatter sums on both paths, then the
// fast path (gemm + col2im) against the reference on random configurations.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <vector>

#include "kernels/conv.hpp"
#include "kernels/kernel_test_util.hpp"
#include "stride/error.hpp"

namespace stride::kernels {
namespace {

using test::agree;
using test::kBothPaths;
using test::path_name;
using test::volume;

std::vector<float> run_transpose(KernelPath path, const ConvGeometry& g,
                                 const std::vector<float>& input, const std::vector<float>& kernel,
                                 const float* bias) {
  std::vector<float> out(g.batch * volume(g.output) * g.out_channels,
                         std::numeric_limits<float>::quiet_NaN());
  conv_transpose_forward(path, g, input.data(), kernel.data(), bias, out.data());
  return out;
}

// 1D transposed convolution of width in_w -> out_w.
ConvGeometry transpose1d(Dim in_w, Dim out_w, Dim k_w, Dim stride, Dim pad_before) {
  ConvGeometry g;
  g.input = {1, 1, in_w};
  g.output = {1, 1, out_w};
  g.kernel = {1, 1, k_w};
  g.strides = {1, 1, stride};
  g.pad_before = {0, 0, pad_before};
  return g;
}

TEST(ConvTransposeKernel, StrideTwoValidScattersOverlappingWindows) {
  // in [1,2], kernel [1,10,100], stride 2, valid: out = 2*2 + max(3-2, 0) = 5.
  // Input 0 adds 1*[1,10,100] at 0..2, input 1 adds 2*[1,10,100] at 2..4:
  //   [1, 10, 100+2, 20, 200]; bias 1 -> [2, 11, 103, 21, 201].
  const ConvGeometry g = transpose1d(2, 5, 3, 2, 0);
  const std::vector<float> input{1, 2}, kernel{1, 10, 100};
  const float bias = 1.0f;
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_transpose(path, g, input, kernel, nullptr),
              (std::vector<float>{1, 10, 102, 20, 200}));
    EXPECT_EQ(run_transpose(path, g, input, kernel, &bias),
              (std::vector<float>{2, 11, 103, 21, 201}));
  }
}

TEST(ConvTransposeKernel, StrideTwoSameDropsWhatFallsOutside) {
  // Same, SAME: out = 2*2 = 4; the forward conv 4 -> 2 pads
  // max((2-1)*2 + 3 - 4, 0) = 1 in total, 0 before. The last tap (200, at 4)
  // falls outside: [1, 10, 102, 20].
  const ConvGeometry g = transpose1d(2, 4, 3, 2, 0);
  const std::vector<float> input{1, 2}, kernel{1, 10, 100};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_transpose(path, g, input, kernel, nullptr), (std::vector<float>{1, 10, 102, 20}));
  }
}

TEST(ConvTransposeKernel, PadBeforeShiftsTheOutputLeft) {
  // in [1,2], kernel [1,10,100], stride 1, SAME: out 2, forward pad total
  // (2-1) + 3 - 2 = 2, before 1: input i lands at i + k - 1.
  //   out[0] = 1*10 + 2*1 = 12, out[1] = 1*100 + 2*10 = 120.
  const ConvGeometry g = transpose1d(2, 2, 3, 1, 1);
  const std::vector<float> input{1, 2}, kernel{1, 10, 100};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_transpose(path, g, input, kernel, nullptr), (std::vector<float>{12, 120}));
  }
}

TEST(ConvTransposeKernel, KernelIsStoredFiltersThenInputChannels) {
  // One pixel with channels [1,2], one tap, kernel (1,1,1, F=2, Cin=2) stored
  // K[f][c] = [[1,10],[100,1000]]: out[f] = sum_c in[c]*K[f][c] =
  //   [1*1 + 2*10, 1*100 + 2*1000] = [21, 2100].
  ConvGeometry g = transpose1d(1, 1, 1, 1, 0);
  g.in_channels = 2;
  g.out_channels = 2;
  const std::vector<float> input{1, 2}, kernel{1, 10, 100, 1000};
  for (KernelPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(run_transpose(path, g, input, kernel, nullptr), (std::vector<float>{21, 2100}));
  }
}

TEST(ConvTransposeKernel, RejectsGroups) {
  ConvGeometry g;
  g.in_channels = g.out_channels = g.groups = 2;
  const float x[4] = {};
  float y[2] = {};
  EXPECT_THROW(conv_transpose_forward(KernelPath::kFast, g, x, x, nullptr, y), Error);
}

// A random transposed convolution with Keras's output length (§1.3) and the
// padding of the forward convolution out -> in (§7.1).
ConvGeometry random_geometry(test::Rng& rng) {
  ConvGeometry g;
  const Dim rank = rng.in(1, 3);
  for (Dim axis = 3 - rank; axis < 3; ++axis) {
    const Dim in = rng.in(1, 9), k = rng.in(1, 4);
    Dim s = rng.in(1, 3);
    const Dim d = rng.in(1, 3);
    if (d > 1 && rng.in(0, 3) != 0) s = 1;
    const Padding padding = rng.coin() ? Padding::kValid : Padding::kSame;
    std::optional<Dim> output_padding;
    if (rng.coin()) output_padding = rng.in(0, s - 1);
    const Dim out = deconv_output_length(in, k, padding, output_padding, s, d);
    const Dim pad_total = std::max((in - 1) * s + effective_kernel(k, d) - out, Dim{0});
    g.input[axis] = in;
    g.output[axis] = out;
    g.kernel[axis] = k;
    g.strides[axis] = s;
    g.dilation[axis] = d;
    g.pad_before[axis] = padding == Padding::kSame ? pad_total / 2 : 0;
  }
  g.batch = rng.in(1, 3);
  g.in_channels = rng.in(1, 5);
  g.out_channels = rng.in(1, 5);
  return g;
}

TEST(ConvTransposeKernel, FastAgreesWithReferenceOnRandomConfigurations) {
  test::Rng rng(6);
  for (int trial = 0; trial < 150; ++trial) {
    const ConvGeometry g = random_geometry(rng);
    const std::vector<float> input = rng.floats(g.batch * volume(g.input) * g.in_channels);
    const std::vector<float> kernel = rng.floats(volume(g.kernel) * g.out_channels * g.in_channels);
    const std::vector<float> bias = rng.floats(g.out_channels);
    const float* b = rng.coin() ? bias.data() : nullptr;
    EXPECT_TRUE(agree(run_transpose(KernelPath::kFast, g, input, kernel, b),
                      run_transpose(KernelPath::kReference, g, input, kernel, b)))
        << "trial " << trial << ": " << test::describe(g) << (b ? ", bias" : ", no bias");
  }
}

}  // namespace
}  // namespace stride::kernels
