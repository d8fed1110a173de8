#include "kernels/conv_plan.hpp"

#include <algorithm>

namespace stride::kernels::detail {
namespace {

// [lo, hi): the output positions o with every tap o*s - pad + k*d inside.
void interior(Dim out, Dim in, Dim kernel, Dim stride, Dim dilation, Dim pad, Dim& lo, Dim& hi) {
  lo = std::min(out, (pad + stride - 1) / stride);
  const Dim last = in - 1 - (kernel - 1) * dilation + pad;  // largest o*s allowed
  hi = last < 0 ? 0 : std::min(out, last / stride + 1);
  hi = std::max(hi, lo);
}

}  // namespace

ConvLine conv_line(const ConvGeometry& g, const Spatial& lo, const Spatial& hi, Dim b, Dim od,
                   Dim oh) {
  const Dim id = od * g.strides[0] - g.pad_before[0];
  const Dim ih = oh * g.strides[1] - g.pad_before[1];
  const Dim corner = ((b * g.input[0] + id) * g.input[1] + ih) * g.input[2] * g.in_channels -
                     g.pad_before[2] * g.in_channels;
  const bool inside = od >= lo[0] && od < hi[0] && oh >= lo[1] && oh < hi[1];
  return {id, ih, corner, inside};
}

ConvPlan make_conv_plan(const ConvGeometry& g, bool with_lines) {
  ConvPlan p{g, {}, {}, {}, {}};
  const Dim c_count = g.in_channels / g.groups;
  // Reserved: growing by push_back was a visible part of a batch-1 call.
  p.rows.reserve(volume(g.kernel) * c_count);
  for (Dim kd = 0; kd < g.kernel[0]; ++kd)
    for (Dim kh = 0; kh < g.kernel[1]; ++kh)
      for (Dim kw = 0; kw < g.kernel[2]; ++kw) {
        const Spatial shift{kd * g.dilation[0], kh * g.dilation[1], kw * g.dilation[2]};
        const Dim pixel = grid_index(g.input, shift[0], shift[1], shift[2]);
        for (Dim c = 0; c < c_count; ++c) p.rows.push_back({shift, pixel * g.in_channels + c});
      }
  for (int a = 0; a < 3; ++a)
    interior(g.output[a], g.input[a], g.kernel[a], g.strides[a], g.dilation[a], g.pad_before[a],
             p.lo[a], p.hi[a]);
  if (with_lines) {
    p.lines.reserve(g.batch * g.output[0] * g.output[1]);
    for (Dim b = 0; b < g.batch; ++b)
      for (Dim od = 0; od < g.output[0]; ++od)
        for (Dim oh = 0; oh < g.output[1]; ++oh)
          p.lines.push_back(conv_line(g, p.lo, p.hi, b, od, oh));
  }
  return p;
}

bool has_border_pixels(const ConvGeometry& g) {
  for (int a = 0; a < 3; ++a) {
    Dim lo = 0, hi = 0;
    interior(g.output[a], g.input[a], g.kernel[a], g.strides[a], g.dilation[a], g.pad_before[a], lo,
             hi);
    if (lo > 0 || hi < g.output[a]) return true;
  }
  return false;
}

}  // namespace stride::kernels::detail
