// plot_history_svg: a hand-made history, and every drawn point checked
// against the axes the picture itself labels: x at the grid line labelled
// with the epoch (from 1), y interpolated between the labelled y grid lines.
#include <gtest/gtest.h>

#include <cmath>

#include "plot/xml_check.hpp"
#include "stride/plot.hpp"
#include "test_util.hpp"

namespace stride::test {
namespace {

// loss 1, 0.5, 0.25 and val_loss 0.9, 0.6, 0.55: the loss axis runs
// 0.2 .. 1.0 in steps of 0.2 (the 1-2-5 step nearest (1 - 0.25) / 5).
// val_accuracy misses its last value.
constexpr const char* kCsv =
    "epoch,accuracy,loss,val_accuracy,val_loss\n"
    "0,0.5,1.0,0.6,0.9\n"
    "1,0.75,0.5,0.7,0.6\n"
    "2,0.875,0.25,,0.55\n";

// A panel's axes as its grid lines and labels state them.
struct LabelledAxes {
  std::vector<std::pair<double, double>> x, y;  // (label value, pixel)
  double y_at(double value) const {
    const auto [v0, p0] = y.front();
    const auto [v1, p1] = y.back();
    return p0 + (value - v0) / (v1 - v0) * (p1 - p0);
  }
  double x_at(double epoch) const {
    for (const auto& [v, p] : x)
      if (v == epoch) return p;
    ADD_FAILURE() << "no grid line labelled " << epoch;
    return NAN;
  }
};

LabelledAxes axes_of(const XmlElement& panel) {
  LabelledAxes axes;
  for (std::size_t i = 0; i + 1 < panel.children.size(); ++i) {
    const XmlElement& line = panel.children[i];
    const XmlElement& label = panel.children[i + 1];
    if (line.name != "line" || label.name != "text") continue;
    if (line.has_class("grid-y")) axes.y.emplace_back(std::stod(label.text), line.number("y1"));
    if (line.has_class("grid-x")) axes.x.emplace_back(std::stod(label.text), line.number("x1"));
  }
  return axes;
}

std::vector<std::pair<double, double>> points_of(const XmlElement& path) {
  const std::vector<double> n = path_numbers(path.attr("d"));
  std::vector<std::pair<double, double>> points;
  for (std::size_t i = 0; i + 1 < n.size(); i += 2) points.emplace_back(n[i], n[i + 1]);
  return points;
}

const XmlElement* child(const XmlElement& panel, const std::string& name, const std::string& cls) {
  for (const XmlElement& c : panel.children)
    if (c.name == name && c.has_class(cls)) return &c;
  return nullptr;
}

std::vector<const XmlElement*> panels(const XmlElement& svg) {
  return svg.find_all([](const XmlElement& e) { return e.name == "g" && e.has_class("panel"); });
}

TEST(HistoryPlot, PanelsForLossThenMetricsSizedToTheViewBox) {
  const XmlElement svg = parse_xml(plot_history_svg(parse_history_csv(kCsv, "h.csv")));
  EXPECT_EQ(svg.attr("viewBox"), "0 0 " + svg.attr("width") + " " + svg.attr("height"));
  const auto p = panels(svg);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(child(*p[0], "text", "title")->text, "loss");
  EXPECT_EQ(child(*p[1], "text", "title")->text, "accuracy");
  // Side by side, both inside the picture.
  for (const XmlElement* panel : p)
    for (const auto& [v, x] : axes_of(*panel).x) {
      EXPECT_GT(x, 0);
      EXPECT_LT(x, svg.number("width"));
    }
  const std::string all = svg.all_text();
  EXPECT_NE(all.find("training"), std::string::npos);
  EXPECT_NE(all.find("validation"), std::string::npos);
  EXPECT_NE(all.find("epoch"), std::string::npos);
}

TEST(HistoryPlot, PointsSitWhereTheAxesSayTheValuesAre) {
  const XmlElement svg = parse_xml(plot_history_svg(parse_history_csv(kCsv, "h.csv")));
  const auto p = panels(svg);
  ASSERT_EQ(p.size(), 2u);

  const LabelledAxes loss_axes = axes_of(*p[0]);
  std::vector<double> y_labels, x_labels;
  for (const auto& [v, px] : loss_axes.y) y_labels.push_back(v);
  for (const auto& [v, px] : loss_axes.x) x_labels.push_back(v);
  EXPECT_EQ(y_labels, (std::vector<double>{0.2, 0.4, 0.6, 0.8, 1.0}));
  EXPECT_EQ(x_labels, (std::vector<double>{1, 2, 3}));  // epochs 0, 1, 2 as Keras prints them

  const auto check = [](const LabelledAxes& axes, const XmlElement* path,
                        std::vector<std::pair<double, double>> epoch_values) {
    ASSERT_NE(path, nullptr);
    const auto points = points_of(*path);
    ASSERT_EQ(points.size(), epoch_values.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
      // Coordinates are written with two decimals.
      EXPECT_NEAR(points[i].first, axes.x_at(epoch_values[i].first), 0.011) << i;
      EXPECT_NEAR(points[i].second, axes.y_at(epoch_values[i].second), 0.011) << i;
    }
  };
  check(loss_axes, child(*p[0], "path", "training"), {{1, 1.0}, {2, 0.5}, {3, 0.25}});
  check(loss_axes, child(*p[0], "path", "validation"), {{1, 0.9}, {2, 0.6}, {3, 0.55}});
  const LabelledAxes acc_axes = axes_of(*p[1]);
  check(acc_axes, child(*p[1], "path", "training"), {{1, 0.5}, {2, 0.75}, {3, 0.875}});
  check(acc_axes, child(*p[1], "path", "validation"), {{1, 0.6}, {2, 0.7}});

  // Higher values are drawn higher up (smaller y).
  EXPECT_LT(loss_axes.y_at(1.0), loss_axes.y_at(0.2));
  // Training solid, validation dashed.
  EXPECT_EQ(child(*p[0], "path", "training")->attr("stroke-dasharray"), "");
  EXPECT_NE(child(*p[0], "path", "validation")->attr("stroke-dasharray"), "");
}

TEST(HistoryPlot, MissingValuesBreakTheLine) {
  const XmlElement svg =
      parse_xml(plot_history_svg(parse_history_csv("epoch,loss\n0,4\n1,nan\n2,2\n3,1\n", "h.csv")));
  const XmlElement* path = child(*panels(svg)[0], "path", "training");
  ASSERT_NE(path, nullptr);
  const std::string d = path->attr("d");
  // Two pieces: M (epoch 1), then M L (epochs 3 and 4).
  EXPECT_EQ(std::count(d.begin(), d.end(), 'M'), 2);
  EXPECT_EQ(std::count(d.begin(), d.end(), 'L'), 1);
}

TEST(HistoryPlot, OneEpochAndFlatValuesStillHaveAnAxis) {
  const XmlElement svg =
      parse_xml(plot_history_svg(parse_history_csv("epoch,loss\n0,0.5\n", "h.csv")));
  const LabelledAxes axes = axes_of(*panels(svg)[0]);
  ASSERT_GE(axes.y.size(), 2u);
  EXPECT_LT(axes.y.front().first, 0.5);
  EXPECT_GT(axes.y.back().first, 0.5);
  const auto points = points_of(*child(*panels(svg)[0], "path", "training"));
  ASSERT_EQ(points.size(), 1u);
  EXPECT_NEAR(points[0].second, axes.y_at(0.5), 0.011);
  EXPECT_NEAR(points[0].first, axes.x_at(1), 0.011);
}

TEST(HistoryPlot, ExtremeValuesStayFinite) {
  const std::string text = plot_history_svg(
      parse_history_csv("epoch,loss,val_loss\n0,-1e308,1e308\n1,1e-300,5e-324\n", "h.csv"));
  EXPECT_NO_THROW(parse_xml(text));
  EXPECT_EQ(text.find("nan"), std::string::npos);
  EXPECT_EQ(text.find("inf"), std::string::npos);
}

TEST(HistoryPlot, MetricNamesAreEscaped) {
  const std::string text = plot_history_svg(parse_history_csv("epoch,a<&>b\n0,1\n", "h.csv"));
  EXPECT_NE(text.find(">a&lt;&amp;&gt;b</text>"), std::string::npos);
  EXPECT_NO_THROW(parse_xml(text));
}

}  // namespace
}  // namespace stride::test
