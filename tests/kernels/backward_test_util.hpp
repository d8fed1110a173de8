// Helpers for the gradient tests: small random geometries, the forward
// formulas of conv.hpp and pool.hpp written again in double as a scalar loss
// L = sum(out * out_grad), and the check of a gradient against central
// finite differences of that loss.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "kernels/conv.hpp"
#include "kernels/kernel_test_util.hpp"
#include "kernels/pool.hpp"

namespace stride::kernels::test {

inline std::vector<double> to_double(const std::vector<float>& v) {
  return {v.begin(), v.end()};
}

// agree() (kernel_test_util.hpp) with its tolerance times `scale`, for
// reductions much longer than the forward tests' few hundred terms: float32
// rounding in the fast path grows like the square root of their length.
inline ::testing::AssertionResult agree_within(const std::vector<float>& fast,
                                               const std::vector<float>& ref, double scale) {
  if (fast.size() != ref.size()) {
    return ::testing::AssertionFailure() << "sizes differ: " << fast.size() << " vs " << ref.size();
  }
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double tolerance = scale * 1e-5 * (1.0 + std::fabs(ref[i]));
    if (!(std::fabs(double(fast[i]) - double(ref[i])) <= tolerance)) {
      return ::testing::AssertionFailure()
             << "element " << i << ": fast " << fast[i] << ", reference " << ref[i];
    }
  }
  return ::testing::AssertionSuccess();
}

// A conv geometry small enough for finite differences: every axis up to 6
// pixels, kernels up to 3, strides 1-3, dilation 1-2 when `dilated` (1 for
// pooling), VALID or SAME.
inline ConvGeometry small_conv_geometry(Rng& rng, bool dilated = true) {
  ConvGeometry g;
  const Dim rank = rng.in(1, 3);
  for (Dim axis = 3 - rank; axis < 3; ++axis) {
    const Dim in = rng.in(1, 6), k = rng.in(1, 3), s = rng.in(1, 3), d = dilated ? rng.in(1, 2) : 1;
    const bool fits = effective_kernel(k, d) <= in;
    const Padding padding = fits && rng.coin() ? Padding::kValid : Padding::kSame;
    g.input[axis] = in;
    g.output[axis] = conv_output_length(in, k, padding, s, d);
    g.kernel[axis] = k;
    g.strides[axis] = s;
    g.dilation[axis] = d;
    g.pad_before[axis] = padding == Padding::kSame ? same_padding(in, k, s, d).before : 0;
  }
  g.batch = rng.in(1, 2);
  return g;
}

