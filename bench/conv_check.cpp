// Conv2D forward and gradients as the formulas read, in double, one element
// at a time (no im2col, no GEMM): slow, but only a few hundred elements of
// each timed case are checked.
#include "conv_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace stride::bench {

namespace {

// Which of `total` elements to check: all of them when there are few,
// otherwise the first, the last and hashed positions in between (hashed so
// that a fixed step cannot keep landing on the same channel).
std::vector<Dim> points_to_check(Dim total, Dim max_points) {
  std::vector<Dim> points;
  if (total <= max_points) {
    for (Dim i = 0; i < total; ++i) points.push_back(i);
    return points;
  }
  points = {0, total - 1};
  for (std::uint64_t k = 1; static_cast<Dim>(points.size()) < max_points; ++k) {
    std::uint64_t z = k * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
    points.push_back(static_cast<Dim>((z ^ (z >> 29)) % static_cast<std::uint64_t>(total)));
  }
  return points;
}

// Accumulates one element's terms and judges it against the computed value.
struct Sum {
  double value = 0, magnitude = 0;
  void add(double term) {
    value += term;
    magnitude += std::abs(term);
  }
  void judge(double got, CheckResult& result) const {
    result.max_error =
        std::max(result.max_error, std::abs(got - value) / std::max(magnitude, 1e-6));
    ++result.checked;
  }
};

struct Indexing {
  const ConvGeometry& g;
  Dim x(Dim b, Dim i, Dim j, Dim c) const { return ((b * g.h + i) * g.w + j) * g.cin + c; }
  Dim y(Dim b, Dim o, Dim p, Dim f) const {
    return ((b * g.out_h() + o) * g.out_w() + p) * g.cout + f;
  }
  Dim k(Dim ky, Dim kx, Dim c, Dim f) const {
    return ((ky * g.kernel + kx) * g.cin + c) * g.cout + f;
  }
};

}  // namespace

CheckResult check_conv_forward(const ConvGeometry& g, const Tensor& x, const Tensor& kernel,
                               const Tensor& bias, const Tensor& y, Dim max_points) {
  const Indexing at{g};
  CheckResult result;
  for (Dim index : points_to_check(y.size(), max_points)) {
    const Dim f = index % g.cout, p = index / g.cout % g.out_w(),
              o = index / (g.cout * g.out_w()) % g.out_h(),
              b = index / (g.cout * g.out_w() * g.out_h());
    Sum sum;
    sum.add(bias[f]);
    for (Dim ky = 0; ky < g.kernel; ++ky)
      for (Dim kx = 0; kx < g.kernel; ++kx) {
        const Dim i = o * g.stride - g.pad_top() + ky, j = p * g.stride - g.pad_left() + kx;
        if (i < 0 || i >= g.h || j < 0 || j >= g.w) continue;  // zero padding
        for (Dim c = 0; c < g.cin; ++c)
          sum.add(double{x[at.x(b, i, j, c)]} * kernel[at.k(ky, kx, c, f)]);
      }
    sum.judge(y[index], result);
  }
  return result;
}

CheckResult check_conv_backward(const ConvGeometry& g, const Tensor& x, const Tensor& kernel,
                                const Tensor& dy, const Tensor& dx, const Tensor& dkernel,
                                const Tensor& dbias, Dim max_points) {
  const Indexing at{g};
  CheckResult result;
  // dBias[f]: the sum of dy over every output position.
  for (Dim f = 0; f < g.cout; ++f) {
    Sum sum;
    for (Dim pos = 0; pos < dy.size() / g.cout; ++pos) sum.add(dy[pos * g.cout + f]);
    sum.judge(dbias[f], result);
  }
  // dKernel[ky, kx, c, f] = sum over b, o, p of x[b, o*s - pt + ky, p*s - pl + kx, c] * dy[b, o, p,
  // f].
  for (Dim index : points_to_check(dkernel.size(), max_points)) {
    const Dim f = index % g.cout, c = index / g.cout % g.cin,
              kx = index / (g.cout * g.cin) % g.kernel, ky = index / (g.cout * g.cin * g.kernel);
    Sum sum;
    for (Dim b = 0; b < g.n; ++b)
      for (Dim o = 0; o < g.out_h(); ++o)
        for (Dim p = 0; p < g.out_w(); ++p) {
          const Dim i = o * g.stride - g.pad_top() + ky, j = p * g.stride - g.pad_left() + kx;
          if (i < 0 || i >= g.h || j < 0 || j >= g.w) continue;
          sum.add(double{x[at.x(b, i, j, c)]} * dy[at.y(b, o, p, f)]);
        }
    sum.judge(dkernel[index], result);
  }
  // dX[b, i, j, c] = sum over the (ky, kx, f) whose window o, p reads (i, j).
  for (Dim index : points_to_check(dx.size(), max_points)) {
    const Dim c = index % g.cin, j = index / g.cin % g.w, i = index / (g.cin * g.w) % g.h,
              b = index / (g.cin * g.w * g.h);
    Sum sum;
    for (Dim ky = 0; ky < g.kernel; ++ky)
      for (Dim kx = 0; kx < g.kernel; ++kx) {
        const Dim oy = i + g.pad_top() - ky, ox = j + g.pad_left() - kx;
        if (oy < 0 || ox < 0 || oy % g.stride || ox % g.stride) continue;
        const Dim o = oy / g.stride, p = ox / g.stride;
        if (o >= g.out_h() || p >= g.out_w()) continue;
        for (Dim f = 0; f < g.cout; ++f)
          sum.add(double{dy[at.y(b, o, p, f)]} * kernel[at.k(ky, kx, c, f)]);
      }
    sum.judge(dx[index], result);
  }
  return result;
}

}  // namespace stride::bench
