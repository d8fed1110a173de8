// The Keras 2 summary tables (keras/utils/layer_utils.py, print_summary), in
// its three generations (reference §4.1-§4.4):
//   K2-A (<= 2.6): each field cut at its column end;
//   K2-B (2.7-2.12): fields wrap over several physical lines;
//   K2-C (2.13-2.15): narrower wrapping, footer with memory sizes.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "summary_text.hpp"

namespace stride::summary_text {
namespace {

using Fields = std::array<std::u32string, 3>;
using Ends = std::array<int, 3>;

void pad_to(std::u32string& line, int target) {
  if (static_cast<int>(line.size()) < target) line.append(target - line.size(), U' ');
}

// K2-A print_row: before each further column the last character of the line
// becomes a space, the field is appended, the line cut to the column end and
// padded to it.
std::u32string cut_row(const Fields& fields, const Ends& ends) {
  std::u32string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) {
      if (!line.empty()) line.pop_back();  // Python: line[:-1] + ' '
      line += U' ';
    }
    line += fields[i];
    if (static_cast<int>(line.size()) > ends[i]) line.resize(ends[i]);
    pad_to(line, ends[i]);
  }
  return line;
}

// The characters of column c a K2-B / K2-C physical line holds.
int wrap_width(std::size_t c, const Ends& ends, bool keras2_15) {
  const bool last = c + 1 == ends.size();
  const int start = c == 0 ? 0 : ends[c - 1];
  int width = ends[c] - start - (last ? 0 : 2);
  if (keras2_15 && !last) width -= 1;
  return width;
}

// K2-B / K2-C print_row: one physical line per round, each column taking the
// next chunk of its text (ended early after "),", "},", "]," or "',"), every
// line starting with one space.
std::vector<std::u32string> wrap_row(Fields fields, const Ends& ends, bool keras2_15) {
  std::vector<std::u32string> lines;
  auto pending = [&] {
    return std::any_of(fields.begin(), fields.end(), [](const auto& f) { return !f.empty(); });
  };
  while (pending()) {
    std::u32string line;
    for (std::size_t c = 0; c < fields.size(); ++c) {
      const bool last = c + 1 == fields.size();
      std::size_t width = static_cast<std::size_t>(wrap_width(c, ends, keras2_15));
      std::u32string chunk = fields[c].substr(0, width);
      std::size_t cut = std::u32string::npos;
      for (std::u32string_view marker : {U"),", U"},", U"],", U"',"}) {
        const std::size_t at = chunk.find(marker);
        if (at != std::u32string::npos) cut = std::min(cut, at + 2);
      }
      if (cut != std::u32string::npos) {
        width = cut;
        chunk.resize(cut);
      }
      if (c == 0) line += U' ';
      line += chunk;
      if (!last) line += U"  ";
      fields[c].erase(0, std::min(width, fields[c].size()));
      pad_to(line, ends[c]);  // never cut back: a full column 0 shifts the rest
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

Ends column_ends(int line_length, SummaryStyle style) {
  Ends ends{column_end(0.45, line_length), column_end(0.85, line_length), line_length};
  if (style != SummaryStyle::kKeras2) {
    // Keras slices with the width; a width below 1 would never finish a row.
    for (std::size_t c = 0; c < ends.size(); ++c)
      if (wrap_width(c, ends, style == SummaryStyle::kKeras2_15) < 1)
        throw Error(fmt::format(
            "summary: line_length {} is too small for the Keras 2 table: column {} would hold "
            "no characters",
            line_length, c));
  }
  return ends;
}

}  // namespace

std::string keras2_summary(const Sequential& model, SummaryStyle style, int line_length) {
  const int length = line_length > 0 ? line_length : 65;
  const Ends ends = column_ends(length, style);
  const bool cut = style == SummaryStyle::kKeras2;
  const bool keras2_15 = style == SummaryStyle::kKeras2_15;

  std::string out;
  auto emit = [&](const std::u32string& line) { out += encode(line) + '\n'; };
  auto emit_row = [&](const Fields& fields) {
    if (cut) {
      emit(cut_row(fields, ends));
    } else {
      for (const auto& line : wrap_row(fields, ends, keras2_15)) emit(line);
    }
  };
  const std::u32string underscores(length, U'_'), equals(length, U'='), blanks(length, U' ');

  out += fmt::format("Model: \"{}\"\n", model.name());
  emit(underscores);
  emit_row({U"Layer (type)", U"Output Shape", U"Param #"});
  emit(equals);
  const auto& layers = model.layers();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& layer = *layers[i];
    emit_row({decode(name_cell(layer)), decode(shape_to_python(layer.output_shape())),
              decode(std::to_string(layer.count_params()))});
    if (cut) {
      emit(i + 1 == layers.size() ? equals : underscores);
    } else {
      emit(blanks);
    }
  }
  if (!cut) emit(equals);

  const Dim trainable = model.trainable_params(), frozen = model.non_trainable_params();
  const Dim total = model.count_params();
  if (keras2_15) {
    // float32 weights: 4 bytes per parameter.
    auto size = [](Dim n) { return readable_size(static_cast<double>(n) * 4.0, "Byte"); };
    out += fmt::format("Total params: {} ({})\n", total, size(total));
    out += fmt::format("Trainable params: {} ({})\n", trainable, size(trainable));
    out += fmt::format("Non-trainable params: {} ({})\n", frozen, size(frozen));
  } else {
    out += fmt::format("Total params: {}\n", thousands(total));
    out += fmt::format("Trainable params: {}\n", thousands(trainable));
    out += fmt::format("Non-trainable params: {}\n", thousands(frozen));
  }
  emit(underscores);
  return out;
}

}  // namespace stride::summary_text
