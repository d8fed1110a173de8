// Every case under tests/golden/forward/ (generated with PyTorch by
// scripts/make_forward_goldens.py, Keras semantics written out explicitly):
// the model, its weights and an input; stride's output must match within
// 1e-5 relative, on both the fast and the reference path.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "stride/model.hpp"
#include "stride/npy.hpp"

namespace stride {
namespace {

namespace fs = std::filesystem;

const fs::path kGoldenDir = fs::path(STRIDE_SOURCE_DIR) / "tests" / "golden" / "forward";

std::vector<std::string> golden_cases() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kGoldenDir))
    if (entry.path().extension() == ".txt") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

Tensor tensor_of(const Array& a) {
  return Tensor(a.shape, a.to_float());
}

const Array& find_array(const NamedArrays& arrays, const std::string& key) {
  for (const auto& [name, array] : arrays)
    if (name == key) return array;
  throw Error("no array " + key);
}

// |got - want| <= 1e-5 * max(|want|, 1): relative, absolute near zero.
void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  int reported = 0;
  for (Dim i = 0; i < got.size(); ++i) {
    const double tolerance = 1e-5 * std::max(1.0, std::abs(double(want[i])));
    if (!(std::abs(double(got[i]) - double(want[i])) <= tolerance) && reported++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", want " << want[i];
  }
}

class ForwardGolden : public testing::TestWithParam<std::string> {};

TEST_P(ForwardGolden, MatchesPyTorchReference) {
  const fs::path base = kGoldenDir / GetParam();
  Sequential model = load_model(base.string() + ".txt");
  model.load_weights(base.string() + ".weights.npz");
  const NamedArrays io = read_npz(base.string() + ".io.npz");
  const Tensor input = tensor_of(find_array(io, "input"));
  const Tensor want = tensor_of(find_array(io, "output"));
  expect_close(model.predict(input), want, "fast path");
  expect_close(model.call(input, {.training = false, .path = ComputePath::kReference}), want,
               "reference path");
}

INSTANTIATE_TEST_SUITE_P(Cases, ForwardGolden, testing::ValuesIn(golden_cases()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace stride
