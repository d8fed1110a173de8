// stride explain MODEL
// stride explain --input 11,11,1 "MaxPooling2D(2, strides=2)" ["Conv2D(...)" ...]
#include <fmt/format.h>

#include <cctype>

#include "cli.hpp"

namespace stride::cli {
namespace {

std::string trim(std::string s) {
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && space(s.back())) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  return s.substr(i);
}

// A Sequential model from an input shape and layer calls given on the
// command line; errors in a call are located in "<layer N>".
Sequential one_off_model(const ExplainArgs& args) {
  Sequential model;
  model.input(parse_input_shape(args.input));
  for (std::size_t i = 0; i < args.operands.size(); ++i) {
    const std::string file = fmt::format("<layer {}>", i + 1);
    model.add(make_layer(parse_layer_call(args.operands[i], file)));
  }
  return model;
}

}  // namespace

std::vector<Dim> parse_input_shape(const std::string& text) {
  std::string body = trim(text);
  if (body.size() >= 2 && body.front() == '(' && body.back() == ')')
    body = body.substr(1, body.size() - 2);
  const std::string hint = "give the input shape without the batch dimension, e.g. 28,28,1";
  std::vector<Dim> dims;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t comma = body.find(',', start);
    if (comma == std::string::npos) comma = body.size();
    std::string item = trim(body.substr(start, comma - start));
    start = comma + 1;
    if (item.empty() && comma == body.size() && !dims.empty()) break;  // "(28,)" trailing comma
    if (item == "None") {
      dims.push_back(kNone);
      continue;
    }
    bool digits = !item.empty() && item.size() <= 18;  // fits in 64 bits
    for (char c : item) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (!digits || std::stoll(item) <= 0)
      throw UsageError(
          fmt::format("--input '{}': '{}' is not a positive size or None; {}", text, item, hint));
    dims.push_back(std::stoll(item));
  }
  return dims;
}

std::string run_explain(const ExplainArgs& args) {
  if (!args.has_input && args.operands.size() != 1)
    throw UsageError(args.operands.empty()
                         ? "explain: MODEL is required (or --input SHAPE with layer calls)"
                         : "explain: give one MODEL, or --input SHAPE before layer calls");
  if (args.has_input && args.operands.empty())
    throw UsageError("explain --input: give at least one layer call, e.g. \"Conv2D(32, 3)\"");

  Sequential model = args.has_input ? one_off_model(args) : load_model(args.operands.front());
  model.build();
  return model.explain();
}

}  // namespace stride::cli
