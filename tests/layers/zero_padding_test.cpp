// ZeroPadding1D/2D/3D (reference §1.7): out = in + before + after per spatial
// dim, None stays None, channels unchanged, 0 params.
#include <cstdint>

#include "test_util.hpp"

namespace stride {
namespace {

using test::built;
using test::error_of;
using test::make;

TEST(ZeroPaddingTest, OutputShapes) {
  struct Case {
    const char* cls;
    std::vector<Json> positional;
    Json keywords;
    Shape input, output;
  };
  const Json pairs_2d = {{1, 2}, {3, 4}};
  const Case cases[] = {
      // ((1, 2), (3, 4)): height 28 + 1 + 2 = 31, width 28 + 3 + 4 = 35.
      {"ZeroPadding2D", {pairs_2d}, Json::object(), {kNone, 28, 28, 1}, {kNone, 31, 35, 1}},
      // Default (1, 1): 28 + 1 + 1 = 30 both ways.
      {"ZeroPadding2D", {}, Json::object(), {kNone, 28, 28, 1}, {kNone, 30, 30, 1}},
      // int 2: 28 + 2 + 2 = 32.
      {"ZeroPadding2D", {2}, Json::object(), {kNone, 28, 28, 1}, {kNone, 32, 32, 1}},
      // (1, 2) is symmetric per dim: 28 + 1 + 1 = 30, 28 + 2 + 2 = 32.
      {"ZeroPadding2D",
       {Json::array({1, 2})},
       Json::object(),
       {kNone, 28, 28, 1},
       {kNone, 30, 32, 1}},
      // ((1, 2), 3) mixes a pair and an int: 28 + 3 = 31, 28 + 6 = 34.
      {"ZeroPadding2D",
       {Json::array({Json::array({1, 2}), 3})},
       Json::object(),
       {kNone, 28, 28, 1},
       {kNone, 31, 34, 1}},
      // channels_first: (None, 3, 28, 28) -> spatial dims are 2 and 3: 28 + 2 = 30.
      {"ZeroPadding2D",
       {1, "channels_first"},
       Json::object(),
       {kNone, 3, 28, 28},
       {kNone, 3, 30, 30}},
      {"ZeroPadding2D",
       {pairs_2d},
       {{"data_format", "channels_first"}},
       {kNone, 3, 10, 20},
       {kNone, 3, 13, 27}},  // 10 + 1 + 2, 20 + 3 + 4
      // None stays None; zero padding is allowed.
      {"ZeroPadding2D",
       {Json::array({0, 1})},
       Json::object(),
       {kNone, kNone, 28, 1},
       {kNone, kNone, 30, 1}},
      // 1D default 1: 10 + 1 + 1 = 12; (2, 3) is (left, right): 10 + 2 + 3 = 15.
      {"ZeroPadding1D", {}, Json::object(), {kNone, 10, 4}, {kNone, 12, 4}},
      {"ZeroPadding1D", {Json::array({2, 3})}, Json::object(), {kNone, 10, 4}, {kNone, 15, 4}},
      // 3D default 1: 4 + 2 = 6, 5 + 2 = 7, 6 + 2 = 8.
      {"ZeroPadding3D", {}, Json::object(), {kNone, 4, 5, 6, 2}, {kNone, 6, 7, 8, 2}},
      // ((1, 0), (0, 2), (3, 3)): 4 + 1 = 5, 5 + 2 = 7, 6 + 6 = 12.
      {"ZeroPadding3D",
       {Json::array({Json::array({1, 0}), Json::array({0, 2}), Json::array({3, 3})})},
       Json::object(),
       {kNone, 4, 5, 6, 2},
       {kNone, 5, 7, 12, 2}},
      // channels_first (1, 2, 3) symmetric: 4 + 2 = 6, 5 + 4 = 9, 6 + 6 = 12.
      {"ZeroPadding3D",
       {Json::array({1, 2, 3})},
       {{"data_format", "channels_first"}},
       {kNone, 2, 4, 5, 6},
       {kNone, 2, 6, 9, 12}},
  };
  for (const Case& c : cases) {
    auto layer = built(c.cls, c.positional, c.keywords, c.input);
    EXPECT_EQ(layer->output_shape(), c.output) << c.cls << " " << shape_to_python(c.input);
    EXPECT_EQ(layer->count_params(), 0);
  }
}

TEST(ZeroPaddingTest, ConfigIsNormalizedAsKerasLists) {
  EXPECT_EQ(make("ZeroPadding2D", {2})->get_config()["padding"], Json({{2, 2}, {2, 2}}));
  EXPECT_EQ(make("ZeroPadding2D", {Json::array({1, 2})})->get_config()["padding"],
            Json({{1, 1}, {2, 2}}));
  EXPECT_EQ(make("ZeroPadding1D", {3})->get_config()["padding"], Json({3, 3}));
  EXPECT_EQ(make("ZeroPadding2D")->get_config()["data_format"], "channels_last");
  EXPECT_FALSE(make("ZeroPadding1D")->get_config().contains("data_format"));
}

TEST(ZeroPaddingTest, Explain) {
  Explanation e;
  built("ZeroPadding2D", {}, Json::object(), {kNone, 28, 28, 1})->explain(e);
  ASSERT_EQ(e.lines.size(), 4u);
  EXPECT_EQ(e.lines[0], "height: 28 + 1 (top) + 1 (bottom) = 30");
  EXPECT_EQ(e.lines[1], "width: 28 + 1 (left) + 1 (right) = 30");
  EXPECT_EQ(e.lines[2], "channels: 1 unchanged");
  EXPECT_EQ(e.lines[3], "params: none (0)");
  Explanation e1;
  built("ZeroPadding1D", {Json::array({2, 3})}, Json::object(), {kNone, kNone, 4})->explain(e1);
  EXPECT_EQ(e1.lines[0], "length: unknown (None) in, unknown out");
}

TEST(ZeroPaddingTest, Errors) {
  EXPECT_EQ(error_of([] { make("ZeroPadding2D", {-1}); }),
            "ZeroPadding2D: `padding` cannot be negative. Received: padding=-1.");
  EXPECT_EQ(error_of([] {
              make("ZeroPadding2D", {Json::array({1, 2, 3})});
            }),
            "ZeroPadding2D: `padding` should have two elements. Received: padding=(1, 2, 3).");
  EXPECT_EQ(error_of([] {
              make("ZeroPadding3D", {Json::array({1, 1})});
            }),
            "ZeroPadding3D: `padding` should have 3 elements. Received: (1, 1).");
  EXPECT_EQ(error_of([] {
              make("ZeroPadding2D", {Json::array({Json::array({1, -2}), Json::array({0, 0})})});
            }),
            "ZeroPadding2D: The `1st entry of padding` argument must be a tuple of 2 integers. "
            "Received 1st entry of padding=(1, -2), including values {-2} that do not satisfy "
            "`value >= 0`");
  EXPECT_EQ(error_of([] {
              make("ZeroPadding2D", {Json::array({1, Json::array({1, 2, 3})})});
            }),
            "ZeroPadding2D: The `2nd entry of padding` argument must be a tuple of 2 integers. "
            "Received 2nd entry of padding=(1, 2, 3)");
  EXPECT_EQ(error_of([] { make("ZeroPadding1D", {-1}); }),
            "ZeroPadding1D: The `padding` argument must be a tuple of 2 integers. Received "
            "padding=-1, including values {-1} that do not satisfy `value >= 0`");
  EXPECT_EQ(error_of([] {
              make("ZeroPadding1D", {Json::array({1, 2, 3})});
            }),
            "ZeroPadding1D: The `padding` argument must be a tuple of 2 integers. Received "
            "padding=(1, 2, 3)");
  EXPECT_EQ(error_of([] {
              make("ZeroPadding1D", {Json::array({1, 1.5})});
            }),
            "ZeroPadding1D: The `padding` argument must be a tuple of 2 integers. Received "
            "padding=(1, 1.5), including element 1.5 of type float");
  EXPECT_EQ(error_of([] { make("ZeroPadding2D", {"same"}); }),
            "ZeroPadding2D: `padding` should be either an int, a tuple of 2 ints "
            "(symmetric_height_pad, symmetric_width_pad), or a tuple of 2 tuples of 2 ints "
            "((top_pad, bottom_pad), (left_pad, right_pad)). Received: padding='same'.");
  EXPECT_EQ(error_of([] {
              built("ZeroPadding2D", {}, Json::object(), {kNone, 28, 28});
            }),
            "ZeroPadding2D: expected input of rank 4 (batch included), got rank 3: input shape "
            "(None, 28, 28)");
  // 10 + (2^63 - 1) does not fit in 64 bits.
  const std::string overflow = error_of([] {
    built("ZeroPadding1D", {Json::array({INT64_MAX, 0})}, Json::object(), {kNone, 10, 1});
  });
  EXPECT_NE(overflow.find("ZeroPadding1D: padded length overflows 64 bits"), std::string::npos)
      << overflow;
}

}  // namespace
}  // namespace stride
