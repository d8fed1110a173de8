// The output positions of a pooling and their windows, shared by the fast
// forward (pool.cpp) and the max pooling that records taps
// (max_pool_taps.cpp): rows of positions (image, depth, height) shared out
// between threads, depth and height clipped once per row, no division per
// position (at batch 1, dividing out each position's coordinates took a
// third of the pooling time).
#pragma once

#include <algorithm>

#include "kernels/internal.hpp"
#include "kernels/parallel.hpp"

namespace stride::kernels::detail {

// One output position's window: the real elements [lo, hi) of each axis and
// the window's first element (which may lie in the padding).
struct PoolWindow {
  Range r[3];
  Spatial start;

  bool empty() const { return r[0].lo >= r[0].hi || r[1].lo >= r[1].hi || r[2].lo >= r[2].hi; }
};

// Calls visit(b, position, window) for every output position of every image
// (position counts an image's outputs in order), about 2^14 output values
// per piece of work.
template <class Visit>
void for_each_pool_window(const PoolGeometry& g, Visit&& visit) {
  const Spatial &in = g.input, &out = g.output;
  const auto range = [&](int axis, Dim o) {
    return clip(o, g.strides[axis], g.pad_before[axis], g.window[axis], in[axis]);
  };
  const Dim rows_per_image = out[0] * out[1];
  const Dim grain = std::max<Dim>(1, (Dim{1} << 14) / std::max<Dim>(1, out[2] * g.channels));
  parallel_for(g.batch * rows_per_image, grain, [&](Dim first, Dim last) {
    for (Dim row = first; row < last; ++row) {
      const Dim b = row / rows_per_image, od = row / out[1] % out[0], oh = row % out[1];
      PoolWindow w;
      w.r[0] = range(0, od);
      w.r[1] = range(1, oh);
      w.start[0] = od * g.strides[0] - g.pad_before[0];
      w.start[1] = oh * g.strides[1] - g.pad_before[1];
      for (Dim ow = 0; ow < out[2]; ++ow) {
        w.r[2] = range(2, ow);
        w.start[2] = ow * g.strides[2] - g.pad_before[2];
        visit(b, (row % rows_per_image) * out[2] + ow, w);
      }
    }
  });
}

}  // namespace stride::kernels::detail
