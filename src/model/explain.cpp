// stride explain: the model's input, then for every layer its shapes in and
// out and its own arithmetic (Layer::explain), then the parameter totals.
#include <fmt/format.h>

#include "summary_text.hpp"

namespace stride {
namespace {

constexpr std::size_t kMaxColumns = 100;

// Appends `line` indented by two; a line wider than 100 columns breaks at
// its last space that fits, continuing four spaces deeper than it started.
void append_wrapped(std::string& out, const std::string& line) {
  const std::size_t own_indent = line.find_first_not_of(' ');
  if (own_indent == std::string::npos) {
    out += '\n';  // no trailing spaces on blank lines
    return;
  }
  const std::string continuation(2 + own_indent + 4, ' ');
  std::string prefix = "  ";
  std::string_view rest = line;
  while (prefix.size() < kMaxColumns && prefix.size() + rest.size() > kMaxColumns) {
    const std::size_t room = kMaxColumns - prefix.size();
    std::size_t cut = rest.rfind(' ', room);
    // No space to break at past the indentation: keep the long word whole.
    if (cut == std::string_view::npos || cut <= own_indent) break;
    out += prefix;
    out += rest.substr(0, cut);
    out += '\n';
    rest.remove_prefix(cut + 1);
    prefix = continuation;
  }
  out += prefix;
  out += rest;
  out += '\n';
}

}  // namespace

std::string Sequential::explain() const {
  ensure_built();
  std::string out = fmt::format("input: {}\n", shape_to_python(input_shape_));
  for (const auto& layer : layers_) {
    out +=
        fmt::format("\n{}: {} -> {}\n", summary_text::name_cell(*layer),
                    shape_to_python(layer->input_shape()), shape_to_python(layer->output_shape()));
    Explanation explanation;
    layer->explain(explanation);
    for (const std::string& line : explanation.lines) append_wrapped(out, line);
  }
  out += fmt::format("\nTotal params: {} ({} trainable, {} non-trainable)\n",
                     summary_text::thousands(count_params()),
                     summary_text::thousands(trainable_params()),
                     summary_text::thousands(non_trainable_params()));
  return out;
}

}  // namespace stride
