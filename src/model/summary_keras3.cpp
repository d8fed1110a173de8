// The Keras 3 summary (keras/src/utils/summary_utils.py, print_summary): a
// rich Table with fixed column widths, HEAVY_HEAD box and a rule between
// rows, rendered here without rich (reference §4.5). The width and wrapping
// rules follow rich's table.py (_calculate_column_widths), _ratio.py
// (ratio_reduce), _wrap.py (divide_line) and text.py (wrap, truncate).
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "summary_text.hpp"

namespace stride::summary_text {
namespace {

constexpr std::size_t kColumns = 3;
using Cells = std::array<std::u32string, kColumns>;

enum class Justify { kLeft, kRight };
constexpr std::array<Justify, kColumns> kJustify{Justify::kLeft, Justify::kLeft, Justify::kRight};

// Python's round(a / b) for a >= 0, b > 0: half to even.
Dim round_half_even(Dim a, Dim b) {
  Dim q = a / b, r = a % b;
  if (2 * r > b || (2 * r == b && q % 2 == 1)) ++q;
  return q;
}

// rich ratio_reduce with equal ratios: takes `excess` off the widths, each
// column giving its rounded share of what is left.
std::array<int, kColumns> ratio_reduce(int excess, std::array<int, kColumns> widths) {
  int ratio_left = 0;
  for (int w : widths) ratio_left += w > 0 ? 1 : 0;
  int remaining = excess;
  for (int& w : widths) {
    if (w <= 0 || ratio_left <= 0) continue;
    const int share = static_cast<int>(std::min<Dim>(w, round_half_even(remaining, ratio_left)));
    w -= share;
    remaining -= share;
    --ratio_left;
  }
  return widths;
}

// The widths rich gives the columns (padding included): each asks for its
// Keras width plus 2 of padding, the table has L minus its 4 border
// characters, and the overshoot is shared out by ratio_reduce.
std::array<int, kColumns> rich_widths(const std::array<int, kColumns>& keras_widths, int length) {
  const int available = length - static_cast<int>(kColumns + 1);
  std::array<int, kColumns> widths{};
  int total = 0;
  for (std::size_t i = 0; i < kColumns; ++i) {
    widths[i] = std::max(available < 1 ? 0 : std::min(keras_widths[i] + 2, available), 1);
    total += widths[i];
  }
  if (total > available) widths = ratio_reduce(total - available, widths);
  for (int& w : widths) w = std::max(w, 0);
  return widths;
}

bool is_space(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\r' || c == U'\f' || c == U'\v';
}

// rich divide_line without folding: the offsets where a new line starts.
// Words carry their trailing spaces; a word that does not fit goes to the
// next line, one wider than the line keeps a line of its own.
std::vector<std::size_t> divide_line(const std::u32string& text, std::size_t width) {
  std::vector<std::size_t> breaks;
  std::size_t offset = 0, pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    while (pos < text.size() && is_space(text[pos])) ++pos;
    if (pos == text.size()) break;  // only spaces left: no further word
    while (pos < text.size() && !is_space(text[pos])) ++pos;
    const std::size_t word_end = pos;
    while (pos < text.size() && is_space(text[pos])) ++pos;
    const std::size_t word_length = word_end - start, with_spaces = pos - start;
    if (offset + word_length <= width) {
      offset += with_spaces;
    } else if (word_length > width || (offset > 0 && start > 0)) {
      if (start > 0) breaks.push_back(start);
      offset = with_spaces;
    }
  }
  return breaks;
}

void truncate_with_ellipsis(std::u32string& line, std::size_t width) {
  if (line.size() <= width) return;
  line.resize(width == 0 ? 0 : width - 1);
  line += U'\u2026';
  if (line.size() > width) line.resize(width);
}

// rich Text.wrap with overflow="ellipsis", each line justified to `width`.
std::vector<std::u32string> wrap_cell(const std::u32string& text, std::size_t width,
                                      Justify justify) {
  std::vector<std::u32string> lines;
  std::size_t line_start = 0;
  while (true) {
    const std::size_t nl = text.find(U'\n', line_start);
    const std::u32string paragraph = text.substr(line_start, nl - line_start);
    std::vector<std::size_t> cuts = divide_line(paragraph, width);
    cuts.push_back(paragraph.size());
    std::size_t from = 0;
    for (std::size_t to : cuts) {
      std::u32string line = paragraph.substr(from, to - from);
      from = to;
      // rstrip_end: trailing spaces go only as far as they overflow.
      std::size_t spaces = 0;
      while (spaces < line.size() && is_space(line[line.size() - 1 - spaces])) ++spaces;
      if (line.size() > width) line.resize(line.size() - std::min(spaces, line.size() - width));
      if (justify == Justify::kRight) {
        while (!line.empty() && is_space(line.back())) line.pop_back();
        truncate_with_ellipsis(line, width);
        line.insert(0, width - line.size(), U' ');
      } else {
        truncate_with_ellipsis(line, width);
        line.append(width - line.size(), U' ');
      }
      lines.push_back(std::move(line));
    }
    if (nl == std::u32string::npos) break;
    line_start = nl + 1;
  }
  return lines;
}

struct Box {
  std::u32string_view left, fill, cross, right;
};
constexpr Box kTop{U"┏", U"━", U"┳", U"┓"};
constexpr Box kHeadRule{U"┡", U"━", U"╇", U"┩"};
constexpr Box kRowRule{U"├", U"─", U"┼", U"┤"};
constexpr Box kBottom{U"└", U"─", U"┴", U"┘"};

class TableWriter {
 public:
  TableWriter(std::array<int, kColumns> widths, std::size_t crop) : widths_(widths), crop_(crop) {}