// A transposed convolution with Keras's output length (reference §1.3) and
// the padding of the forward convolution out -> in; axes up to max_in.
inline ConvGeometry random_transpose_geometry(Rng& rng, Dim max_in, Dim max_kernel) {
  ConvGeometry g;
  const Dim rank = rng.in(1, 3);
  for (Dim axis = 3 - rank; axis < 3; ++axis) {
    const Dim in = rng.in(1, max_in), k = rng.in(1, max_kernel);
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
  g.batch = rng.in(1, 2);
  g.in_channels = rng.in(1, 3);
  g.out_channels = rng.in(1, 3);
  return g;
}

inline PoolGeometry pool_geometry(const ConvGeometry& c, Dim channels) {
  PoolGeometry g;
  g.batch = c.batch;
  g.channels = channels;
  g.input = c.input;
  g.output = c.output;
  g.window = c.kernel;
  g.strides = c.strides;
  g.pad_before = c.pad_before;
  return g;
}

inline bool in_grid(const Spatial& p, const Spatial& grid) {
  for (int axis = 0; axis < 3; ++axis) {
    if (p[axis] < 0 || p[axis] >= grid[axis]) return false;
  }
  return true;
}

inline Dim flat(const Spatial& p, const Spatial& grid) {
  return (p[0] * grid[1] + p[1]) * grid[2] + p[2];
}

inline Spatial unflat(Dim i, const Spatial& grid) {
  return {i / (grid[1] * grid[2]), i / grid[2] % grid[1], i % grid[2]};
}

// The input pixel that tap k of output pixel o reads: o*s + k*d - pad_before.
inline Spatial tap_position(const ConvGeometry& g, const Spatial& o, const Spatial& k) {
  Spatial p;
  for (int axis = 0; axis < 3; ++axis) {
    p[axis] = o[axis] * g.strides[axis] + k[axis] * g.dilation[axis] - g.pad_before[axis];
  }
  return p;
}

// conv.hpp: out[b, o, f] = bias[f] + sum_{k, c} in[b, o*s + k*d - pad, grp*Cg + c] * K[k, c, f].
inline double conv_loss(const ConvGeometry& g, const std::vector<double>& in,
                        const std::vector<double>& kernel, const std::vector<double>& bias,
                        const std::vector<float>& out_grad) {
  const Dim cg = g.in_channels / g.groups, fg = g.out_channels / g.groups;
  double loss = 0.0;
  for (Dim b = 0; b < g.batch; ++b) {
    for (Dim o = 0; o < volume(g.output); ++o) {
      for (Dim f = 0; f < g.out_channels; ++f) {
        double y = bias.empty() ? 0.0 : bias[f];
        for (Dim k = 0; k < volume(g.kernel); ++k) {
          const Spatial p = tap_position(g, unflat(o, g.output), unflat(k, g.kernel));
          if (!in_grid(p, g.input)) continue;
          for (Dim c = 0; c < cg; ++c) {
            y += in[(b * volume(g.input) + flat(p, g.input)) * g.in_channels + f / fg * cg + c] *
                 kernel[(k * cg + c) * g.out_channels + f];
          }
        }
        loss += y * out_grad[(b * volume(g.output) + o) * g.out_channels + f];
      }
    }
  }
  return loss;
}

// conv.hpp's scatter form: in[b, i, c] * K[k, f, c] lands on
// out[b, i*s + k*d - pad, f], dropped outside; bias[f] everywhere.
inline double conv_transpose_loss(const ConvGeometry& g, const std::vector<double>& in,
                                  const std::vector<double>& kernel,
                                  const std::vector<double>& bias,
                                  const std::vector<float>& out_grad) {
  const Dim cin = g.in_channels, f_count = g.out_channels;
  double loss = 0.0;
  for (Dim b = 0; b < g.batch; ++b) {
    for (Dim i = 0; i < volume(g.input); ++i) {
      for (Dim k = 0; k < volume(g.kernel); ++k) {
        const Spatial p = tap_position(g, unflat(i, g.input), unflat(k, g.kernel));
        if (!in_grid(p, g.output)) continue;
        for (Dim f = 0; f < f_count; ++f) {
          for (Dim c = 0; c < cin; ++c) {
            loss += in[(b * volume(g.input) + i) * cin + c] * kernel[(k * f_count + f) * cin + c] *
                    out_grad[(b * volume(g.output) + flat(p, g.output)) * f_count + f];
          }
        }
      }
    }
  }
  for (std::size_t j = 0; j < out_grad.size() && !bias.empty(); ++j) {
    loss += bias[j % f_count] * out_grad[j];
  }
  return loss;
}

// pool.hpp: max or mean over the window's real elements.
inline double pool_loss(PoolKind kind, const PoolGeometry& g, const std::vector<double>& in,
                        const std::vector<float>& out_grad) {
  double loss = 0.0;
  for (Dim b = 0; b < g.batch; ++b) {
    for (Dim o = 0; o < volume(g.output); ++o) {
      const Spatial op = unflat(o, g.output);
      for (Dim c = 0; c < g.channels; ++c) {
        double best = -std::numeric_limits<double>::infinity(), sum = 0.0;
        Dim count = 0;
        for (Dim w = 0; w < volume(g.window); ++w) {
          const Spatial wp = unflat(w, g.window);
          Spatial p;
          for (int axis = 0; axis < 3; ++axis) {
            p[axis] = op[axis] * g.strides[axis] + wp[axis] - g.pad_before[axis];
          }
          if (!in_grid(p, g.input)) continue;
          const double x = in[(b * volume(g.input) + flat(p, g.input)) * g.channels + c];
          best = std::max(best, x);
          sum += x;
          ++count;
        }
        if (count == 0) continue;
        const double y = kind == PoolKind::kMax ? best : sum / double(count);
        loss += y * out_grad[(b * volume(g.output) + o) * g.channels + c];
      }
    }
  }
  return loss;
}

// Every element of `grad` (all of them when there are at most 40, else 40
// drawn at random) equals the central difference (L(x + h) - L(x - h)) / 2h
// of loss() in that element of x, within 1e-6 * (1 + |difference|). loss()
// reads x, which is perturbed in place and restored.
template <typename Loss>
::testing::AssertionResult matches_finite_differences(const std::vector<float>& grad,
                                                      std::vector<double>& x, Loss loss, double h,
                                                      Rng& rng) {
  if (grad.size() != x.size()) {
    return ::testing::AssertionFailure() << "sizes differ: " << grad.size() << " vs " << x.size();
  }
  std::vector<Dim> elements(x.size());
  std::iota(elements.begin(), elements.end(), Dim{0});
  if (elements.size() > 40) {
    for (Dim& e : elements) e = rng.in(0, Dim(x.size()) - 1);
    elements.resize(40);
  }
  for (Dim i : elements) {
    const double saved = x[i];
    x[i] = saved + h;
    const double up = loss();
    x[i] = saved - h;
    const double down = loss();
    x[i] = saved;
    const double difference = (up - down) / (2 * h);
    if (!(std::fabs(grad[i] - difference) <= 1e-6 * (1 + std::fabs(difference)))) {
      return ::testing::AssertionFailure()
             << "element " << i << ": gradient " << grad[i] << ", finite difference " << difference;
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace stride::kernels::test
