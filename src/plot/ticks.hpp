// Axis ticks at "nice" numbers (1, 2 or 5 times a power of ten) covering a
// range, as plotting libraries choose them.
#pragma once

#include <string>
#include <vector>

namespace stride::plot {

struct Ticks {
  double low = 0, high = 1;    // the axis range: the first and the last tick
  double step = 1;             // between ticks
  std::vector<double> values;  // low, low + step, ..., high
  // A tick value as a label, with as many decimals as the step needs.
  std::string label(double value) const;
};

// About `target` ticks (at least 2) spanning [min, max]; a zero-width range
// is widened around its value. `integer` keeps steps whole (epoch axes).
Ticks nice_ticks(double min, double max, int target = 5, bool integer = false);

}  // namespace stride::plot
