// stride layers [NAME ...]: the supported layer classes, or their signatures.
#include <fmt/format.h>

#include <algorithm>

#include "cli.hpp"

namespace stride::cli {
namespace {

// Conv2D(filters, kernel_size, strides=(1, 1), ...) as Keras's constructor reads.
std::string signature_text(const LayerType& type) {
  std::vector<std::string> params;
  for (const Param& p : type.signature)
    params.push_back(p.required ? p.name : p.name + "=" + python_repr(p.default_value));
  std::string out = fmt::format("{}({})\n", type.class_name, fmt::join(params, ", "));
  if (!type.aliases.empty()) out += fmt::format("  aliases: {}\n", fmt::join(type.aliases, ", "));
  return out;
}

}  // namespace

std::string run_layers(const LayersArgs& args) {
  const LayerRegistry& registry = LayerRegistry::builtin();
  std::string out;
  if (args.names.empty()) {
    std::vector<std::string> seen;  // a class may be registered twice (InputLayer)
    for (const std::string& name : registry.class_names()) {
      if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
      seen.push_back(name);
      const LayerType* type = registry.find(name);
      out += name;
      if (type && !type->aliases.empty())
        out += fmt::format(" (alias {})", fmt::join(type->aliases, ", "));
      out += "\n";
    }
    return out;
  }
  for (const std::string& name : args.names) {
    const LayerType* type = registry.find(name);
    if (!type)
      throw UsageError(
          fmt::format("layers: unknown layer class '{}' (run 'stride layers' for the list)", name),
          false);
    out += signature_text(*type);
  }
  return out;
}

}  // namespace stride::cli
