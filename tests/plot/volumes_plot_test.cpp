// plot_volumes_svg: one volume per feature map, drawn to one scale: the
// front face's height follows the rows, the receding depth the columns, the
// thickness the channels (by the rule the legend names); 1-D outputs are bars.
#include <gtest/gtest.h>

#include <cmath>

#include "model/model_fixtures.hpp"
#include "plot/xml_check.hpp"
#include "stride/plot.hpp"

namespace stride::test {
namespace {

// What a drawn item measures, read back from its shapes.
struct Drawn {
  std::string shape;                  // the caption "26×26×32"
  std::vector<std::string> captions;  // the layer lines under it
  double height = 0, thickness = 0, depth_dx = 0;
};

std::vector<Drawn> drawn(const XmlElement& svg, const std::string& cls) {
  std::vector<Drawn> out;
  for (const XmlElement* g :
       svg.find_all([&](const XmlElement& e) { return e.name == "g" && e.has_class(cls); })) {
    Drawn d;
    for (const XmlElement& c : g->children) {
      if (c.name == "rect" && c.has_class("front")) {
        d.height = c.number("height");
        d.thickness = c.number("width");
      } else if (c.name == "path" && c.has_class("top")) {
        const std::vector<double> n = path_numbers(c.attr("d"));
        d.depth_dx = n.at(2) - n.at(0);
      } else if (c.name == "text" && c.has_class("shape")) {
        d.shape = c.text;
      } else if (c.name == "text") {
        d.captions.push_back(c.text);
      }
    }
    out.push_back(d);
  }
  return out;
}

std::string legend(const XmlElement& svg) {
  auto found = svg.find_all([](const XmlElement& e) { return e.has_class("legend"); });
  return found.empty() ? "" : found.front()->text;
}

TEST(VolumesPlot, MnistConvnetToScale) {
  const XmlElement svg = parse_xml(plot_volumes_svg(mnist_convnet()));
  EXPECT_EQ(svg.attr("viewBox"), "0 0 " + svg.attr("width") + " " + svg.attr("height"));
  const std::vector<Drawn> volumes = drawn(svg, "volume");
  const std::vector<Drawn> bars = drawn(svg, "bar");
  ASSERT_EQ(volumes.size(), 5u);  // the input and the four layers that make maps
  ASSERT_EQ(bars.size(), 2u);     // flatten (with dropout) and dense
  const char* shapes[] = {"28\u00d728\u00d71", "26\u00d726\u00d732", "13\u00d713\u00d732",
                          "11\u00d711\u00d764", "5\u00d75\u00d764"};
  const double rows[] = {28, 26, 13, 11, 5};
  const double channels[] = {1, 32, 32, 64, 64};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(volumes[i].shape, shapes[i]);
    // The largest side is 180 px: 180 / 28 px per row and column. Sizes are
    // read from coordinates written with two decimals.
    EXPECT_NEAR(volumes[i].height, rows[i] * 180 / 28, 0.011) << i;
    // Square maps: depth is half the height, receding at 45 degrees.
    EXPECT_NEAR(volumes[i].depth_dx, rows[i] * 180 / 28 * 0.5 / std::sqrt(2.0), 0.011) << i;
    // Channels span 1..64 (ratio 64): thickness 64 * sqrt(c / 64) px.
    EXPECT_NEAR(volumes[i].thickness, 64 * std::sqrt(channels[i] / 64), 0.011) << i;
  }
  EXPECT_EQ(volumes[0].captions, (std::vector<std::string>{"input_1", "input"}));
  EXPECT_EQ(volumes[1].captions, (std::vector<std::string>{"conv2d", "Conv2D"}));
  EXPECT_EQ(bars[0].shape, "1600");
  EXPECT_EQ(bars[0].captions,
            (std::vector<std::string>{"flatten", "Flatten", "+ dropout (Dropout)"}));
  EXPECT_EQ(bars[1].shape, "10");
  // Bars: 180 px for the longest, sqrt(10 / 1600) of that for 10 units.
  EXPECT_NEAR(bars[0].height, 180, 0.011);
  EXPECT_NEAR(bars[1].height, 180 * std::sqrt(10.0 / 1600), 0.011);
  EXPECT_NE(legend(svg).find("thickness \u221d \u221a channels"), std::string::npos) << legend(svg);
  EXPECT_NE(legend(svg).find("bars: height \u221d \u221a units"), std::string::npos);
}

TEST(VolumesPlot, RowsGiveHeightColumnsGiveDepth) {
  // 40 rows, 10 columns; channels 2 and 4 (ratio 2): a linear thickness.
  Sequential model;
  model.input({40, 10, 2}).add("Conv2D(4, 1)");
  const std::vector<Drawn> v = drawn(parse_xml(plot_volumes_svg(model)), "volume");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_NEAR(v[0].height, 180, 0.011);                                // 40 rows at 4.5 px
  EXPECT_NEAR(v[0].depth_dx, 10 * 4.5 * 0.5 / std::sqrt(2.0), 0.011);  // 10 columns
  EXPECT_NEAR(v[0].thickness, 32, 0.011);                              // 2 of 4 channels
  EXPECT_NEAR(v[1].thickness, 64, 0.011);
}

TEST(VolumesPlot, ChannelsFirstReadsChannelsFromTheFront) {
  Sequential model;
  model.input({2, 40, 10}).add("Conv2D(4, 1, data_format='channels_first')");
  const std::vector<Drawn> v = drawn(parse_xml(plot_volumes_svg(model)), "volume");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].shape, "2\u00d740\u00d710");
  EXPECT_NEAR(v[0].height, 180, 0.011);
  EXPECT_NEAR(v[0].thickness, 32, 0.011);
  EXPECT_NEAR(v[1].thickness, 64, 0.011);
}

