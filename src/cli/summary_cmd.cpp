// stride summary MODEL [--style ...] [--json] [--line-length N]
#include <fmt/format.h>

#include <utility>

#include "cli.hpp"

namespace stride::cli {
namespace {

// --style names; a new SummaryStyle is one more row.
const std::vector<std::pair<std::string, SummaryStyle>>& styles() {
  static const std::vector<std::pair<std::string, SummaryStyle>> table = {
      {"keras2", SummaryStyle::kKeras2},        // Keras <= 2.6: the classic table
      {"keras2.12", SummaryStyle::kKeras2_12},  // Keras 2.7 - 2.12: wrapped rows
      {"keras2.15", SummaryStyle::kKeras2_15},  // Keras 2.13 - 2.15: sizes in the footer
      {"keras3", SummaryStyle::kKeras3},        // Keras 3: the box table
  };
  return table;
}

SummaryStyle style_named(const std::string& name) {
  for (const auto& [n, style] : styles())
    if (n == name) return style;
  throw UsageError(fmt::format("--style: unknown style '{}' (choose one of: {})", name,
                               fmt::join(summary_style_names(), ", ")));
}

}  // namespace

std::vector<std::string> summary_style_names() {
  std::vector<std::string> names;
  for (const auto& entry : styles()) names.push_back(entry.first);
  return names;
}

std::string run_summary(const SummaryArgs& args) {
  SummaryOptions options;
  options.style = style_named(args.style);  // check arguments before reading the model
  options.line_length = args.line_length;
  options.terminal_columns = terminal_columns();

  Sequential model = load_model(args.model);
  model.build();
  if (args.json)
    return model.summary_json().dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  return model.summary(options);
}

}  // namespace stride::cli
