// Keras initializers: constants, random uniform/normal, and variance scaling
// (glorot, he, lecun) with Keras's fan computation.
#include "model/initializers.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>

#include "stride/error.hpp"
#include "stride/layer.hpp"

namespace stride {

namespace {

struct Fans {
  double in = 1, out = 1;
};

// Keras compute_fans: rank 2 (in, out); rank >= 3 kernels multiply the
// receptive field into both; rank 1 uses the one dim for both.
Fans compute_fans(const Shape& shape) {
  if (shape.empty()) return {};
  if (shape.size() == 1) return {double(shape[0]), double(shape[0])};
  if (shape.size() == 2) return {double(shape[0]), double(shape[1])};
  double receptive = 1;
  for (std::size_t i = 0; i + 2 < shape.size(); ++i) receptive *= double(shape[i]);
  return {double(shape[shape.size() - 2]) * receptive, double(shape.back()) * receptive};
}

double number(const Json& config, const char* key, double fallback) {
  auto it = config.find(key);
  return it != config.end() && it->is_number() ? it->get<double>() : fallback;
}

std::string text(const Json& config, const char* key, const char* fallback) {
  auto it = config.find(key);
  return it != config.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// VarianceScaling: scale / fan, drawn uniform, (truncated) normal.
void variance_scaling(Tensor& value, Random& random, double scale, const std::string& mode,
                      const std::string& distribution) {
  const Fans fans = compute_fans(value.shape());
  const double n = mode == "fan_in"    ? fans.in
                   : mode == "fan_out" ? fans.out
                                       : (fans.in + fans.out) / 2;
  const double variance = scale / std::max(1.0, n);
  if (distribution == "uniform") {
    const double limit = std::sqrt(3.0 * variance);
    for (float& x : value) x = float(random.uniform(-limit, limit));
  } else if (distribution == "untruncated_normal") {
    const double stddev = std::sqrt(variance);
    for (float& x : value) x = float(stddev * random.normal());
  } else {
    // The stddev of a unit normal truncated to [-2, 2], as Keras corrects for it.
    const double stddev = std::sqrt(variance) / 0.87962566103423978;
    for (float& x : value) x = float(stddev * random.truncated_normal());
  }
}

}  // namespace

void initialize(const Json& spec, Tensor& value, Random& random) {
  std::string name;
  Json config = Json::object();
  if (spec.is_string()) {
    name = spec.get<std::string>();
  } else if (spec.is_object() && spec.contains("class_name") && spec["class_name"].is_string()) {
    name = spec["class_name"].get<std::string>();
    if (spec.contains("config") && spec["config"].is_object()) config = spec["config"];
  } else {
    throw Error(fmt::format("unsupported initializer {}", spec.dump()));
  }
  const std::string key = name.find('_') == std::string::npos && !name.empty() &&
                                  std::isupper(static_cast<unsigned char>(name[0]))
                              ? keras_snake_case(name)
                              : name;
  if (key == "zeros" || key == "zero") return value.fill(0.0f);
  if (key == "ones" || key == "one") return value.fill(1.0f);
  if (key == "constant") return value.fill(float(number(config, "value", 0.0)));
  if (key == "random_uniform" || key == "uniform") {
    const double lo = number(config, "minval", -0.05), hi = number(config, "maxval", 0.05);
    for (float& x : value) x = float(random.uniform(lo, hi));
    return;
  }
  if (key == "random_normal" || key == "normal" || key == "truncated_normal") {
    const double mean = number(config, "mean", 0.0), stddev = number(config, "stddev", 0.05);
    const bool truncated = key == "truncated_normal";
    for (float& x : value)
      x = float(mean + stddev * (truncated ? random.truncated_normal() : random.normal()));
    return;
  }
  if (key == "variance_scaling")
    return variance_scaling(value, random, number(config, "scale", 1.0),
                            text(config, "mode", "fan_in"),
                            text(config, "distribution", "truncated_normal"));
  struct Scaled {
    const char* name;
    double scale;
    const char* mode;
    const char* distribution;
  };
  static const Scaled kScaled[] = {
      {"glorot_uniform", 1, "fan_avg", "uniform"},
      {"glorot_normal", 1, "fan_avg", "truncated_normal"},
      {"he_uniform", 2, "fan_in", "uniform"},
      {"he_normal", 2, "fan_in", "truncated_normal"},
      {"lecun_uniform", 1, "fan_in", "uniform"},
      {"lecun_normal", 1, "fan_in", "truncated_normal"},
  };
  for (const Scaled& s : kScaled)
    if (key == s.name) return variance_scaling(value, random, s.scale, s.mode, s.distribution);
  throw Error(fmt::format("unknown initializer '{}'", name));
}

}  // namespace stride
