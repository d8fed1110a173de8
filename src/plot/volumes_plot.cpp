// plot_volumes_svg: the feature maps as boxes in oblique projection, left to
// right, one scale for the whole picture.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "plot/layer_colors.hpp"
#include "plot/svg.hpp"
#include "stride/plot.hpp"

namespace stride {

namespace {

using plot::Anchor;
using plot::Font;
using plot::svg_number;

const Font kHeadingFont{plot::kSansFamily, 16, true};
const Font kShapeFont{plot::kSansFamily, 13, true};
const Font kCaptionFont{plot::kSansFamily, 12};
const Font kLegendFont{plot::kSansFamily, 12};

constexpr double kMargin = 24;
constexpr double kMaxSide = 180;      // pixels of the largest height or width
constexpr double kMinSide = 3;        // so that a 1x1 map stays visible
constexpr double kMaxThickness = 64;  // pixels of the most channels
constexpr double kMinThickness = 3;
constexpr double kDepthFactor = 0.5;  // a column recedes half as far as a row rises
constexpr double kBarThickness = 14;
constexpr double kGap = 44;  // between items: the arrow

// One drawn item: the input or a layer that changes the shape, with the
// layers after it that keep that shape.
struct Item {
  std::string class_name;
  std::vector<std::string> captions;  // "conv2d (Conv2D)", "+ dropout (Dropout)"
  Shape shape;
  bool channels_first = false;
};

// A map's rows, columns and channels, or a bar's units.
struct Extent {
  bool bar = false;
  double rows = 1, cols = 1, channels = 1, units = 1;
};

double known(Dim d) {
  return d == kNone ? 1.0 : static_cast<double>(d);
}

Extent extent_of(const Item& item) {
  const Shape& s = item.shape;
  Extent e;
  const std::size_t rank = s.size() - 1;  // without the batch dim
  if (rank == 2) {                        // (steps, channels): a plate one column deep
    e.rows = known(item.channels_first ? s[2] : s[1]);
    e.channels = known(item.channels_first ? s[1] : s[2]);
  } else if (rank == 3 || rank == 4) {  // (H, W, C); of (D, H, W, C) the last three
    const std::size_t n = s.size();
    if (item.channels_first) {
      e.channels = known(s[1]), e.rows = known(s[n - 2]), e.cols = known(s[n - 1]);
    } else {
      e.rows = known(s[n - 3]), e.cols = known(s[n - 2]), e.channels = known(s[n - 1]);
    }
  } else {
    e.bar = true;
    for (std::size_t i = 1; i < s.size(); ++i) e.units *= known(s[i]);
  }
  return e;
}

// How channels become thickness: the legend names the rule.
enum class ChannelScale { kLinear, kSqrt, kLog };

struct Scales {
  double pixels_per_cell = 1;  // rows and columns
  double max_channels = 1, max_units = 1;
  ChannelScale channels = ChannelScale::kLinear;

