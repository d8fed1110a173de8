// The geometry a direct (implicit-gemm) convolution kernel walks, worked out
// once per call: where each kernel row reads from a window's corner, where
// each output line's window starts, and which output positions have their
// whole window inside the input (those need no padding checks). Shared by the
// AVX2 forward and kernel-gradient kernels; built by plain code
// (conv_plan.cpp), so it holds no vector instructions.
#pragma once

#include <algorithm>
#include <vector>

#include "kernels/internal.hpp"

namespace stride::kernels::detail {

// One kernel row r = ((kd*KH + kh)*KW + kw)*C + c: its tap's displacement
// from the window's corner along (depth, height, width), and its offset in
// floats there.
struct ConvRow {
  Spatial shift;
  Dim offset;
};

// One output line (batch, depth, height): where its pixel 0's window starts.
struct ConvLine {
  Dim id, ih;   // the corner's input depth and height (may lie in the padding)
  Dim corner;   // the corner's input index in floats (may be negative)
  bool inside;  // depth and height in the interior: only width can leave the input
};

struct ConvPlan {
  const ConvGeometry& g;
  std::vector<ConvRow> rows;    // every kernel row, in the kernel's order
  std::vector<ConvLine> lines;  // every output line, in memory order
  Spatial lo, hi;               // per axis, the output positions whose whole window is inside

  // Whether row r's tap, seen from the window of output width position ow
  // on `line`, falls inside the input.
  bool tap_inside(const ConvLine& line, Dim ow, Dim r) const {
    const Spatial& shift = rows[r].shift;
    return inside(line.id + shift[0], g.input[0]) && inside(line.ih + shift[1], g.input[1]) &&
           inside(ow * g.strides[2] - g.pad_before[2] + shift[2], g.input[2]);
  }
  // Whether every tap of output width position ow on `line` is inside.
  bool window_inside(const ConvLine& line, Dim ow) const {
    return line.inside && ow >= lo[2] && ow < hi[2];
  }
};

// `lines` left empty without with_lines (for a walk that needs none).
ConvPlan make_conv_plan(const ConvGeometry& g, bool with_lines = true);

// The entry in ConvPlan::lines of output line (image b, depth od, height oh),
// from the plan's lo and hi.
ConvLine conv_line(const ConvGeometry& g, const Spatial& lo, const Spatial& hi, Dim b, Dim od,
                   Dim oh);

// Whether some output pixel's window reaches into the padding.
bool has_border_pixels(const ConvGeometry& g);

// The width of the next block of filters, `filters` of them left, in the
// direct kernels' register tiles of up to `vectors` vectors of `lanes`
// floats: as many whole vectors as there are (halving from `vectors`), then
// the rest (masked).
inline Dim filter_block_width(Dim filters, Dim lanes, Dim vectors) {
  for (Dim v = vectors; v >= 1; v /= 2)
    if (filters >= v * lanes) return v * lanes;
  return filters;
}

}  // namespace stride::kernels::detail
