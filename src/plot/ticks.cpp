#include "plot/ticks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace stride::plot {

namespace {

// The smallest of 1, 2, 5 (times a power of ten) not below `raw`.
double nice_step(double raw) {
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw * (1 - 1e-9)) return m * power;
  return 10 * power;
}

}  // namespace

std::string Ticks::label(double value) const {
  const double digits = -std::floor(std::log10(step) + 1e-9);
  const int decimals = std::isfinite(digits) ? static_cast<int>(std::clamp(digits, 0.0, 12.0)) : 0;
  std::string text = fmt::format("{:.{}f}", value, decimals);
  if (text.find_first_not_of("-0.") == std::string::npos) text = "0";  // "-0.00"
  return text;
}

Ticks nice_ticks(double min, double max, int target, bool integer) {
  if (!(max > min)) {
    const double pad = min == 0 ? 1 : std::abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  target = std::max(target, 2);
  double step = nice_step((max - min) / (target - 1));
  if (integer) step = std::max(1.0, std::round(step));
  Ticks ticks;
  ticks.step = step;
  ticks.low = std::floor(min / step + 1e-9) * step;
  ticks.high = std::ceil(max / step - 1e-9) * step;
  const double count = std::round((ticks.high - ticks.low) / step);
  if (!(count >= 1 && count <= 100)) {
    // A range past what doubles resolve (near 1e308, or a span lost to
    // rounding): the two ends alone.
    ticks = Ticks{min, max, max - min, {min, max}};
    return ticks;
  }
  for (int i = 0; i <= static_cast<int>(count); ++i)
    ticks.values.push_back(ticks.low + static_cast<double>(i) * step);
  return ticks;
}

}  // namespace stride::plot
