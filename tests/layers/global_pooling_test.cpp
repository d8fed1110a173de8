// GlobalMax/GlobalAveragePooling1D/2D/3D: (B, C), or with keepdims
// (B, 1, .., 1, C) / (B, C, 1, .., 1) (reference §1.7).
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace stride {
namespace {

using test::built;
using test::error_of;
using test::make;

struct GlobalCase {
  const char* cls;
  Json kwargs;
  Shape input, output;
};

TEST(GlobalPooling, OutputShapes) {
  const Json none = Json::object();
  const Json keep = {{"keepdims", true}};
  const Json first = {{"data_format", "channels_first"}};
  const Json first_keep = {{"data_format", "channels_first"}, {"keepdims", true}};
  const GlobalCase cases[] = {
      // Channels are the last axis: 32.
      {"GlobalAveragePooling2D", none, {kNone, 13, 13, 32}, {kNone, 32}},
      {"GlobalMaxPooling2D", none, {kNone, 13, 13, 32}, {kNone, 32}},
      // keepdims keeps both spatial axes with size 1.
      {"GlobalAveragePooling2D", keep, {kNone, 13, 13, 32}, {kNone, 1, 1, 32}},
      // channels_first: channels are axis 1 (32), the 1s follow them.
      {"GlobalAveragePooling2D", first, {kNone, 32, 13, 13}, {kNone, 32}},
      {"GlobalMaxPooling2D", first_keep, {kNone, 32, 13, 13}, {kNone, 32, 1, 1}},
      {"GlobalMaxPooling1D", none, {kNone, 10, 8}, {kNone, 8}},
      {"GlobalAveragePooling1D", keep, {kNone, 10, 8}, {kNone, 1, 8}},
      {"GlobalAveragePooling1D", first, {kNone, 8, 10}, {kNone, 8}},
      {"GlobalMaxPooling1D", first_keep, {kNone, 8, 10}, {kNone, 8, 1}},
      {"GlobalMaxPooling3D", none, {kNone, 4, 5, 6, 7}, {kNone, 7}},
      {"GlobalAveragePooling3D", keep, {kNone, 4, 5, 6, 7}, {kNone, 1, 1, 1, 7}},
      {"GlobalAveragePooling3D", first_keep, {kNone, 7, 4, 5, 6}, {kNone, 7, 1, 1, 1}},
      // Unknown spatial dims do not matter; a known batch is kept.
      {"GlobalAveragePooling2D", none, {kNone, kNone, kNone, 3}, {kNone, 3}},
      {"GlobalMaxPooling2D", none, {16, 7, 7, 512}, {16, 512}},
      // Aliases.
      {"GlobalAvgPool2D", none, {kNone, 5, 5, 64}, {kNone, 64}},
      {"GlobalMaxPool2D", none, {kNone, 5, 5, 64}, {kNone, 64}},
      {"GlobalAvgPool1D", none, {kNone, 5, 6}, {kNone, 6}},
      {"GlobalMaxPool1D", none, {kNone, 5, 6}, {kNone, 6}},
      {"GlobalAvgPool3D", none, {kNone, 2, 2, 2, 9}, {kNone, 9}},
      {"GlobalMaxPool3D", none, {kNone, 2, 2, 2, 9}, {kNone, 9}},
  };
  for (const GlobalCase& c : cases) {
    auto layer = built(c.cls, {}, c.kwargs, c.input);
    EXPECT_EQ(layer->output_shape(), c.output)
        << c.cls << " on " << shape_to_python(c.input) << " " << c.kwargs.dump();
    EXPECT_EQ(layer->count_params(), 0) << c.cls;
  }
}

TEST(GlobalPooling, PositionalArgumentsAndConfig) {
  // Keras order: data_format, keepdims.
  auto layer =
      built("GlobalAveragePooling2D", {"channels_first", true}, Json::object(), {kNone, 3, 4, 4});
  EXPECT_EQ(layer->output_shape(), (Shape{kNone, 3, 1, 1}));
  EXPECT_EQ(layer->get_config()["data_format"], "channels_first");
  EXPECT_EQ(layer->get_config()["keepdims"], true);
  // data_format=None is the global default, channels_last; 1D defaults to it explicitly.
  EXPECT_EQ(make("GlobalMaxPooling2D")->get_config()["data_format"], "channels_last");
  EXPECT_EQ(make("GlobalMaxPooling1D")->get_config()["data_format"], "channels_last");
  EXPECT_EQ(make("GlobalMaxPool1D")->class_name(), "GlobalMaxPooling1D");
}

TEST(GlobalPooling, Explain) {
  auto layer = built("GlobalAveragePooling2D", {}, Json::object(), {kNone, 13, 13, 32});
  Explanation e;
  layer->explain(e);
  ASSERT_FALSE(e.lines.empty());
  EXPECT_EQ(e.lines[0], "mean over 13x13 positions per channel -> (None, 32)");

  auto max = built("GlobalMaxPooling1D", {}, {{"keepdims", true}}, {kNone, 10, 8});
  Explanation m;
  max->explain(m);
  EXPECT_EQ(m.lines.at(0), "max over 10 positions per channel -> (None, 1, 8)");
}

TEST(GlobalPooling, Errors) {
  struct ErrorCase {
    const char* cls;
    Json kwargs;
    Shape input;  // empty: the constructor fails
    std::vector<std::string> fragments;
  };
  const ErrorCase cases[] = {
      {"GlobalAveragePooling2D",
       Json::object(),
       {kNone, 10, 8},
       {"GlobalAveragePooling2D", "rank 4", "got rank 3", "(None, 10, 8)"}},
      {"GlobalMaxPooling1D",
       Json::object(),
       {kNone, 4, 4, 3},
       {"GlobalMaxPooling1D", "rank 3", "got rank 4", "(None, 4, 4, 3)"}},
      {"GlobalMaxPooling3D", Json::object(), {kNone, 4}, {"GlobalMaxPooling3D", "rank 5"}},
      {"GlobalMaxPooling2D",
       {{"keepdims", 1}},
       {},
       {"GlobalMaxPooling2D", "keepdims", "True or False"}},
      {"GlobalMaxPooling2D",
       {{"data_format", "NCHW"}},
       {},
       {"GlobalMaxPooling2D", "data_format", "'NCHW'"}},
      {"GlobalMaxPooling2D", {{"pool_size", 2}}, {}, {"GlobalMaxPooling2D", "pool_size"}},
  };
  for (const ErrorCase& c : cases) {
    const std::string message = error_of([&] {
      auto layer = make(c.cls, {}, c.kwargs);
      if (!c.input.empty()) layer->build(c.input);
    });
    ASSERT_FALSE(message.empty()) << c.cls << " " << c.kwargs.dump();
    for (const std::string& f : c.fragments)
      EXPECT_NE(message.find(f), std::string::npos) << "'" << f << "' not in: " << message;
  }
}

}  // namespace
}  // namespace stride
