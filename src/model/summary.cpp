// model.summary(): the style dispatch, the JSON form and the text helpers the
// Keras 2 (summary_keras2.cpp) and Keras 3 (summary_keras3.cpp) printers share.
#include <fmt/format.h>

#include "summary_text.hpp"

namespace stride {
namespace summary_text {

std::u32string decode(std::string_view utf8) {
  std::u32string out;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    const std::size_t extra = lead < 0x80 ? 0 : lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
    bool ok = (lead < 0x80 || lead >= 0xC0) && i + extra < utf8.size() + (extra == 0);
    for (std::size_t k = 1; ok && k <= extra; ++k)
      ok = (static_cast<unsigned char>(utf8[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      // A stray or cut-short byte sequence: names come from user files, so
      // show U+FFFD rather than fail.
      out += U'\uFFFD';
      ++i;
      continue;
    }
    char32_t c = extra == 0 ? lead : lead & (0x3F >> extra);
    for (std::size_t k = 1; k <= extra; ++k)
      c = (c << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    out += c;
    i += extra + 1;
  }
  return out;
}

std::string encode(std::u32string_view text) {
  std::string out;
  for (char32_t c : text) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::string thousands(Dim n) {
  const std::string digits = std::to_string(n);
  const std::size_t sign = n < 0 ? 1 : 0;
  std::string out = digits.substr(0, sign);
  for (std::size_t i = sign; i < digits.size(); ++i) {
    if (i > sign && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string readable_size(double bytes, const char* byte_unit) {
  const char* units[] = {byte_unit, "KB", "MB", "GB", "TB", "PB"};
  for (const char* unit : units) {
    if (bytes / 1024 < 1) return fmt::format("{:.2f} {}", bytes, unit);
    bytes /= 1024;
  }
  return fmt::format("{:.2f} {}", bytes, units[5]);
}

int column_end(double pos, int line_length) {
  return static_cast<int>(pos * static_cast<double>(line_length));
}

void check_line_length(int line_length) {
  // Keras accepts any positive int; a million columns is no terminal and
  // would only allocate.
  if (line_length < 0 || line_length > 100000)
    throw Error(
        fmt::format("summary: line_length must be between 1 and 100000, got {}", line_length));
}

std::string name_cell(const Layer& layer) {
  return fmt::format("{} ({})", layer.name(), layer.class_name());
}

}  // namespace summary_text

std::string Sequential::summary(const SummaryOptions& options) const {
  summary_text::check_line_length(options.line_length);
  ensure_built();
  switch (options.style) {
    case SummaryStyle::kKeras3:
      return summary_text::keras3_summary(*this, options);
    case SummaryStyle::kKeras2:
    case SummaryStyle::kKeras2_12:
    case SummaryStyle::kKeras2_15:
      break;
  }
  return summary_text::keras2_summary(*this, options.style, options.line_length);
}

Json Sequential::summary_json() const {
  ensure_built();
  Json layers = Json::array();
  for (const auto& layer : layers_) {
    Json shape = Json::array();
    for (Dim d : layer->output_shape()) shape.push_back(d == kNone ? Json(nullptr) : Json(d));
    layers.push_back({{"name", layer->name()},
                      {"class_name", layer->class_name()},
                      {"output_shape", shape},
                      {"params", layer->count_params()},
                      {"trainable_params", layer->trainable_params()},
                      {"non_trainable_params", layer->non_trainable_params()}});
  }
  return Json{{"name", name_},
              {"layers", layers},
              {"total_params", count_params()},
              {"trainable_params", trainable_params()},
              {"non_trainable_params", non_trainable_params()}};
}

}  // namespace stride
