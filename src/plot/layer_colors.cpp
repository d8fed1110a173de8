#include "plot/layer_colors.hpp"

namespace stride::plot {

namespace {

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace

const char* layer_color(std::string_view name) {
  // Tableau 10: distinct, readable with white text, fine for colour blindness.
  if (name == "InputLayer") return "#79706e";
  if (contains(name, "Pool")) return "#f28e2b";
  if (contains(name, "Conv")) return "#4e79a7";
  if (name == "Dense") return "#b07aa1";
  if (contains(name, "Normalization")) return "#59a14f";
  if (contains(name, "Dropout") || contains(name, "Noise")) return "#9d9d9d";
  if (contains(name, "Flatten") || contains(name, "Reshape") || contains(name, "Permute"))
    return "#76b7b2";
  if (contains(name, "Padding") || contains(name, "Cropping") || contains(name, "UpSampling"))
    return "#9c755f";
  return "#e15759";  // activations and anything else
}

}  // namespace stride::plot