  double side(double cells) const { return std::max(kMinSide, cells * pixels_per_cell); }
  double thickness(double c) const {
    double t = 0;
    switch (channels) {
      case ChannelScale::kLinear:
        t = c / max_channels;
        break;
      case ChannelScale::kSqrt:
        t = std::sqrt(c / max_channels);
        break;
      case ChannelScale::kLog:
        t = std::log1p(c) / std::log1p(max_channels);
        break;
    }
    return std::max(kMinThickness, t * kMaxThickness);
  }
  double bar_height(double units) const {
    return std::max(kMinSide, std::sqrt(units / max_units) * kMaxSide);
  }
};

Scales scales_for(const std::vector<Extent>& extents) {
  Scales s;
  double max_side = 0, min_channels = INFINITY;
  for (const Extent& e : extents) {
    if (e.bar) {
      s.max_units = std::max(s.max_units, e.units);
      continue;
    }
    max_side = std::max({max_side, e.rows, e.cols});
    s.max_channels = std::max(s.max_channels, e.channels);
    min_channels = std::min(min_channels, e.channels);
  }
  if (max_side > 0) s.pixels_per_cell = kMaxSide / max_side;
  const double ratio = std::isfinite(min_channels) ? s.max_channels / min_channels : 1;
  s.channels = ratio <= 8      ? ChannelScale::kLinear
               : ratio <= 1024 ? ChannelScale::kSqrt
                               : ChannelScale::kLog;
  return s;
}

// Projected size of an item: front face thickness x height, receding depth.
struct Geometry {
  double thickness, height, dx, dy;
  double width() const { return thickness + dx; }
  double total_height() const { return height + dy; }
};

Geometry geometry_of(const Extent& e, const Scales& s) {
  if (e.bar) return {kBarThickness, s.bar_height(e.units), 0, 0};
  const double depth = s.side(e.cols) * kDepthFactor;
  // 45 degrees up and to the right.
  return {s.thickness(e.channels), s.side(e.rows), depth * M_SQRT1_2, depth * M_SQRT1_2};
}

// A hex colour mixed with white (t > 0) or black (t < 0).
std::string shade(const char* hex, double t) {
  unsigned rgb = 0;
  std::sscanf(hex + 1, "%6x", &rgb);
  std::string out = "#";
  for (int shift : {16, 8, 0}) {
    const double c = (rgb >> shift) & 0xFF;
    const double mixed = t >= 0 ? c + (255 - c) * t : c * (1 + t);
    out += fmt::format("{:02x}", static_cast<unsigned>(std::lround(mixed)));
  }
  return out;
}

std::string polygon(std::initializer_list<std::pair<double, double>> points) {
  std::string d;
  for (const auto& [x, y] : points)
    d += fmt::format("{}{} {} ", d.empty() ? "M " : "L ", svg_number(x), svg_number(y));
  return d + "Z";
}

// The box with its front face's top-left corner at (x, y).
void draw_volume(plot::SvgDocument& svg, const Geometry& g, const char* color, double x, double y) {
  const double t = g.thickness, h = g.height, dx = g.dx, dy = g.dy;
  const char* edge = R"(stroke="#2f3a40" stroke-width="0.8" stroke-linejoin="round")";
  svg.rect(x, y, t, h, fmt::format(R"(class="front" fill="{}" {})", color, edge));
  if (dx <= 0) return;
  svg.path(polygon({{x, y}, {x + dx, y - dy}, {x + t + dx, y - dy}, {x + t, y}}),
           fmt::format(R"(class="top" fill="{}" {})", shade(color, 0.45), edge));
  svg.path(polygon({{x + t, y}, {x + t + dx, y - dy}, {x + t + dx, y + h - dy}, {x + t, y + h}}),
           fmt::format(R"(class="side" fill="{}" {})", shade(color, -0.25), edge));
}

std::string shape_text(const Shape& shape) {
  std::string text;
  for (std::size_t i = 1; i < shape.size(); ++i)
    text +=
        (i > 1 ? "\u00d7" : "") + (shape[i] == kNone ? std::string("?") : std::to_string(shape[i]));
  return text.empty() ? "scalar" : text;
}

// Layers that change values but not the picture: drawn as a caption under
// the map they keep, not as a second copy of it.
bool keeps_maps(const Layer& layer) {
  if (layer.output_shape() != layer.input_shape()) return false;
  for (const char* part :
       {"Dropout", "Noise", "Normalization", "Activation", "ReLU", "ELU", "Softmax"})
    if (layer.class_name().find(part) != std::string::npos) return true;
  return false;
}

bool channels_first_of(const Layer& layer, bool before) {
  return layer.config().has("data_format") ? layer.config().channels_first() : before;
}

std::vector<Item> items_of(const Sequential& model) {
  std::vector<Item> items;
  bool channels_first = false;
  for (const auto& layer : model.layers())
    if (layer->config().has("data_format")) {
      channels_first = layer->config().channels_first();
      break;
    }
  items.push_back(
      {"InputLayer", {model.input_name(), "input"}, model.input_shape(), channels_first});
  for (const auto& layer : model.layers()) {
    channels_first = channels_first_of(*layer, channels_first);
    if (keeps_maps(*layer))
      items.back().captions.push_back(fmt::format("+ {} ({})", layer->name(), layer->class_name()));
    else  // name and class on two lines keep the columns narrow
      items.push_back({layer->class_name(),
                       {layer->name(), layer->class_name()},
                       layer->output_shape(),
                       channels_first});
  }
  return items;
}

std::string legend_text(const Scales& s, bool any_bar, bool any_volume) {
  std::string text;
  if (any_volume) {
    const char* rule = s.channels == ChannelScale::kLinear ? "channels"
                       : s.channels == ChannelScale::kSqrt ? "\u221a channels"
                                                           : "log(1 + channels)";
    text =
        fmt::format("height \u221d rows, depth \u221d columns ({} px per row), thickness \u221d {}",
                    svg_number(s.pixels_per_cell), rule);
  }
  if (any_bar) text += std::string(text.empty() ? "" : "; ") + "bars: height \u221d \u221a units";
  return text;
}

}  // namespace

std::string plot_volumes_svg(const Sequential& model) {
  model.ensure_built();
  const std::vector<Item> items = items_of(model);
  std::vector<Extent> extents;
  for (const Item& item : items) extents.push_back(extent_of(item));
  const Scales scales = scales_for(extents);

  std::vector<Geometry> shapes;
  double tallest = 0;
  bool any_bar = false, any_volume = false;
  for (const Extent& e : extents) {
    shapes.push_back(geometry_of(e, scales));
    tallest = std::max(tallest, shapes.back().total_height());
    (e.bar ? any_bar : any_volume) = true;
  }
  // Each item's slot: as wide as its drawing or its longest caption line.
  std::vector<double> slot;
  std::size_t caption_lines = 1;
  for (std::size_t i = 0; i < items.size(); ++i) {
    double w = std::max(shapes[i].width(), kShapeFont.text_width(shape_text(items[i].shape)));
    for (const std::string& c : items[i].captions) w = std::max(w, kCaptionFont.text_width(c));
    slot.push_back(std::ceil(w));
    caption_lines = std::max(caption_lines, 1 + items[i].captions.size());
  }
  const std::string heading = fmt::format("Model: \"{}\", feature maps", model.name());
  const std::string legend = legend_text(scales, any_bar, any_volume);
  double content = -kGap;
  for (double w : slot) content += w + kGap;
  const double width = 2 * kMargin + std::max({content, kHeadingFont.text_width(heading),
                                               kLegendFont.text_width(legend)});

  plot::SvgDocument svg;
  svg.text(kMargin, kMargin + 14, heading, kHeadingFont, Anchor::kStart, R"(fill="#1f2a30")");
  const double middle = kMargin + 44 + tallest / 2;  // the line every item is centred on
  const double caption_top = middle + tallest / 2 + 24;
  double x = kMargin + (width - 2 * kMargin - content) / 2;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Geometry& g = shapes[i];
    const double left = x + (slot[i] - g.width()) / 2;
    const double top = middle - g.total_height() / 2 + g.dy;  // the front face's top
    svg.raw(fmt::format("<g class=\"{}\">\n", extents[i].bar ? "bar" : "volume"));
    draw_volume(svg, g, plot::layer_color(items[i].class_name), left, top);
    const double centre = x + slot[i] / 2;
    svg.text(centre, caption_top, shape_text(items[i].shape), kShapeFont, Anchor::kMiddle,
             R"(fill="#1f2a30" class="shape")");
    for (std::size_t k = 0; k < items[i].captions.size(); ++k)
      svg.text(centre, caption_top + 18 * static_cast<double>(k + 1), items[i].captions[k],
               kCaptionFont, Anchor::kMiddle, k == 0 ? R"(fill="#1f2a30")" : R"(fill="#6b7780")");
    svg.raw("</g>\n");
    if (i + 1 < items.size()) {
      const double from = left + g.width() + 6;
      const double to = x + slot[i] + kGap + (slot[i + 1] - shapes[i + 1].width()) / 2 - 6;
      svg.line(from, middle, to - 7, middle, R"(stroke="#8a969e" stroke-width="1.5")");
      svg.path(polygon({{to - 8, middle - 5}, {to, middle}, {to - 8, middle + 5}}),
               R"(fill="#8a969e")");
    }
    x += slot[i] + kGap;
  }
  const double legend_y = caption_top + 18 * static_cast<double>(caption_lines) + 16;
  svg.text(kMargin, legend_y, legend, kLegendFont, Anchor::kStart,
           R"(fill="#4a555c" class="legend")");
  return svg.finish(width, legend_y + kMargin, heading);
}

}  // namespace stride
