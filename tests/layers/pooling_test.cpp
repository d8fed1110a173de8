// MaxPooling1D/2D/3D and AveragePooling1D/2D/3D: output shapes from the
// pooling rule (reference §1.4), valid: floor((in - pool) / s) + 1,
// same: ceil(in / s); worked out by hand in the comments.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace stride {
namespace {

using test::built;
using test::error_of;
using test::make;

std::string explain_text(const Layer& layer) {
  Explanation e;
  layer.explain(e);
  std::string text;
  for (const std::string& line : e.lines) text += line + "\n";
  return text;
}

struct PoolCase {
  const char* cls;
  std::vector<Json> args;
  Json kwargs;
  Shape input, output;
};

TEST(Pooling, OutputShapes) {
  const Json none = Json::object();
  const PoolCase cases[] = {
      // Seed 1: floor((30 - 2) / 2) + 1 = 15.
      {"MaxPooling2D", {}, none, {kNone, 30, 30, 5}, {kNone, 15, 15, 5}},
      // Seed 1's question, I = 11, F = 2, S = 2: valid floor(9 / 2) + 1 = 5, same ceil(11 / 2) = 6.
      {"MaxPooling2D", {2}, {{"strides", 2}}, {kNone, 11, 11, 1}, {kNone, 5, 5, 1}},
      {"MaxPooling2D",
       {2},
       {{"strides", 2}, {"padding", "same"}},
       {kNone, 11, 11, 1},
       {kNone, 6, 6, 1}},
      // pool 3 stride 2 on 7: same ceil(7 / 2) = 4; valid floor((7 - 3) / 2) + 1 = 3.
      {"MaxPooling2D",
       {3},
       {{"strides", 2}, {"padding", "same"}},
       {kNone, 7, 7, 1},
       {kNone, 4, 4, 1}},
      {"MaxPooling2D", {3, 2}, none, {kNone, 7, 7, 1}, {kNone, 3, 3, 1}},
      // MNIST convnet: floor((26 - 2) / 2) + 1 = 13; floor((11 - 2) / 2) + 1 = 5.
      {"MaxPooling2D", {}, {{"pool_size", {2, 2}}}, {kNone, 26, 26, 32}, {kNone, 13, 13, 32}},
      {"MaxPooling2D", {}, {{"pool_size", {2, 2}}}, {kNone, 11, 11, 64}, {kNone, 5, 5, 64}},
      // Non-square: height floor((6 - 2) / 1) + 1 = 5, width floor((9 - 3) / 2) + 1 = 4.
      {"MaxPooling2D", {{2, 3}, {1, 2}}, none, {kNone, 6, 9, 1}, {kNone, 5, 4, 1}},
      // A pool as large as the input: floor(0 / 4) + 1 = 1.
      {"MaxPooling2D", {4}, none, {kNone, 4, 4, 1}, {kNone, 1, 1, 1}},
      // Same padding lets a pool larger than the input through: ceil(3 / 5) = 1.
      {"MaxPooling2D", {5}, {{"padding", "same"}}, {kNone, 3, 3, 2}, {kNone, 1, 1, 2}},
      // Unknown spatial dims stay unknown; width floor((8 - 2) / 2) + 1 = 4.
      {"MaxPooling2D", {}, none, {kNone, kNone, 8, 3}, {kNone, kNone, 4, 3}},
      // channels_first: (B, C, H, W); floor(28 / 2) + 1 = 15, floor(26 / 2) + 1 = 14.
      {"MaxPooling2D",
       {},
       {{"data_format", "channels_first"}},
       {kNone, 5, 30, 28},
       {kNone, 5, 15, 14}},
      {"AveragePooling2D", {}, {{"data_format", "channels_first"}}, {8, 3, 9, 9}, {8, 3, 4, 4}},
      // 1D: floor((10 - 2) / 2) + 1 = 5.
      {"AveragePooling1D", {}, none, {kNone, 10, 3}, {kNone, 5, 3}},
      // pool 3, stride 1: floor(7 / 1) + 1 = 8.
      {"AveragePooling1D", {3}, {{"strides", 1}}, {kNone, 10, 3}, {kNone, 8, 3}},
      // pool 4, stride 3, same: ceil(10 / 3) = 4.
      {"AveragePooling1D", {4, 3, "same"}, none, {kNone, 10, 3}, {kNone, 4, 3}},
      // 1D channels_first (B, C, L): floor((9 - 2) / 2) + 1 = 4.
      {"MaxPooling1D", {}, {{"data_format", "channels_first"}}, {kNone, 4, 9}, {kNone, 4, 4}},
      {"MaxPooling1D", {{5}}, none, {kNone, 25, 1}, {kNone, 5, 1}},  // floor(20 / 5) + 1
      // 3D: floor(6 / 2) + 1 = 4, floor(7 / 2) + 1 = 4, floor(8 / 2) + 1 = 5.
      {"MaxPooling3D", {}, none, {kNone, 8, 9, 10, 4}, {kNone, 4, 4, 5, 4}},
      // pool (2, 3, 1) = strides, same: ceil(5 / 2) = 3, ceil(5 / 3) = 2, ceil(5 / 1) = 5.
      {"AveragePooling3D",
       {{2, 3, 1}},
       {{"padding", "same"}},
       {kNone, 5, 5, 5, 2},
       {kNone, 3, 2, 5, 2}},
      {"AveragePooling3D",
       {},
       {{"data_format", "channels_first"}},
       {kNone, 2, 4, 6, 8},
       {kNone, 2, 2, 3, 4}},  // 4/2, 6/2, 8/2
      // Aliases.
      {"MaxPool2D", {}, none, {kNone, 30, 30, 5}, {kNone, 15, 15, 5}},
      {"AvgPool1D", {}, none, {kNone, 6, 2}, {kNone, 3, 2}},  // floor(4 / 2) + 1
      {"MaxPool1D", {}, none, {kNone, 6, 2}, {kNone, 3, 2}},
      {"AvgPool2D", {3}, none, {kNone, 9, 9, 1}, {kNone, 3, 3, 1}},  // floor(6 / 3) + 1
      {"MaxPool3D", {}, none, {kNone, 2, 2, 2, 1}, {kNone, 1, 1, 1, 1}},
      {"AvgPool3D", {}, none, {kNone, 3, 3, 3, 1}, {kNone, 1, 1, 1, 1}},  // floor(1 / 2) + 1
  };
  for (const PoolCase& c : cases) {
    auto layer = built(c.cls, c.args, c.kwargs, c.input);
    EXPECT_EQ(layer->output_shape(), c.output)
        << c.cls << " on " << shape_to_python(c.input) << " args " << Json(c.args).dump()
        << " kwargs " << c.kwargs.dump();
    EXPECT_EQ(layer->count_params(), 0) << c.cls;
    EXPECT_TRUE(layer->weights().empty()) << c.cls;
  }
}

TEST(Pooling, ConfigIsNormalizedAsKerasListsIt) {
  auto layer = make("MaxPooling2D", {3});
  const Json cfg = layer->get_config();
  EXPECT_EQ(cfg["pool_size"], Json({3, 3}));
  EXPECT_EQ(cfg["strides"], Json({3, 3}));  // strides=None -> pool_size
  EXPECT_EQ(cfg["padding"], "valid");
  EXPECT_EQ(cfg["data_format"], "channels_last");

  auto avg1 = make("AveragePooling1D", {}, {{"strides", 1}, {"padding", "SAME"}});
  EXPECT_EQ(avg1->get_config()["pool_size"], Json({2}));
  EXPECT_EQ(avg1->get_config()["strides"], Json({1}));
  EXPECT_EQ(avg1->get_config()["padding"], "same");
  EXPECT_EQ(avg1->get_config()["data_format"], "channels_last");  // Keras 2 1D default

  EXPECT_EQ(make("AvgPool3D")->class_name(), "AveragePooling3D");
}

TEST(Pooling, ExplainShowsTheRounding) {
  // Seed 1's I = 11, F = 2, S = 2: (11 - 2) / 2 = 4.5 rounded down, 5 windows cover rows 1..10.
  auto valid = built("MaxPooling2D", {2}, {{"strides", 2}}, {kNone, 11, 11, 1});
  const std::string v = explain_text(*valid);
  EXPECT_NE(v.find("floor((11 - 2) / 2) + 1 = floor(4.5) + 1 = 5"), std::string::npos) << v;
  EXPECT_NE(v.find("the last 1 row of 11 never reached"), std::string::npos) << v;
  EXPECT_NE(v.find("params: 0"), std::string::npos) << v;

  // same: ceil(11 / 2) = 6; total padding (6 - 1) * 2 + 2 - 11 = 1, all after.
  auto same = built("MaxPooling2D", {2}, {{"strides", 2}, {"padding", "same"}}, {kNone, 11, 11, 1});
  const std::string s = explain_text(*same);
  EXPECT_NE(s.find("ceil(11 / 2) = ceil(5.5) = 6"), std::string::npos) << s;
  EXPECT_NE(s.find("max((6 - 1) * 2 + 2 - 11, 0) = 1"), std::string::npos) << s;
  EXPECT_NE(s.find("odd row goes to the bottom"), std::string::npos) << s;
}

TEST(Pooling, ExplainSaysHowPaddingEntersTheResult) {
  // pool 3, stride 2, same on 7: total padding (4 - 1) * 2 + 3 - 7 = 2 > 0 (reference §1.6).
  const std::string avg =
      explain_text(*built("AveragePooling2D", {3, 2, "same"}, Json::object(), {kNone, 7, 7, 1}));
  EXPECT_NE(avg.find("left out of the average"), std::string::npos) << avg;
  const std::string max =
      explain_text(*built("MaxPooling2D", {3, 2, "same"}, Json::object(), {kNone, 7, 7, 1}));
  EXPECT_NE(max.find("never win the max"), std::string::npos) << max;
  // pool 2, stride 2, same on 8: total (4 - 1) * 2 + 2 - 8 = 0, nothing padded, no note.
  const std::string none =
      explain_text(*built("MaxPooling2D", {2, 2, "same"}, Json::object(), {kNone, 8, 8, 1}));
  EXPECT_EQ(none.find("padded positions"), std::string::npos) << none;
}

TEST(Pooling, Errors) {
  struct ErrorCase {
    const char* cls;
    std::vector<Json> args;
    Json kwargs;
    Shape input;  // empty: the error comes from the constructor
    std::vector<std::string> fragments;
  };
  const ErrorCase cases[] = {
      // Rank: pooling wants exactly rank + 2 dims.
      {"MaxPooling2D",
       {},
       Json::object(),
       {kNone, 28, 28},
       {"MaxPooling2D", "rank 4", "got rank 3", "(None, 28, 28)"}},
      {"MaxPooling1D",
       {},
       Json::object(),
       {kNone, 28, 28, 1},
       {"MaxPooling1D", "rank 3", "got rank 4"}},
      {"AveragePooling3D",
       {},
       Json::object(),
       {kNone, 8, 8, 1},
       {"AveragePooling3D", "rank 5", "(None, 8, 8, 1)"}},
      // Pool larger than the input with valid: floor((1 - 2) / 2) + 1 = 0.
      {"MaxPooling2D",
       {},
       Json::object(),
       {kNone, 1, 1, 64},
       {"MaxPooling2D", "pool 2x2 is larger than the input 1x1", "(None, 1, 1, 64)"}},
      {"AveragePooling1D",
       {5},
       Json::object(),
       {kNone, 4, 3},
       {"AveragePooling1D", "pool 5", "input 4", "(None, 4, 3)"}},
      {"MaxPooling3D",
       {{1, 1, 9}},
       Json::object(),
       {kNone, 9, 9, 8, 1},
       {"MaxPooling3D", "pool 1x1x9", "9x9x8"}},
      // Stride 0: TensorFlow's "Stride must be > 0".
      {"MaxPooling2D",
       {2},
       {{"strides", 0}},
       {},
       {"MaxPooling2D", "Stride must be > 0", "strides=0"}},
      {"AveragePooling2D",
       {2, {2, 0}},
       Json::object(),
       {},
       {"AveragePooling2D", "Stride must be > 0", "strides=(2, 0)"}},
      {"MaxPooling1D", {}, {{"strides", -1}}, {}, {"MaxPooling1D", "strides", ">= 0"}},
      {"MaxPooling2D", {0}, Json::object(), {}, {"MaxPooling2D", "pool_size", "> 0"}},
      {"MaxPooling2D",
       {{2, 2, 2}},
       Json::object(),
       {},
       {"MaxPooling2D", "pool_size", "tuple of 2 integers"}},
      {"MaxPooling2D", {"2"}, Json::object(), {}, {"MaxPooling2D", "pool_size"}},
      {"MaxPooling2D", {}, {{"padding", "causal"}}, {}, {"MaxPooling2D", "Causal padding"}},
      {"MaxPooling2D", {}, {{"padding", "full"}}, {}, {"MaxPooling2D", "padding", "'full'"}},
      {"MaxPooling2D",
       {},
       {{"data_format", "NHWC"}},
       {},
       {"MaxPooling2D", "data_format", "'NHWC'"}},
  };
  for (const ErrorCase& c : cases) {
    const std::string message = error_of([&] {
      auto layer = make(c.cls, c.args, c.kwargs);
      if (!c.input.empty()) layer->build(c.input);
    });
    ASSERT_FALSE(message.empty()) << c.cls << " " << Json(c.args).dump() << c.kwargs.dump();
    for (const std::string& f : c.fragments)
      EXPECT_NE(message.find(f), std::string::npos) << "'" << f << "' not in: " << message;
  }
}

}  // namespace
}  // namespace stride
