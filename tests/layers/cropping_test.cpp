// Cropping1D/2D/3D (reference §1.7, §5.4): out = in - before - after per
// spatial dim, None stays None, 0 params; nothing left (<= 0) is an error.
#include <cstdint>

#include "test_util.hpp"

namespace stride {
namespace {

using test::built;
using test::error_of;
using test::make;

Json pairs(std::initializer_list<std::pair<int, int>> ps) {
  Json out = Json::array();
  for (auto [b, a] : ps) out.push_back(Json::array({b, a}));
  return out;
}

TEST(CroppingTest, OutputShapes) {
  struct Case {
    const char* cls;
    std::vector<Json> positional;
    Json keywords;
    Shape input, output;
  };
  const Case cases[] = {
      // Keras's docstring example: ((2, 2), (4, 4)) on 28x28: 28 - 2 - 2 = 24, 28 - 4 - 4 = 20.
      {"Cropping2D",
       {pairs({{2, 2}, {4, 4}})},
       Json::object(),
       {kNone, 28, 28, 3},
       {kNone, 24, 20, 3}},
      // Default ((0, 0), (0, 0)) keeps the shape.
      {"Cropping2D", {}, Json::object(), {kNone, 28, 28, 3}, {kNone, 28, 28, 3}},
      // int 1: 28 - 2 = 26; (1, 2) symmetric per dim: 28 - 2 = 26, 28 - 4 = 24.
      {"Cropping2D", {1}, Json::object(), {kNone, 28, 28, 3}, {kNone, 26, 26, 3}},
      {"Cropping2D", {Json::array({1, 2})}, Json::object(), {kNone, 28, 28, 3}, {kNone, 26, 24, 3}},
      // channels_first ((1, 0), (0, 2)) on (None, 3, 10, 10): 10 - 1 = 9, 10 - 2 = 8.
      {"Cropping2D",
       {pairs({{1, 0}, {0, 2}})},
       {{"data_format", "channels_first"}},
       {kNone, 3, 10, 10},
       {kNone, 3, 9, 8}},
      // None stays None, whatever the cropping.
      {"Cropping2D", {100}, Json::object(), {kNone, kNone, kNone, 3}, {kNone, kNone, kNone, 3}},
      // 1D default (1, 1): 10 - 2 = 8; (2, 3): 10 - 5 = 5.
      {"Cropping1D", {}, Json::object(), {kNone, 10, 4}, {kNone, 8, 4}},
      {"Cropping1D", {Json::array({2, 3})}, Json::object(), {kNone, 10, 4}, {kNone, 5, 4}},
      // 3D default ((1, 1), (1, 1), (1, 1)): 4 - 2 = 2, 5 - 2 = 3, 6 - 2 = 4.
      {"Cropping3D", {}, Json::object(), {kNone, 4, 5, 6, 2}, {kNone, 2, 3, 4, 2}},
      // channels_first ((0, 1), (2, 0), (1, 1)) on (None, 2, 4, 5, 6): 3, 3, 4.
      {"Cropping3D",
       {pairs({{0, 1}, {2, 0}, {1, 1}})},
       {{"data_format", "channels_first"}},
       {kNone, 2, 4, 5, 6},
       {kNone, 2, 3, 3, 4}},
  };
  for (const Case& c : cases) {
    auto layer = built(c.cls, c.positional, c.keywords, c.input);
    EXPECT_EQ(layer->output_shape(), c.output) << c.cls << " " << shape_to_python(c.input);
    EXPECT_EQ(layer->count_params(), 0);
  }
}

TEST(CroppingTest, ConfigAndExplain) {
  EXPECT_EQ(make("Cropping2D", {1})->get_config()["cropping"], Json({{1, 1}, {1, 1}}));
  EXPECT_EQ(make("Cropping1D")->get_config()["cropping"], Json({1, 1}));
  Explanation e;
  built("Cropping2D", {pairs({{2, 2}, {4, 4}})}, Json::object(), {kNone, 28, 28, 3})->explain(e);
  ASSERT_EQ(e.lines.size(), 4u);
  EXPECT_EQ(e.lines[0], "height: 28 - 2 (top) - 2 (bottom) = 24");
  EXPECT_EQ(e.lines[1], "width: 28 - 4 (left) - 4 (right) = 20");
  EXPECT_EQ(e.lines[2], "channels: 3 unchanged");
  EXPECT_EQ(e.lines[3], "params: none (0)");
  Explanation e3;
  built("Cropping3D", {}, Json::object(), {kNone, 4, 5, 6, 2})->explain(e3);
  EXPECT_EQ(e3.lines[0], "depth: 4 - 1 (front) - 1 (back) = 2");
}

TEST(CroppingTest, CroppingEverythingIsAnError) {
  // 14 + 14 = 28 leaves 0 rows.
  EXPECT_EQ(error_of([] {
              built("Cropping2D", {pairs({{14, 14}, {0, 0}})}, Json::object(), {kNone, 28, 28, 3});
            }),
            "Cropping2D: Values in `cropping` argument should be smaller than the corresponding "
            "spatial dimension of the input. Received: input_shape=(None, 28, 28, 3), "
            "cropping=((14, 14), (0, 0)) (height: 28 - 14 - 14 = 0)");
  // channels_first: width 10 - 6 - 6 = -2.
  EXPECT_EQ(error_of([] {
              built("Cropping2D", {Json::array({0, 6})}, {{"data_format", "channels_first"}},
                    {kNone, 3, 20, 10});
            }),
            "Cropping2D: Values in `cropping` argument should be smaller than the corresponding "
            "spatial dimension of the input. Received: input_shape=(None, 3, 20, 10), "
            "cropping=((0, 0), (6, 6)) (width: 10 - 6 - 6 = -2)");
  // Keras 3's own test: Cropping1D((2, 3)) on length 5.
  EXPECT_EQ(error_of([] {
              built("Cropping1D", {Json::array({2, 3})}, Json::object(), {3, 5, 7});
            }),
            "Cropping1D: `cropping` parameter of `Cropping1D` layer must be smaller than the "
            "input length. Received: input_shape=(3, 5, 7), cropping=(2, 3)");
  EXPECT_EQ(error_of([] {
              built("Cropping3D", {2}, Json::object(), {kNone, 4, 5, 6, 2});
            }),
            "Cropping3D: Values in `cropping` argument should be smaller than the corresponding "
            "spatial dimension of the input. Received: input_shape=(None, 4, 5, 6, 2), "
            "cropping=((2, 2), (2, 2), (2, 2)) (depth: 4 - 2 - 2 = 0)");
}

TEST(CroppingTest, ArgumentErrors) {
  EXPECT_EQ(error_of([] { make("Cropping2D", {-1}); }),
            "Cropping2D: `cropping` cannot be negative. Received: cropping=-1.");
  EXPECT_EQ(error_of([] {
              make("Cropping2D", {Json::array({1, 2, 3})});
            }),
            "Cropping2D: `cropping` should have two elements. Received: cropping=(1, 2, 3).");
  EXPECT_EQ(error_of([] {
              make("Cropping3D", {Json::array({1, 1})});
            }),
            "Cropping3D: `cropping` should have 3 elements. Received: (1, 1).");
  EXPECT_EQ(error_of([] {
              make("Cropping2D", {pairs({{0, 0}, {-1, 2}})});
            }),
            "Cropping2D: The `2nd entry of cropping` argument must be a tuple of 2 integers. "
            "Received 2nd entry of cropping=(-1, 2), including values {-1} that do not satisfy "
            "`value >= 0`");
  EXPECT_EQ(error_of([] {
              make("Cropping1D", {Json::array({-1, -2})});
            }),
            "Cropping1D: The `cropping` argument must be a tuple of 2 integers. Received "
            "cropping=(-1, -2), including values {-1, -2} that do not satisfy `value >= 0`");
  EXPECT_EQ(error_of([] { make("Cropping1D", {"1"}); }),
            "Cropping1D: The `cropping` argument must be a tuple of 2 integers. Received "
            "cropping='1'");
  EXPECT_EQ(error_of([] { make("Cropping2D", {1.5}); }),
            "Cropping2D: `cropping` should be either an int, a tuple of 2 ints "
            "(symmetric_height_crop, symmetric_width_crop), or a tuple of 2 tuples of 2 ints "
            "((top_crop, bottom_crop), (left_crop, right_crop)). Received: cropping=1.5.");
  EXPECT_EQ(error_of([] {
              built("Cropping1D", {}, Json::object(), {kNone, 10});
            }),
            "Cropping1D: expected input of rank 3 (batch included), got rank 2: input shape "
            "(None, 10)");
  EXPECT_NE(error_of([] {
              built("Cropping1D", {Json::array({INT64_MAX, 1})}, Json::object(), {kNone, 10, 1});
            }).find("Cropping1D: cropping overflows 64 bits"),
            std::string::npos);
}

}  // namespace
}  // namespace stride
