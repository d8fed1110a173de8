// stride convert IN OUT [--weights W]: a model and its weights from any form
// stride reads into the form OUT's name asks for.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "cli.hpp"

namespace stride::cli {

namespace {

bool ends_with_lower(std::string path, std::string_view suffix) {
  std::transform(path.begin(), path.end(), path.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return path.ends_with(suffix);
}

}  // namespace

std::string run_convert(const ConvertArgs& args) {
  constexpr std::array<std::string_view, 6> kForms{".keras", ".weights.h5", ".h5",
                                                   ".hdf5",  ".npz",        ".json"};
  if (std::none_of(kForms.begin(), kForms.end(),
                   [&](std::string_view s) { return ends_with_lower(args.output, s); }))
    throw UsageError(
        fmt::format("cannot tell the form of '{}' from its name: OUT ends in .keras, "
                    ".h5, .weights.h5, .npz or .json",
                    args.output));
  ModelFile file = read_model_file(args.input);
  Sequential& model = file.model;
  model.build();
  if (!args.weights.empty()) {
    model.load_weights(args.weights);
  } else if (!file.has_weights && !ends_with_lower(args.output, ".json")) {
    throw UsageError(
        fmt::format("{} holds no weights: give them with --weights (a .npz, .h5, "
                    ".weights.h5 or .keras file)",
                    args.input == "-" ? "<stdin>" : args.input));
  }
  save_model(model, args.output);
  return "";
}

}  // namespace stride::cli
