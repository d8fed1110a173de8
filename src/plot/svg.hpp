// A small SVG writer shared by the model and history pictures: elements are
// appended as text, every attribute value and text node XML-escaped, and the
// document is closed with width, height and a matching viewBox.
#pragma once

#include <string>
#include <string_view>

namespace stride::plot {

// Text escaped for XML content and attribute values: & < > " '.
std::string xml_escape(std::string_view text);

// A number as SVG wants it: at most two decimals, no trailing zeros, "0" for
// negative zero (the output is byte-stable across runs).
std::string svg_number(double value);

// The fonts of the pictures. Widths are estimated from the character count
// with a generous per-character advance (DejaVu Sans, the widest common
// fallback), so that boxes are sized to their content without font metrics.
struct Font {
  const char* family;
  double size;
  bool bold = false;
  bool mono = false;
  double text_width(std::string_view text) const;
};
inline constexpr const char* kSansFamily = "DejaVu Sans, Verdana, Arial, sans-serif";
inline constexpr const char* kMonoFamily = "DejaVu Sans Mono, Menlo, Consolas, monospace";

enum class Anchor { kStart, kMiddle, kEnd };

class SvgDocument {
 public:
  // Appends raw markup (already escaped): used for <defs> and groups.
  void raw(std::string_view markup) { body_ += markup; }
  // `style` is the rest of the attributes, e.g. fill="#fff" stroke="#000"
  // (written by the caller from constants, never from user input).
  void rect(double x, double y, double w, double h, std::string_view style, double radius = 0);
  void line(double x1, double y1, double x2, double y2, std::string_view style);
  // A closed or open path from "M x y L ..." data built with svg_number.
  void path(std::string_view data, std::string_view style);
  // `text` is user input (layer names): escaped here. y is the baseline.
  void text(double x, double y, std::string_view text, const Font& font,
            Anchor anchor = Anchor::kStart, std::string_view style = "");

  // The whole document: <?xml?> prolog, <svg> with width/height/viewBox of
  // the given size, a white background, the body, </svg>.
  std::string finish(double width, double height, std::string_view title) const;

 private:
  std::string body_;
};

}  // namespace stride::plot
