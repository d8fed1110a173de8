// Optimizers against reference trajectories from
// scripts/make_optimizer_goldens.py (torch.optim where its semantics equal
// Keras's, Keras's formula in float32 NumPy elsewhere): every .npz under
// tests/golden/optimizers/ is one case.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>

#include "stride/optimizer.hpp"

namespace stride {
namespace {

std::string text_of(const Array& a) {
  return std::string(a.bytes.begin(), a.bytes.end());
}
// The script writes hyperparameters as float64 scalars: read the exact double.
double scalar_of(const Array& a) {
  EXPECT_EQ(a.dtype, DType::kFloat64);
  double v = 0;
  std::memcpy(&v, a.bytes.data(), sizeof v);
  return v;
}

OptimizerOptions options_from(const NamedArrays& arrays) {
  OptimizerOptions o;
  LearningRateSchedule s;
  const std::map<std::string, std::function<void(double)>> setters{
      {"options/learning_rate", [&](double v) { o.learning_rate = v; }},
      {"options/momentum", [&](double v) { o.momentum = v; }},
      {"options/nesterov", [&](double v) { o.nesterov = v != 0; }},
      {"options/beta_1", [&](double v) { o.beta_1 = v; }},
      {"options/beta_2", [&](double v) { o.beta_2 = v; }},
      {"options/epsilon", [&](double v) { o.epsilon = v; }},
      {"options/amsgrad", [&](double v) { o.amsgrad = v != 0; }},
      {"options/weight_decay", [&](double v) { o.weight_decay = v; }},
      {"options/rho", [&](double v) { o.rho = v; }},
      {"options/centered", [&](double v) { o.centered = v != 0; }},
      {"options/initial_accumulator_value", [&](double v) { o.initial_accumulator_value = v; }},
      {"options/clipnorm", [&](double v) { o.clipnorm = v; }},
      {"options/clipvalue", [&](double v) { o.clipvalue = v; }},
      {"options/global_clipnorm", [&](double v) { o.global_clipnorm = v; }},
      {"schedule/initial", [&](double v) { s.initial = v; }},
      {"schedule/decay_steps", [&](double v) { s.decay_steps = static_cast<Dim>(v); }},
      {"schedule/decay_rate", [&](double v) { s.decay_rate = v; }},
      {"schedule/staircase", [&](double v) { s.staircase = v != 0; }},
      {"schedule/alpha", [&](double v) { s.alpha = v; }},
  };
  for (const auto& [key, a] : arrays) {
    if (key == "schedule/kind") {
      s.kind = text_of(a);
      o.schedule = s;  // filled in below
    } else if (key.rfind("options/", 0) == 0 || key.rfind("schedule/", 0) == 0) {
      auto it = setters.find(key);
      if (it == setters.end()) {
        ADD_FAILURE() << "unknown field " << key;
      } else {
        it->second(scalar_of(a));
      }
    }
  }
  if (o.schedule) o.schedule = s;
  return o;
}

const Array& find(const NamedArrays& arrays, const std::string& key) {
  for (const auto& [k, a] : arrays) {
    if (k == key) return a;
  }
  throw Error("missing " + key);
}

TEST(OptimizerGolden, MatchesReferenceTrajectories) {
  const std::filesystem::path dir =
      std::filesystem::path(STRIDE_SOURCE_DIR) / "tests" / "golden" / "optimizers";
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".npz") continue;
    ++cases;
    const std::string name = entry.path().stem().string();
    const NamedArrays arrays = read_npz(entry.path().string());
    auto opt = make_optimizer(text_of(find(arrays, "optimizer")), options_from(arrays));
    std::vector<Variable> vars;
    std::vector<std::vector<float>> grads, expected;
    for (int i = 0;; ++i) {
      const std::string prefix = "var" + std::to_string(i) + "/";
      auto has = [&](const std::string& k) {
        return std::any_of(arrays.begin(), arrays.end(), [&](auto& e) { return e.first == k; });
      };
      if (!has(prefix + "initial")) break;
      const Array& initial = find(arrays, prefix + "initial");
      const std::vector<float> w0 = initial.to_float();
      vars.push_back({prefix + "w", Tensor(initial.shape, w0), Tensor(initial.shape)});
      grads.push_back(find(arrays, prefix + "gradients").to_float());
      expected.push_back(find(arrays, prefix + "expected").to_float());
    }
    ASSERT_FALSE(vars.empty()) << name;
    const Dim steps = find(arrays, "var0/gradients").shape.at(0);
    for (Dim s = 0; s < steps; ++s) {
      for (std::size_t v = 0; v < vars.size(); ++v) {
        const Dim n = vars[v].value.size();
        std::copy_n(grads[v].begin() + s * n, n, vars[v].gradient.begin());
      }
      opt->apply(vars);
      for (std::size_t v = 0; v < vars.size(); ++v) {
        const Dim n = vars[v].value.size();
        for (Dim i = 0; i < n; ++i) {
          // 1e-6 relative, measured against max(|w|, 1): the variables are
          // O(1) and float32 rounding near zero is absolute.
          const double want = expected[v][s * n + i];
          EXPECT_NEAR(vars[v].value[i], want, 1e-6 * std::max(1.0, std::abs(want)))
              << name << " step " << s + 1 << " variable " << v << " element " << i;
        }
      }
    }
  }
  EXPECT_GE(cases, 19);
}

}  // namespace
}  // namespace stride
