// detail::conv_input_grad_few_channels (conv_input_grad.hpp): the input
// gradient of first layers (1-4 channels, any stride, 16-64 filters),
// gathered per input pixel. Against the reference, which sums in double, on
// random geometries with strides 1-3, padding before and after, dilation,
// images narrower than the kernel and strides past the kernel (pixels no
// tap reads: gradient 0); the geometries it must leave to others; the
// fast path reaching it; the same bits for every thread count and from the
// AVX2 and AVX-512 builds.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernels/backward_test_util.hpp"
#include "kernels/conv.hpp"
#include "kernels/gemm_micro.hpp"
#include "kernels/internal.hpp"
#include "kernels/kernel_test_util.hpp"

namespace stride::kernels {
namespace {

using test::absolute;
using test::nans;
using test::volume;

bool available() {
#ifdef STRIDE_X86_KERNELS
  return detail::cpu_has_avx2_fma();
#else
  return false;
#endif
}

std::vector<float> reference_input_grad(const ConvGeometry& g, const std::vector<float>& dy,
                                        const std::vector<float>& kernel) {
  std::vector<float> dx = nans(g.batch * volume(g.input) * g.in_channels);
  conv_backward_input(KernelPath::kReference, g, dy.data(), kernel.data(), dx.data());
  return dx;
}

// A 2D geometry: height and width each with a kernel, a dilation and a
// padding before and after of up to the effective kernel less one (valid,
// same, causal and lopsided alike); `stride` on both axes.
ConvGeometry first_layer(Dim batch, Dim h, Dim w, Dim c, Dim f, Dim kh, Dim kw, Dim dilation,
                         Dim pad_top, Dim pad_bottom, Dim pad_left, Dim pad_right, Dim stride = 1) {
  ConvGeometry g;
  g.batch = batch;
  g.input = {1, h, w};
  g.kernel = {1, kh, kw};
  g.strides = {1, stride, stride};
  g.dilation = {1, dilation, dilation};
  g.pad_before = {0, pad_top, pad_left};
  g.output = {1, (h + pad_top + pad_bottom - (kh - 1) * dilation - 1) / stride + 1,
              (w + pad_left + pad_right - (kw - 1) * dilation - 1) / stride + 1};
  g.in_channels = c;
  g.out_channels = f;
  return g;
}

void expect_agrees(const ConvGeometry& g, test::Rng& rng, const std::string& where) {
  const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
  const std::vector<float> kernel = rng.floats(volume(g.kernel) * g.in_channels * g.out_channels);
  std::vector<float> dx = nans(g.batch * volume(g.input) * g.in_channels);
  ASSERT_TRUE(detail::conv_input_grad_few_channels(g, dy.data(), kernel.data(), dx.data()))
      << "declined, " << where;
  const std::vector<float> ref = reference_input_grad(g, dy, kernel);
  const std::vector<float> magnitude = reference_input_grad(g, absolute(dy), absolute(kernel));
  EXPECT_TRUE(test::agree_to_rounding(dx, ref, magnitude)) << where;
}

TEST(ConvInputGrad, AgreesWithReferenceOnRandomFirstLayers) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(61);
  for (int trial = 0; trial < 300; ++trial) {
    const Dim kh = rng.in(1, 5), kw = rng.in(1, 5), dilation = rng.in(1, 2);
    const Dim span_h = (kh - 1) * dilation, span_w = (kw - 1) * dilation;
    const Dim h = rng.in(1, 12), w = rng.in(1, 60);  // wide enough for groups of 8 at stride 3
    const Dim top = rng.in(0, span_h), bottom = rng.in(0, span_h);
    const Dim left = rng.in(0, span_w), right = rng.in(0, span_w);
    if (h + top + bottom <= span_h || w + left + right <= span_w) continue;  // no output
    const ConvGeometry g = first_layer(rng.in(1, 3), h, w, rng.in(1, 4), 16 * rng.in(1, 4), kh, kw,
                                       dilation, top, bottom, left, right, rng.in(1, 3));
    expect_agrees(g, rng, "trial " + std::to_string(trial) + ": " + test::describe(g));
  }
}

TEST(ConvInputGrad, AgreesOnFirstLayerShapes) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  test::Rng rng(62);
  const ConvGeometry shapes[] = {
      first_layer(4, 28, 28, 1, 32, 3, 3, 1, 0, 0, 0, 0),  // bench (a), 4 images
      first_layer(2, 28, 28, 1, 32, 3, 3, 1, 1, 1, 1, 1),  // the same, padding 'same'
      first_layer(2, 32, 32, 3, 64, 3, 3, 1, 1, 1, 1, 1),  // CIFAR-like
      first_layer(1, 9, 70, 2, 48, 5, 5, 2, 4, 4, 4, 4),   // groups of 8 and 4, then a rest
      first_layer(2, 6, 30, 4, 16, 3, 7, 1, 0, 2, 3, 0),   // lopsided padding
      // bench (f)'s 7x7 stride 2 'same' (pads 2 and 3) on a smaller image
      first_layer(1, 40, 44, 3, 64, 7, 7, 1, 2, 3, 2, 3, 2),
      first_layer(2, 32, 32, 3, 32, 3, 3, 1, 0, 1, 0, 1, 2),  // stride 2 'same', even size
      first_layer(1, 23, 41, 1, 16, 3, 3, 2, 0, 0, 0, 0, 2),  // stride and dilation 2
      first_layer(2, 17, 50, 2, 48, 2, 2, 3, 0, 0, 0, 0, 2),  // dilation 3: parities alternate
      first_layer(1, 13, 29, 4, 16, 2, 2, 1, 0, 0, 0, 0, 3),  // stride past the kernel
  };
  for (const ConvGeometry& g : shapes) expect_agrees(g, rng, test::describe(g));
}