  void rule(const Box& box) {
    std::u32string line(box.left);
    for (std::size_t i = 0; i < kColumns; ++i) {
      if (i) line += box.cross;
      for (int k = 0; k < widths_[i]; ++k) line += box.fill;
    }
    emit(line + std::u32string(box.right));
  }

  // One table row: every cell wrapped to its width less the padding, the
  // shorter cells filled with blank lines below.
  void row(const Cells& cells, std::u32string_view bar) {
    std::array<std::vector<std::u32string>, kColumns> wrapped;
    std::size_t height = 0;
    for (std::size_t i = 0; i < kColumns; ++i) {
      const std::size_t content = static_cast<std::size_t>(std::max(widths_[i] - 2, 0));
      wrapped[i] = wrap_cell(cells[i], content, kJustify[i]);
      height = std::max(height, wrapped[i].size());
    }
    for (std::size_t y = 0; y < height; ++y) {
      std::u32string line(bar);
      for (std::size_t i = 0; i < kColumns; ++i) {
        std::u32string cell = y < wrapped[i].size() ? wrapped[i][y] : std::u32string();
        cell = U" " + cell + U" ";
        cell.resize(static_cast<std::size_t>(widths_[i]), U' ');  // padding cut if too narrow
        line += cell;
        line += bar;
      }
      emit(line);
    }
  }

  std::string text() const { return out_; }

 private:
  // The console crops lines wider than itself.
  void emit(std::u32string line) {
    if (line.size() > crop_) line.resize(crop_);
    out_ += encode(line) + '\n';
  }

  std::array<int, kColumns> widths_;
  std::size_t crop_;
  std::string out_;
};

}  // namespace

std::string keras3_summary(const Sequential& model, const SummaryOptions& options) {
  const int length =
      options.line_length > 0 ? options.line_length : std::min(88, options.terminal_columns - 4);
  // Keras's column budget: w_i = int(pos_i * L) - int(pos_(i-1) * L).
  std::array<int, kColumns> keras_widths{};
  int current = 0;
  const std::array<double, kColumns> positions{0.45, 0.80, 1.0};
  for (std::size_t i = 0; i < kColumns; ++i) {
    keras_widths[i] = column_end(positions[i], length) - current;
    if (keras_widths[i] < 4) throw Error("Insufficient console width to print summary.");
    current += keras_widths[i];
  }

  const std::size_t crop = static_cast<std::size_t>(std::max(options.terminal_columns, 1));
  TableWriter table(rich_widths(keras_widths, length), crop);
  table.rule(kTop);
  table.row({U"Layer (type)", U"Output Shape", U"Param #"}, U"┃");
  table.rule(kHeadRule);
  const auto& layers = model.layers();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (i) table.rule(kRowRule);
    const Layer& layer = *layers[i];
    table.row({decode(name_cell(layer)), decode(shape_to_keras3(layer.output_shape())),
               decode(thousands(layer.count_params()))},
              U"│");
  }
  table.rule(kBottom);

  // float32 weights: 32 bits each, so count * 32 / 8 bytes.
  auto size = [](Dim n) { return readable_size(static_cast<double>(n) * 4.0, "B"); };
  const Dim trainable = model.trainable_params(), frozen = model.non_trainable_params();
  std::string out = fmt::format("Model: \"{}\"\n", model.name());
  out += table.text();
  out += fmt::format(
      " Total params: {} ({})\n", thousands(model.count_params()),
      readable_size(static_cast<double>(trainable) * 4.0 + static_cast<double>(frozen) * 4.0, "B"));
  out += fmt::format(" Trainable params: {} ({})\n", thousands(trainable), size(trainable));
  out += fmt::format(" Non-trainable params: {} ({})\n", thousands(frozen), size(frozen));
  return out;
}

}  // namespace stride::summary_text
