#include "plot/svg.hpp"

#include <fmt/format.h>

#include <cmath>

#include "io/binary_file.hpp"
#include "stride/plot.hpp"

namespace stride::plot {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting text[i], or 0 if it is not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  unsigned min_code = 0;
  if (lead >= 0xC2 && lead <= 0xDF)
    length = 2, min_code = 0x80;
  else if (lead >= 0xE0 && lead <= 0xEF)
    length = 3, min_code = 0x800;
  else if (lead >= 0xF0 && lead <= 0xF4)
    length = 4, min_code = 0x10000;
  else
    return 0;
  if (i + length > text.size()) return 0;
  unsigned code = lead & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
  return code >= min_code && code <= 0x10FFFF && !surrogate ? length : 0;
}

std::size_t code_points(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

const char* anchor_name(Anchor anchor) {
  switch (anchor) {
    case Anchor::kMiddle:
      return "middle";
    case Anchor::kEnd:
      return "end";
    default:
      return "start";
  }
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      // Invalid UTF-8 would make the whole document unreadable: replace it.
      const std::size_t length = utf8_sequence_length(text, i);
      if (length == 0) {
        out += kReplacement;
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 has no way to write other control characters, not even as &#N;.
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
          out += kReplacement;
        else
          out += static_cast<char>(c);
    }
    ++i;
  }
  return out;
}

std::string svg_number(double value) {
  if (!std::isfinite(value)) value = 0;
  std::string text = fmt::format("{:.2f}", value);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text == "-0" ? "0" : text;
}

double Font::text_width(std::string_view text) const {
  // Advance widths in em: DejaVu Sans Mono 0.602; DejaVu Sans averages
  // about 0.6 over lowercase letters and digits, bold a little more.
  const double em = mono ? 0.61 : bold ? 0.68 : 0.62;
  return static_cast<double>(code_points(text)) * em * size;
}

void SvgDocument::rect(double x, double y, double w, double h, std::string_view style,
                       double radius) {
  body_ += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}")", svg_number(x),
                       svg_number(y), svg_number(w), svg_number(h));
  if (radius > 0) body_ += fmt::format(R"( rx="{}")", svg_number(radius));
  body_ += fmt::format(" {}/>\n", style);
}

void SvgDocument::line(double x1, double y1, double x2, double y2, std::string_view style) {
  body_ += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" {}/>)"
                       "\n",
                       svg_number(x1), svg_number(y1), svg_number(x2), svg_number(y2), style);
}

void SvgDocument::path(std::string_view data, std::string_view style) {
  body_ += fmt::format(R"(<path d="{}" {}/>)"
                       "\n",
                       data, style);
}

void SvgDocument::text(double x, double y, std::string_view text, const Font& font, Anchor anchor,
                       std::string_view style) {
  body_ += fmt::format(R"(<text x="{}" y="{}" font-family="{}" font-size="{}")", svg_number(x),
                       svg_number(y), font.mono ? kMonoFamily : font.family, svg_number(font.size));
  if (font.bold) body_ += R"( font-weight="bold")";
  if (anchor != Anchor::kStart) body_ += fmt::format(R"( text-anchor="{}")", anchor_name(anchor));
  if (!style.empty()) body_ += fmt::format(" {}", style);
  body_ += fmt::format(">{}</text>\n", xml_escape(text));
}

std::string SvgDocument::finish(double width, double height, std::string_view title) const {
  const std::string w = svg_number(std::ceil(width)), h = svg_number(std::ceil(height));
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}">)"
      "\n",
      w, h);
  out += fmt::format("<title>{}</title>\n", xml_escape(title));
  out += fmt::format(R"(<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/>)"
                     "\n",
                     w, h);
  out += body_;
  out += "</svg>\n";
  return out;
}

}  // namespace stride::plot

namespace stride {

void write_svg(const std::string& path, const std::string& svg) {
  write_file_atomically(path, svg);
}

}  // namespace stride