TEST(ConvInputGrad, DeclinesOtherConvolutions) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  const ConvGeometry base = first_layer(1, 8, 8, 1, 32, 3, 3, 1, 0, 0, 0, 0);
  std::vector<ConvGeometry> others(6, base);
  others[0].pad_before = {0, -1, 0};  // a crop, not a padding
  others[1].in_channels = 5;          // more channels
  others[2].out_channels = 24;        // not whole vectors
  others[3].out_channels = 80;        // more than 4 vectors
  others[4].in_channels = 2, others[4].out_channels = 32, others[4].groups = 2;  // grouped
  others[5].input = {3, 8, 8}, others[5].output = {3, 6, 6};                     // 3D
  for (const ConvGeometry& g : others) {
    const std::vector<float> dy(g.batch * volume(g.output) * g.out_channels, 1.0f);
    const std::vector<float> kernel(volume(g.kernel) * g.in_channels * g.out_channels, 1.0f);
    std::vector<float> dx = nans(g.batch * volume(g.input) * g.in_channels);
    EXPECT_FALSE(detail::conv_input_grad_few_channels(g, dy.data(), kernel.data(), dx.data()))
        << test::describe(g);
    for (float v : dx) ASSERT_TRUE(std::isnan(v)) << "wrote while declining, " << test::describe(g);
  }
}

TEST(ConvInputGrad, FastPathTakesItWithTheSameBitsForEveryThreadCount) {
  if (!available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  const ConvGeometry shapes[] = {
      first_layer(6, 28, 28, 1, 32, 3, 3, 1, 1, 1, 1, 1),     // stride 1 'same'
      first_layer(2, 30, 30, 3, 64, 7, 7, 1, 2, 3, 2, 3, 2),  // (f)'s 7x7 stride 2
  };
  test::Rng rng(63);
  for (const ConvGeometry& g : shapes) {
    const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
    const std::vector<float> kernel = rng.floats(volume(g.kernel) * g.in_channels * g.out_channels);
    const Dim dx_size = g.batch * volume(g.input) * g.in_channels;
    std::vector<float> direct = nans(dx_size);
    ASSERT_TRUE(detail::conv_input_grad_few_channels(g, dy.data(), kernel.data(), direct.data()));
    const auto results = test::results_for_thread_counts([&] {
      std::vector<float> dx = nans(dx_size);
      conv_backward_input(KernelPath::kFast, g, dy.data(), kernel.data(), dx.data());
      return dx;
    });
    EXPECT_EQ(results[0], direct) << test::describe(g);
    EXPECT_EQ(results[1], direct) << test::describe(g);
    EXPECT_EQ(results[2], direct) << test::describe(g);
  }
}

#ifdef STRIDE_X86_KERNELS
// Units of 16 filters, two AVX2 vectors or one AVX-512 vector, summed in the
// same order: the same bits from both builds.
TEST(ConvInputGrad, Avx512GivesTheSameBitsAsAvx2) {
  if (!detail::cpu_has_avx512()) GTEST_SKIP() << "no AVX-512 on this CPU";
  test::Rng rng(64);
  for (int trial = 0; trial < 40; ++trial) {
    const Dim k = rng.in(1, 5), pad = rng.in(0, k - 1);
    const ConvGeometry g =
        first_layer(rng.in(1, 2), rng.in(k, 12), rng.in(k, 40), rng.in(1, 4), 16 * rng.in(1, 4), k,
                    k, 1, pad, pad, pad, pad, rng.in(1, 2));
    const std::vector<float> dy = rng.floats(g.batch * volume(g.output) * g.out_channels);
    const std::vector<float> kernel = rng.floats(volume(g.kernel) * g.in_channels * g.out_channels);
    std::vector<float> wide = nans(g.batch * volume(g.input) * g.in_channels), narrow = wide;
    ASSERT_TRUE(
        detail::conv_input_grad_few_channels_avx512(g, dy.data(), kernel.data(), wide.data()));
    ASSERT_TRUE(
        detail::conv_input_grad_few_channels_avx2(g, dy.data(), kernel.data(), narrow.data()));
    EXPECT_EQ(wide, narrow) << "trial " << trial << ": " << test::describe(g);
  }
}
#endif

}  // namespace
}  // namespace stride::kernels
