// UpSampling1D/2D/3D (reference §1.7): out = in * size per spatial dim, None
// stays None, channels unchanged, 0 params.
#include <cstdint>

#include "test_util.hpp"

namespace stride {
namespace {

using test::built;
using test::error_of;
using test::make;

TEST(UpSamplingTest, OutputShapes) {
  struct Case {
    const char* cls;
    std::vector<Json> positional;
    Json keywords;
    Shape input, output;
  };
  const Case cases[] = {
      // (2, 3) on 5x7: 5 * 2 = 10, 7 * 3 = 21.
      {"UpSampling2D", {Json::array({2, 3})}, Json::object(), {kNone, 5, 7, 3}, {kNone, 10, 21, 3}},
      // Default (2, 2): 14 * 2 = 28.
      {"UpSampling2D", {}, Json::object(), {kNone, 14, 14, 8}, {kNone, 28, 28, 8}},
      // int 3: 4 * 3 = 12, 5 * 3 = 15.
      {"UpSampling2D", {3}, Json::object(), {kNone, 4, 5, 1}, {kNone, 12, 15, 1}},
      // channels_first (None, 3, 5, 7) with (2, 3): 10, 21.
      {"UpSampling2D",
       {Json::array({2, 3}), "channels_first"},
       Json::object(),
       {kNone, 3, 5, 7},
       {kNone, 3, 10, 21}},
      {"UpSampling2D", {}, {{"interpolation", "bilinear"}}, {kNone, 5, 5, 2}, {kNone, 10, 10, 2}},
      // None stays None.
      {"UpSampling2D", {}, Json::object(), {kNone, kNone, 7, 3}, {kNone, kNone, 14, 3}},
      // 1D default 2: 10 * 2 = 20; size 3: 30.
      {"UpSampling1D", {}, Json::object(), {kNone, 10, 4}, {kNone, 20, 4}},
      {"UpSampling1D", {3}, Json::object(), {kNone, 10, 4}, {kNone, 30, 4}},
      // 3D default (2, 2, 2): 4 * 2, 5 * 2, 6 * 2; (1, 2, 3) channels_first: 4, 10, 18.
      {"UpSampling3D", {}, Json::object(), {kNone, 4, 5, 6, 2}, {kNone, 8, 10, 12, 2}},
      {"UpSampling3D",
       {Json::array({1, 2, 3})},
       {{"data_format", "channels_first"}},
       {kNone, 2, 4, 5, 6},
       {kNone, 2, 4, 10, 18}},
  };
  for (const Case& c : cases) {
    auto layer = built(c.cls, c.positional, c.keywords, c.input);
    EXPECT_EQ(layer->output_shape(), c.output) << c.cls << " " << shape_to_python(c.input);
    EXPECT_EQ(layer->count_params(), 0);
  }
}

TEST(UpSamplingTest, ConfigAndExplain) {
  const Json config = make("UpSampling2D", {3}, {{"interpolation", "Bilinear"}})->get_config();
  EXPECT_EQ(config["size"], Json({3, 3}));
  EXPECT_EQ(config["interpolation"], "bilinear");  // lower-cased, as Keras 3 does
  EXPECT_EQ(config["data_format"], "channels_last");
  Explanation e;
  built("UpSampling2D", {Json::array({2, 3})}, Json::object(), {kNone, 5, 7, 3})->explain(e);
  ASSERT_EQ(e.lines.size(), 4u);
  EXPECT_EQ(e.lines[0], "height: out = in * size = 5 * 2 = 10");
  EXPECT_EQ(e.lines[1], "width: out = in * size = 7 * 3 = 21");
  EXPECT_EQ(e.lines[2], "channels: 3 unchanged");
  EXPECT_EQ(e.lines[3], "params: none (0)");
}

TEST(UpSamplingTest, Errors) {
  EXPECT_EQ(error_of([] {
              make("UpSampling2D", {}, {{"interpolation", "cubic"}});
            }),
            "UpSampling2D: `interpolation` argument should be one of: \"area\", \"bicubic\", "
            "\"bilinear\", \"gaussian\", \"lanczos3\", \"lanczos5\", \"mitchellcubic\", "
            "\"nearest\". Received: \"cubic\".");
  EXPECT_EQ(error_of([] {
              make("UpSampling2D", {}, {{"interpolation", 1}});
            }),
            "UpSampling2D: argument `interpolation` must be a string. Received: interpolation=1 "
            "(of type int)");
  EXPECT_EQ(error_of([] { make("UpSampling2D", {0}); }),
            "UpSampling2D: The `size` argument must be a tuple of 2 integers. Received size=0, "
            "including values that do not satisfy `value > 0`");
  EXPECT_EQ(error_of([] {
              make("UpSampling2D", {Json::array({2, 2, 2})});
            }),
            "UpSampling2D: The `size` argument must be a tuple of 2 integers. Received "
            "size=(2, 2, 2)");
  EXPECT_EQ(error_of([] { make("UpSampling1D", {0}); }),
            "UpSampling1D: Argument `size` should be a positive integer. Received: size=0");
  EXPECT_EQ(error_of([] { make("UpSampling1D", {Json::array({2})}); }),
            "UpSampling1D: Argument `size` should be a positive integer. Received: size=(2,)");
  EXPECT_EQ(error_of([] {
              make("UpSampling3D", {Json::array({2, 2})});
            }),
            "UpSampling3D: The `size` argument must be a tuple of 3 integers. Received "
            "size=(2, 2)");
  // UpSampling1D and 3D have no interpolation argument in Keras.
  EXPECT_NE(error_of([] {
              make("UpSampling3D", {}, {{"interpolation", "nearest"}});
            }).find("unknown argument `interpolation`"),
            std::string::npos);
  EXPECT_EQ(error_of([] {
              built("UpSampling2D", {}, Json::object(), {kNone, 5, 3});
            }),
            "UpSampling2D: expected input of rank 4 (batch included), got rank 3: input shape "
            "(None, 5, 3)");
  // 2^62 * 2 = 2^63 does not fit in a signed 64-bit dim.
  const std::string overflow = error_of([] {
    built("UpSampling1D", {}, Json::object(), {kNone, std::int64_t{1} << 62, 1});
  });
  EXPECT_NE(overflow.find("UpSampling1D: upsampled length overflows 64 bits"), std::string::npos)
      << overflow;
}

}  // namespace
}  // namespace stride
