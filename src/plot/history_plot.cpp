// plot_history_svg: one panel per metric, training solid and validation
// dashed, against the epoch counted from 1.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "plot/svg.hpp"
#include "plot/ticks.hpp"
#include "stride/plot.hpp"

namespace stride {

namespace {

using plot::Anchor;
using plot::Font;
using plot::svg_number;

const Font kTitleFont{plot::kSansFamily, 15, true};
const Font kTickFont{plot::kSansFamily, 11};
const Font kLegendFont{plot::kSansFamily, 12};

constexpr double kMargin = 16;
constexpr double kPanelWidth = 460, kPanelHeight = 300;
// The plot area inside a panel: room for the title and legend above, the
// tick labels on the left and the epoch axis below.
constexpr double kAreaLeft = 62, kAreaRight = 18, kAreaTop = 40, kAreaBottom = 46;
constexpr std::size_t kMaxMarkedEpochs = 40;  // beyond this, markers would blur into the line

constexpr const char* kTrainColor = "#4e79a7";
constexpr const char* kValidationColor = "#f28e2b";

// One panel: a metric with its training and validation columns.
struct Panel {
  std::string metric;
  int train = -1, validation = -1;  // column indices, -1 if absent
};

std::vector<Panel> panels_of(const HistoryTable& history) {
  std::vector<Panel> panels;
  const auto panel_for = [&](const std::string& metric) -> Panel& {
    for (Panel& p : panels)
      if (p.metric == metric) return p;
    panels.push_back({metric});
    return panels.back();
  };
  for (std::size_t k = 0; k < history.keys.size(); ++k) {
    const std::string& key = history.keys[k];
    if (key.rfind("val_", 0) == 0 && key.size() > 4)
      panel_for(key.substr(4)).validation = static_cast<int>(k);
    else
      panel_for(key).train = static_cast<int>(k);
  }
  std::stable_partition(panels.begin(), panels.end(),
                        [](const Panel& p) { return p.metric == "loss"; });
  return panels;
}

// Maps data to the panel's pixels. The first and last ticks sit kInset
// inside the frame, so that points on them are not drawn on it.
constexpr double kInset = 8;
struct Axes {
  double left, top, width, height;
  plot::Ticks x, y;
  double px(double epoch) const {
    return left + kInset + (epoch - x.low) / (x.high - x.low) * (width - 2 * kInset);
  }
  double py(double value) const {
    return top + height - kInset - (value - y.low) / (y.high - y.low) * (height - 2 * kInset);
  }
};

void draw_axes(plot::SvgDocument& svg, const Axes& a) {
  const char* grid = R"(stroke="#e3e7ea" stroke-width="1")";
  for (double v : a.y.values) {
    const double y = a.py(v);
    svg.line(a.left, y, a.left + a.width, y, fmt::format(R"(class="grid-y" {})", grid));
    svg.text(a.left - 6, y + 4, a.y.label(v), kTickFont, Anchor::kEnd, R"(fill="#4a555c")");
  }
  for (double v : a.x.values) {
    const double x = a.px(v);
    svg.line(x, a.top, x, a.top + a.height, fmt::format(R"(class="grid-x" {})", grid));
    svg.text(x, a.top + a.height + 16, a.x.label(v), kTickFont, Anchor::kMiddle,
             R"(fill="#4a555c")");
  }
  svg.rect(a.left, a.top, a.width, a.height, R"(fill="none" stroke="#8a969e" stroke-width="1")");
  svg.text(a.left + a.width / 2, a.top + a.height + 36, "epoch", kLegendFont, Anchor::kMiddle,
           R"(fill="#1f2a30")");
}

// The column as a path, broken where a value is missing.
void draw_curve(plot::SvgDocument& svg, const HistoryTable& history, int column, const Axes& a,
                bool validation) {
  std::string data;
  bool pen_down = false;
  std::vector<std::pair<double, double>> points;
  for (std::size_t row = 0; row < history.epochs.size(); ++row) {
    const double value = history.values[row][static_cast<std::size_t>(column)];
    if (!std::isfinite(value)) {
      pen_down = false;
      continue;
    }
    const double x = a.px(static_cast<double>(history.epochs[row] + 1)), y = a.py(value);
    data += fmt::format("{}{} {} ", pen_down ? "L " : "M ", svg_number(x), svg_number(y));
    pen_down = true;
    points.emplace_back(x, y);
  }
  if (points.empty()) return;
  if (!data.empty()) data.pop_back();
  const char* color = validation ? kValidationColor : kTrainColor;
  svg.path(data, fmt::format(R"(class="{}" fill="none" stroke="{}" stroke-width="2"{})",
                             validation ? "validation" : "training", color,
                             validation ? R"( stroke-dasharray="7 4")" : ""));
  if (history.epochs.size() > kMaxMarkedEpochs) return;
  for (const auto& [x, y] : points)
    svg.raw(fmt::format(R"(<circle cx="{}" cy="{}" r="3" fill="{}"/>)"
                        "\n",
                        svg_number(x), svg_number(y), validation ? "#ffffff" : color));
  if (validation)  // hollow markers tell the dashed line apart where they cross
    for (const auto& [x, y] : points)
      svg.raw(fmt::format(
          R"(<circle cx="{}" cy="{}" r="3" fill="none" stroke="{}" stroke-width="1.5"/>)"
          "\n",
          svg_number(x), svg_number(y), color));
}

// Sample lines and names, right-aligned on the title's row.
void draw_legend(plot::SvgDocument& svg, const Panel& panel, double right, double baseline) {
  double x = right;
  const auto entry = [&](const char* name, const char* color, bool dashed) {
    x -= kLegendFont.text_width(name);
    svg.text(x, baseline, name, kLegendFont, Anchor::kStart, R"(fill="#1f2a30")");
    x -= 30;
    svg.line(x, baseline - 4, x + 24, baseline - 4,
             fmt::format(R"(stroke="{}" stroke-width="2"{})", color,
                         dashed ? R"( stroke-dasharray="7 4")" : ""));
    x -= 14;
  };
  if (panel.validation >= 0) entry("validation", kValidationColor, true);
  if (panel.train >= 0) entry("training", kTrainColor, false);
}

void draw_panel(plot::SvgDocument& svg, const HistoryTable& history, const Panel& panel,
                double left, double top) {
  double low = INFINITY, high = -INFINITY;
  for (int column : {panel.train, panel.validation}) {
    if (column < 0) continue;
    for (const auto& row : history.values) {
      const double v = row[static_cast<std::size_t>(column)];
      if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
    }
  }
  if (!(low <= high)) low = 0, high = 1;  // no value at all: an empty panel
  const double first = static_cast<double>(history.epochs.front() + 1);
  const double last = static_cast<double>(history.epochs.back() + 1);
  Axes axes{left + kAreaLeft,
            top + kAreaTop,
            kPanelWidth - kAreaLeft - kAreaRight,
            kPanelHeight - kAreaTop - kAreaBottom,
            plot::nice_ticks(first, last, 8, /*integer=*/true),
            plot::nice_ticks(low, high, 6)};
  svg.raw("<g class=\"panel\">\n");
  svg.text(axes.left, top + 22, panel.metric, kTitleFont, Anchor::kStart,
           R"(fill="#1f2a30" class="title")");
  draw_legend(svg, panel, axes.left + axes.width, top + 22);
  draw_axes(svg, axes);
  if (panel.train >= 0) draw_curve(svg, history, panel.train, axes, false);
  if (panel.validation >= 0) draw_curve(svg, history, panel.validation, axes, true);
  svg.raw("</g>\n");
}

}  // namespace

std::string plot_history_svg(const HistoryTable& history) {
  if (history.epochs.empty() || history.keys.empty())
    throw Error("a training history needs at least one epoch and one metric");
  const std::vector<Panel> panels = panels_of(history);
  const std::size_t columns = std::min<std::size_t>(2, panels.size());
  const std::size_t rows = (panels.size() + columns - 1) / columns;
  plot::SvgDocument svg;
  for (std::size_t i = 0; i < panels.size(); ++i)
    draw_panel(svg, history, panels[i], kMargin + static_cast<double>(i % columns) * kPanelWidth,
               kMargin + static_cast<double>(i / columns) * kPanelHeight);
  return svg.finish(2 * kMargin + static_cast<double>(columns) * kPanelWidth,
                    2 * kMargin + static_cast<double>(rows) * kPanelHeight, "training history");
}

}  // namespace stride
