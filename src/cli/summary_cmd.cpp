// stride summary MODEL [--style ...] [--json] [--line-length N]
#include <fmt/format.h>

#include <algorithm>
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

// Indented JSON with arrays of numbers on one line ("output_shape": [null, 30, 30, 5]).
void write_json(const Json& j, int indent, std::string& out) {
  const auto dump = [](const Json& v) {
    return v.dump(-1, ' ', false, Json::error_handler_t::replace);
  };
  const bool flat_array = j.is_array() && std::none_of(j.begin(), j.end(), [](const Json& e) {
                            return e.is_structured();
                          });
  if (!j.is_structured() || j.empty()) {
    out += dump(j);
    return;
  }
  if (flat_array) {
    out += "[";
    for (std::size_t i = 0; i < j.size(); ++i) out += (i ? ", " : "") + dump(j[i]);
    out += "]";
    return;
  }
  const std::string pad(static_cast<std::size_t>(indent + 2), ' ');
  out += j.is_object() ? "{\n" : "[\n";
  std::size_t i = 0;
  for (auto it = j.begin(); it != j.end(); ++it, ++i) {
    out += pad;
    if (j.is_object()) out += dump(Json(it.key())) + ": ";
    write_json(*it, indent + 2, out);
    out += i + 1 < j.size() ? ",\n" : "\n";
  }
  out += std::string(static_cast<std::size_t>(indent), ' ') + (j.is_object() ? "}" : "]");
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
  if (args.json) {
    std::string out;
    write_json(model.summary_json(), 0, out);
    return out + "\n";
  }
  try {
    return model.summary(options);
  } catch (const Error& e) {
    // Only the table width can fail here ("Insufficient console width"): an argument problem.
    if (e.loc().known()) throw;
    throw UsageError(fmt::format("summary --style {}: {}", args.style, e.what()));
  }
}

}  // namespace stride::cli
