// plot_model_svg: a well-formed SVG sized to its content, one box per layer
// with what Keras's model.summary() prints for it (names, shapes, counts of
// the MNIST convnet as in the README's Keras table), names escaped.
#include <gtest/gtest.h>

#include "model/model_fixtures.hpp"
#include "plot/xml_check.hpp"
#include "stride/plot.hpp"

namespace stride::test {
namespace {

std::vector<const XmlElement*> groups(const XmlElement& svg, const std::string& cls) {
  return svg.find_all([&](const XmlElement& e) { return e.name == "g" && e.has_class(cls); });
}

// The texts of a group in document order.
std::vector<std::string> texts(const XmlElement& group) {
  std::vector<std::string> out;
  for (const XmlElement* t : group.find_all([](const XmlElement& e) { return e.name == "text"; }))
    out.push_back(t->text);
  return out;
}

void expect_sized_to_view_box(const XmlElement& svg) {
  ASSERT_EQ(svg.name, "svg");
  EXPECT_EQ(svg.attr("xmlns"), "http://www.w3.org/2000/svg");
  const double w = svg.number("width"), h = svg.number("height");
  EXPECT_GT(w, 0);
  EXPECT_GT(h, 0);
  EXPECT_EQ(svg.attr("viewBox"), "0 0 " + svg.attr("width") + " " + svg.attr("height"));
}

TEST(ModelPlot, MnistConvnetHasOneBoxPerLayerWithKerasShapesAndCounts) {
  const Sequential model = mnist_convnet();
  const XmlElement svg = parse_xml(plot_model_svg(model));
  expect_sized_to_view_box(svg);
  const auto inputs = groups(svg, "input");
  const auto boxes = groups(svg, "layer");
  ASSERT_EQ(inputs.size(), 1u);
  ASSERT_EQ(boxes.size(), 7u);
  EXPECT_EQ(texts(*inputs[0]),
            (std::vector<std::string>{"input_1 (InputLayer)", "input shape", "output shape",
                                      "(None, 28, 28, 1)", "(None, 28, 28, 1)", "params: 0"}));
  // Keras's summary of this model (README): name (class), output shape, params.
  struct Row {
    const char* title;
    const char* input;
    const char* output;
    const char* activation;
    const char* params;
  };
  const Row rows[] = {
      {"conv2d (Conv2D)", "(None, 28, 28, 1)", "(None, 26, 26, 32)", "activation: relu",
       "params: 320"},
      {"max_pooling2d (MaxPooling2D)", "(None, 26, 26, 32)", "(None, 13, 13, 32)", nullptr,
       "params: 0"},
      {"conv2d_1 (Conv2D)", "(None, 13, 13, 32)", "(None, 11, 11, 64)", "activation: relu",
       "params: 18,496"},
      {"max_pooling2d_1 (MaxPooling2D)", "(None, 11, 11, 64)", "(None, 5, 5, 64)", nullptr,
       "params: 0"},
      {"flatten (Flatten)", "(None, 5, 5, 64)", "(None, 1600)", nullptr, "params: 0"},
      {"dropout (Dropout)", "(None, 1600)", "(None, 1600)", nullptr, "params: 0"},
      {"dense (Dense)", "(None, 1600)", "(None, 10)", "activation: softmax", "params: 16,010"},
  };
  for (std::size_t i = 0; i < 7; ++i) {
    std::vector<std::string> want = {rows[i].title, "input shape", "output shape", rows[i].input,
                                     rows[i].output};
    if (rows[i].activation) want.push_back(rows[i].activation);
    want.push_back(rows[i].params);
    EXPECT_EQ(texts(*boxes[i]), want) << "box " << i;
  }
  EXPECT_NE(svg.all_text().find("total params: 34,826 (trainable 34,826, non-trainable 0)"),
            std::string::npos);
}

TEST(ModelPlot, BoxesAreStackedTopToBottomInsideThePicture) {
  const XmlElement svg = parse_xml(plot_model_svg(mnist_convnet()));
  const double width = svg.number("width"), height = svg.number("height");
  double previous_bottom = 0;
  for (const XmlElement* g : svg.find_all(
           [](const XmlElement& e) { return e.has_class("layer") || e.has_class("input"); })) {
    const XmlElement& outline = g->children.front();  // the box's rect
    ASSERT_EQ(outline.name, "rect");
    const double x = outline.number("x"), y = outline.number("y");
    EXPECT_GT(x, 0);
    EXPECT_LT(x + outline.number("width"), width);
    EXPECT_GT(y, previous_bottom);
    previous_bottom = y + outline.number("height");
  }
  EXPECT_LT(previous_bottom, height);
}

TEST(ModelPlot, NonTrainableParametersAreCounted) {
  Sequential model;
  model.input({4, 4, 3});
  model.add("BatchNormalization()");
  const XmlElement svg = parse_xml(plot_model_svg(model));
  // gamma, beta trainable (3 + 3), moving mean and variance not (3 + 3).
  EXPECT_EQ(texts(*groups(svg, "layer")[0]).back(), "params: 12 (6 non-trainable)");
}

TEST(ModelPlot, LayerNamesAreEscaped) {
  Sequential model;
  model.input({4});
  model.add(R"(Dense(3, name='a<b>&"c\'d'))");
  const std::string text = plot_model_svg(model);
  EXPECT_NE(text.find("a&lt;b&gt;&amp;&quot;c&apos;d (Dense)"), std::string::npos) << text;
  const XmlElement svg = parse_xml(text);
  EXPECT_EQ(texts(*groups(svg, "layer")[0]).front(), "a<b>&\"c'd (Dense)");
}

TEST(ModelPlot, LongNamesWidenEveryBox) {
  Sequential short_names, long_names;
  for (Sequential* m : {&short_names, &long_names}) m->input({4});
  short_names.add("Dense(3)");
  long_names.add("Dense(3, name='" + std::string(120, 'x') + "')");
  const XmlElement a = parse_xml(plot_model_svg(short_names));
  const XmlElement b = parse_xml(plot_model_svg(long_names));
  // 120 bold characters at 14 px need more than 120 * 14 * 0.5 px.
  EXPECT_GT(b.number("width"), 120 * 14 * 0.5);
  EXPECT_GT(b.number("width"), a.number("width"));
  for (const XmlElement* g : groups(b, "layer"))
    EXPECT_GT(g->children.front().number("width"), 120 * 14 * 0.5);
}

TEST(ModelPlot, ModelWithoutInputIsAnError) {
  Sequential model;
  model.add("Dense(3)");
  EXPECT_NE(error_of([&] { (void)plot_model_svg(model); }).find("no input shape"),
            std::string::npos);
}

TEST(XmlCheck, RejectsMalformedDocuments) {
  // The checker itself must be able to fail.
  EXPECT_THROW(parse_xml("<svg><text>a < b</text></svg>"), std::runtime_error);
  EXPECT_THROW(parse_xml("<svg><g></svg>"), std::runtime_error);
  EXPECT_THROW(parse_xml("<svg a=1/>"), std::runtime_error);
  EXPECT_THROW(parse_xml("<svg a=\"1\" a=\"2\"/>"), std::runtime_error);
  EXPECT_THROW(parse_xml("<svg>&nbsp;</svg>"), std::runtime_error);
  EXPECT_THROW(parse_xml("<svg/><svg/>"), std::runtime_error);
  EXPECT_NO_THROW(parse_xml("<?xml version=\"1.0\"?>\n<svg a=\"&lt;&amp;\"><t>x&gt;</t></svg>\n"));
}

}  // namespace
}  // namespace stride::test
