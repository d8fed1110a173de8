// plot_model_svg: the layers as Keras's plot_model draws them, one box per
// layer in a column, with parameter counts added.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "model/summary_text.hpp"
#include "plot/layer_colors.hpp"
#include "plot/svg.hpp"
#include "stride/plot.hpp"

namespace stride {

namespace {

using plot::Anchor;
using plot::Font;
using plot::svg_number;

// What one box shows.
struct LayerBox {
  std::string class_name;
  std::string title;  // "conv2d (Conv2D)"
  std::string input_shape, output_shape;
  std::string footer_left, footer_right;  // "activation: relu", "params: 320"
  bool is_input = false;
};

const Font kTitleFont{plot::kSansFamily, 14, true};
const Font kLabelFont{plot::kSansFamily, 11};
const Font kShapeFont{plot::kSansFamily, 13, false, true};
const Font kFooterFont{plot::kSansFamily, 12};
const Font kHeadingFont{plot::kSansFamily, 16, true};

constexpr double kMargin = 24;
constexpr double kPad = 12;          // inside a box, left and right
constexpr double kTitleHeight = 30;  // the coloured band
constexpr double kShapesHeight = 46;
constexpr double kFooterHeight = 26;
constexpr double kBoxHeight = kTitleHeight + kShapesHeight + kFooterHeight;
constexpr double kGap = 34;  // between boxes: the arrow
constexpr double kHeadingHeight = 34;

std::string params_text(const Layer& layer) {
  std::string text = "params: " + summary_text::thousands(layer.count_params());
  if (layer.non_trainable_params() > 0)
    text +=
        fmt::format(" ({} non-trainable)", summary_text::thousands(layer.non_trainable_params()));
  return text;
}

std::vector<LayerBox> layer_boxes(const Sequential& model) {
  std::vector<LayerBox> boxes;
  const std::string input = shape_to_python(model.input_shape());
  boxes.push_back(
      {"InputLayer", model.input_name() + " (InputLayer)", input, input, "", "params: 0", true});
  for (const auto& layer : model.layers()) {
    LayerBox box{layer->class_name(),
                 summary_text::name_cell(*layer),
                 shape_to_python(layer->input_shape()),
                 shape_to_python(layer->output_shape()),
                 "",
                 params_text(*layer)};
    if (layer->config().has("activation"))
      box.footer_left = "activation: " + layer->config().activation();
    boxes.push_back(std::move(box));
  }
  return boxes;
}

// Wide enough for the longest text of any box, so the column is even.
double box_width(const std::vector<LayerBox>& boxes) {
  double width = 300;
  for (const LayerBox& b : boxes) {
    width = std::max(width, kTitleFont.text_width(b.title) + 2 * kPad);
    const double shape =
        std::max(kShapeFont.text_width(b.input_shape), kShapeFont.text_width(b.output_shape));
    width = std::max(width, 2 * (shape + 3 * kPad));
    width = std::max(width, kFooterFont.text_width(b.footer_left) +
                                kFooterFont.text_width(b.footer_right) + 3 * kPad);
  }
  return std::ceil(width);
}

void draw_box(plot::SvgDocument& svg, const LayerBox& box, double x, double y, double width) {
  svg.raw(box.is_input ? "<g class=\"input\">\n" : "<g class=\"layer\">\n");
  svg.rect(x, y, width, kBoxHeight, R"(fill="#ffffff" stroke="#5f6b73" stroke-width="1.2")", 6);
  // The coloured title band: rounded at the top only (a square strip covers
  // the lower corners).
  const std::string color = plot::layer_color(box.class_name);
  svg.rect(x, y, width, kTitleHeight, fmt::format(R"(fill="{}")", color), 6);
  svg.rect(x, y + kTitleHeight - 6, width, 6, fmt::format(R"(fill="{}")", color));
  svg.rect(x, y, width, kBoxHeight, R"(fill="none" stroke="#5f6b73" stroke-width="1.2")", 6);
  svg.text(x + width / 2, y + 20, box.title, kTitleFont, Anchor::kMiddle, R"(fill="#ffffff")");

  const double shapes_top = y + kTitleHeight;
  const double half = width / 2;
  svg.line(x + half, shapes_top, x + half, shapes_top + kShapesHeight,
           R"(stroke="#c9d0d5" stroke-width="1")");
  svg.line(x, shapes_top + kShapesHeight, x + width, shapes_top + kShapesHeight,
           R"(stroke="#c9d0d5" stroke-width="1")");
  const char* label_style = R"(fill="#6b7780")";
  const char* value_style = R"(fill="#1f2a30" class="shape")";
  svg.text(x + half / 2, shapes_top + 16, "input shape", kLabelFont, Anchor::kMiddle, label_style);
  svg.text(x + half + half / 2, shapes_top + 16, "output shape", kLabelFont, Anchor::kMiddle,
           label_style);
  svg.text(x + half / 2, shapes_top + 36, box.input_shape, kShapeFont, Anchor::kMiddle,
           value_style);
  svg.text(x + half + half / 2, shapes_top + 36, box.output_shape, kShapeFont, Anchor::kMiddle,
           value_style);

  const double footer_base = shapes_top + kShapesHeight + 18;
  if (!box.footer_left.empty())
    svg.text(x + kPad, footer_base, box.footer_left, kFooterFont, Anchor::kStart,
             R"(fill="#1f2a30")");
  svg.text(x + width - kPad, footer_base, box.footer_right, kFooterFont, Anchor::kEnd,
           R"(fill="#1f2a30" class="params")");
  svg.raw("</g>\n");
}

void draw_arrow(plot::SvgDocument& svg, double x, double y_from, double y_to) {
  svg.line(x, y_from, x, y_to - 8, R"(stroke="#5f6b73" stroke-width="1.6")");
  svg.path(fmt::format("M {} {} L {} {} L {} {} Z", svg_number(x - 6), svg_number(y_to - 9),
                       svg_number(x + 6), svg_number(y_to - 9), svg_number(x), svg_number(y_to)),
           R"(fill="#5f6b73")");
}

}  // namespace

std::string plot_model_svg(const Sequential& model) {
  model.ensure_built();
  const std::vector<LayerBox> boxes = layer_boxes(model);
  const double width = box_width(boxes);
  const std::string heading = fmt::format("Model: \"{}\"", model.name());
  const std::string totals = fmt::format("total params: {} (trainable {}, non-trainable {})",
                                         summary_text::thousands(model.count_params()),
                                         summary_text::thousands(model.trainable_params()),
                                         summary_text::thousands(model.non_trainable_params()));
  const double page_width = 2 * kMargin + std::max({width, kHeadingFont.text_width(heading),
                                                    kFooterFont.text_width(totals)});
  const double x = (page_width - width) / 2;

  plot::SvgDocument svg;
  svg.text(page_width / 2, kMargin + 14, heading, kHeadingFont, Anchor::kMiddle,
           R"(fill="#1f2a30")");
  double y = kMargin + kHeadingHeight;
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    if (i > 0) {
      draw_arrow(svg, page_width / 2, y, y + kGap);
      y += kGap;
    }
    draw_box(svg, boxes[i], x, y, width);
    y += kBoxHeight;
  }
  y += 26;
  svg.text(page_width / 2, y, totals, kFooterFont, Anchor::kMiddle, R"(fill="#1f2a30")");
  return svg.finish(page_width, y + kMargin, heading);
}

}  // namespace stride