TEST(VolumesPlot, VeryDifferentChannelCountsUseALogScale) {
  Sequential model;
  model.input({8, 8, 1}).add("Conv2D(2048, 1)");
  const XmlElement svg = parse_xml(plot_volumes_svg(model));
  const std::vector<Drawn> v = drawn(svg, "volume");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_NEAR(v[0].thickness, 64 * std::log(2.0) / std::log(2049.0), 0.011);
  EXPECT_NEAR(v[1].thickness, 64, 0.011);
  EXPECT_NE(legend(svg).find("log(1 + channels)"), std::string::npos) << legend(svg);
}

TEST(VolumesPlot, MoreRowsColumnsOrChannelsNeverDrawSmaller) {
  // Input and outputs with growing rows, columns and channels in turn.
  Sequential model;
  model.input({10, 10, 4});
  model.add("UpSampling2D((2, 1))");  // 20 x 10 x 4
  model.add("UpSampling2D((1, 2))");  // 20 x 20 x 4
  model.add("Conv2D(16, 1)");         // 20 x 20 x 16
  const std::vector<Drawn> v = drawn(parse_xml(plot_volumes_svg(model)), "volume");
  ASSERT_EQ(v.size(), 4u);
  EXPECT_GT(v[1].height, v[0].height);
  EXPECT_NEAR(v[1].depth_dx, v[0].depth_dx, 0.011);
  EXPECT_GT(v[2].depth_dx, v[1].depth_dx);
  EXPECT_NEAR(v[2].height, v[1].height, 0.011);
  EXPECT_GT(v[3].thickness, v[2].thickness);
  EXPECT_NEAR(v[3].height, v[2].height, 0.011);
}

TEST(VolumesPlot, NamesAreEscapedAndUnknownDimsDrawn) {
  Sequential model;
  model.input({kNone, kNone, 3}).add("Conv2D(8, 3, name='<b>&')");
  const std::string text = plot_volumes_svg(model);
  EXPECT_NE(text.find(">&lt;b&gt;&amp;</text>"), std::string::npos);
  const std::vector<Drawn> v = drawn(parse_xml(text), "volume");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].shape, "?\u00d7?\u00d78");
}

}  // namespace
}  // namespace stride::test
