// Flatten, Reshape, Permute (reference §1.7, §5.2, §5.4).
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace stride {
namespace {

using test::built;
using test::error_of;
using test::make;

struct ShapeCase {
  const char* cls;
  std::vector<Json> args;
  Json kwargs;
  Shape input, output;
};

std::string explain_text(const Layer& layer) {
  Explanation e;
  layer.explain(e);
  std::string text;
  for (const std::string& line : e.lines) text += line + "\n";
  return text;
}

TEST(Reshaping, OutputShapes) {
  const Json none = Json::object();
  const Json first = {{"data_format", "channels_first"}};
  const ShapeCase cases[] = {
      // Flatten: product of the non-batch dims. MNIST 5*5*64 = 1600.
      {"Flatten", {}, none, {kNone, 5, 5, 64}, {kNone, 1600}},
      {"Flatten", {}, none, {kNone, 26, 26, 32}, {kNone, 21632}},  // 26*26*32
      {"Flatten", {}, none, {kNone, 10}, {kNone, 10}},
      {"Flatten", {}, none, {kNone, 10, 64}, {kNone, 640}},      // Keras docstring
      {"Flatten", {}, none, {kNone}, {kNone, 1}},                // batch only: (batch, 1)
      {"Flatten", {}, none, {kNone, kNone, 4}, {kNone, kNone}},  // None makes the product None
      // An unknown dim wins even over a known part that would overflow: (2^32)^2 = 2^64.
      {"Flatten", {}, none, {kNone, kNone, Dim{1} << 32, Dim{1} << 32}, {kNone, kNone}},
      {"Flatten", {}, first, {kNone, 3, 4, 5}, {kNone, 60}},  // 3*4*5, order aside
      {"Flatten", {}, none, {8, 2, 3}, {8, 6}},               // batch kept
      // Reshape: -1 = input size / product of the known target dims.
      {"Reshape", {{-1, 4}}, none, {kNone, 8, 2}, {kNone, 4, 4}},      // 16 / 4
      {"Reshape", {{3, 4}}, none, {kNone, 12}, {kNone, 3, 4}},         // 12 = 3*4
      {"Reshape", {{-1, 2, 2}}, none, {kNone, 12}, {kNone, 3, 2, 2}},  // 12 / (2*2)
      {"Reshape", {{40, -1}}, none, {kNone, 1600}, {kNone, 40, 40}},   // 1600 / 40
      {"Reshape", {{-1}}, none, {kNone, 5, 5, 64}, {kNone, 1600}},     // 5*5*64 / 1
      {"Reshape", {{1, 1, 1600}}, none, {kNone, 1600}, {kNone, 1, 1, 1600}},
      {"Reshape", {}, {{"target_shape", {28, 28, 1}}}, {kNone, 784}, {kNone, 28, 28, 1}},
      // An unknown input dim leaves -1 unknown and checks nothing else.
      {"Reshape", {{-1, 4}}, none, {kNone, kNone, 2}, {kNone, kNone, 4}},
      {"Reshape", {{2, 8}}, none, {kNone, kNone, 2}, {kNone, 2, 8}},
      {"Reshape", {{-1}}, none, {kNone, kNone, Dim{1} << 32, Dim{1} << 32}, {kNone, kNone}},
      {"Reshape", {{6}}, none, {4, 2, 3}, {4, 6}},  // batch kept, 2*3 = 6
      // Permute: output axis i = input axis dims[i] (1-based).
      {"Permute", {{2, 1}}, none, {kNone, 10, 64}, {kNone, 64, 10}},
      {"Permute", {{1, 3, 2}}, none, {kNone, 2, 3, 4}, {kNone, 2, 4, 3}},
      {"Permute", {{3, 1, 2}}, none, {kNone, 2, 3, 4}, {kNone, 4, 2, 3}},
      {"Permute", {{1}}, none, {kNone, 7}, {kNone, 7}},
      {"Permute", {}, {{"dims", {2, 1}}}, {kNone, kNone, 5}, {kNone, 5, kNone}},
  };
  for (const ShapeCase& c : cases) {
    auto layer = built(c.cls, c.args, c.kwargs, c.input);
    EXPECT_EQ(layer->output_shape(), c.output)
        << c.cls << " " << Json(c.args).dump() << " on " << shape_to_python(c.input);
    EXPECT_EQ(layer->count_params(), 0);
  }
}

TEST(Reshaping, Config) {
  EXPECT_EQ(make("Flatten")->get_config()["data_format"], "channels_last");
  EXPECT_EQ(make("Reshape", {{-1, 4}})->get_config()["target_shape"], Json({-1, 4}));
  EXPECT_EQ(make("Permute", {{2, 1}})->get_config()["dims"], Json({2, 1}));
}

TEST(Reshaping, Explain) {
  const std::string flatten =
      explain_text(*built("Flatten", {}, Json::object(), {kNone, 26, 26, 32}));
  EXPECT_NE(flatten.find("26*26*32 = 21632"), std::string::npos) << flatten;
  EXPECT_EQ(flatten.find("channels_first"), std::string::npos) << flatten;

  const std::string first =
      explain_text(*built("Flatten", {}, {{"data_format", "channels_first"}}, {kNone, 32, 26, 26}));
  EXPECT_NE(first.find("32*26*26 = 21632"), std::string::npos) << first;
  EXPECT_NE(first.find("element order follows channels_last"), std::string::npos) << first;

  // 1600 / 40 = 40.
  const std::string reshape =
      explain_text(*built("Reshape", {{40, -1}}, Json::object(), {kNone, 1600}));
  EXPECT_NE(reshape.find("-1 = 1600 / (40) = 40"), std::string::npos) << reshape;
  // 8*2 = 16; 16 / (2*2) = 4.
  const std::string two =
      explain_text(*built("Reshape", {{2, -1, 2}}, Json::object(), {kNone, 8, 2}));
  EXPECT_NE(two.find("input size 8*2 = 16"), std::string::npos) << two;
  EXPECT_NE(two.find("-1 = 16 / (2*2) = 4"), std::string::npos) << two;

  // None in the input: -1 stays None, whatever the known part is.
  const std::string unknown = explain_text(
      *built("Reshape", {{-1}}, Json::object(), {kNone, kNone, Dim{1} << 32, Dim{1} << 32}));
  EXPECT_NE(unknown.find("so -1 stays None"), std::string::npos) << unknown;

  const std::string permute =
      explain_text(*built("Permute", {{2, 1}}, Json::object(), {kNone, 10, 64}));
  EXPECT_NE(permute.find("output axis 1 = input axis 2 (64)"), std::string::npos) << permute;
  EXPECT_NE(permute.find("output axis 2 = input axis 1 (10)"), std::string::npos) << permute;
}

TEST(Reshaping, Errors) {
  struct ErrorCase {
    const char* cls;
    std::vector<Json> args;
    Shape input;  // empty: the constructor fails
    std::vector<std::string> fragments;
  };
  const char* kPermute =
      "Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` must be "
      "consecutive and start from 1.";
  const Dim k2_32 = Dim{1} << 32;
  const ErrorCase cases[] = {
      // Flatten: 2^32 * 2^32 = 2^64 overflows.
      {"Flatten",
       {},
       {kNone, k2_32, k2_32},
       {"Flatten", "overflows 64 bits", "(None, 4294967296, 4294967296)"}},
      {"Flatten", {"channels_middle"}, {}, {"Flatten", "data_format"}},
      // Reshape.
      {"Reshape",
       {{-1, -1}},
       {},
       {"Reshape",
        "The `target_shape` argument must not contain more than one `-1` value. "
        "Received: target_shape=(-1, -1)"}},
      // 8*2 = 16 != 3*5 = 15.
      {"Reshape",
       {{3, 5}},
       {kNone, 8, 2},
       {"Reshape",
        "The total size of the tensor must be unchanged. Received: input_shape=(8, 2), "
        "target_shape=(3, 5)"}},
      // 16 % 3 = 1.
      {"Reshape",
       {{-1, 3}},
       {kNone, 8, 2},
       {"Reshape",
        "the input size cannot by divided by the specified dimensions in target_shape. "
        "Received: input_shape=(8, 2), target_shape=(-1, 3)"}},
      {"Reshape", {{0, 4}}, {}, {"Reshape", "target_shape=(0, 4)"}},
      {"Reshape", {{-2, 4}}, {}, {"Reshape", "target_shape=(-2, 4)"}},
      {"Reshape", {{2, "a"}}, {}, {"Reshape", "target_shape=(2, 'a')"}},
      {"Reshape", {{2, nullptr}}, {}, {"Reshape", "target_shape=(2, None)"}},
      {"Reshape", {5}, {}, {"Reshape", "tuple of integers", "target_shape=5"}},
      {"Reshape", {}, {}, {"Reshape", "missing required argument `target_shape`"}},
      // Known target dims 2^32 * 2^32 overflow.
      {"Reshape", {{k2_32, k2_32, -1}}, {kNone, 8, 2}, {"Reshape", "overflows 64 bits"}},
      // Input 2^32 * 2^32 overflows.
      {"Reshape", {{-1}}, {kNone, k2_32, k2_32}, {"Reshape", "overflows 64 bits"}},
      // Permute.
      {"Permute", {{1, 3}}, {}, {"Permute", kPermute, "Received dims=(1, 3)"}},
      {"Permute", {{0, 1}}, {}, {"Permute", kPermute, "dims=(0, 1)"}},
      {"Permute", {{1, 1}}, {}, {"Permute", kPermute, "dims=(1, 1)"}},
      {"Permute", {{1, "2"}}, {}, {"Permute", kPermute}},
      {"Permute", {2}, {}, {"Permute", kPermute, "dims=2"}},
      // dims (2, 1) wants rank 3 inputs.
      {"Permute",
       {{2, 1}},
       {kNone, 10, 64, 3},
       {"Permute", "rank 3", "got rank 4", "(None, 10, 64, 3)"}},
      {"Permute", {{2, 1}}, {kNone, 10}, {"Permute", "rank 3", "got rank 2"}},
  };
  for (const ErrorCase& c : cases) {
    const std::string message = error_of([&] {
      auto layer = make(c.cls, c.args);
      if (!c.input.empty()) layer->build(c.input);
    });
    ASSERT_FALSE(message.empty()) << c.cls << " " << Json(c.args).dump();
    for (const std::string& f : c.fragments)
      EXPECT_NE(message.find(f), std::string::npos) << "'" << f << "' not in: " << message;
  }
}

}  // namespace
}  // namespace stride
