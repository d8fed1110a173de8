// Dropout and SpatialDropout1D/2D/3D: output shape = input shape, 0 params
// (reference §2.5); rate in [0, 1] with Keras 3's message (§5.2); the spatial
// variants take exactly rank 3/4/5.
#include "test_util.hpp"

namespace stride {
namespace {

using test::built;
using test::error_of;
using test::make;

struct Case {
  const char* cls;
  std::vector<Json> positional;
  Json keywords;
  Shape input;
};

TEST(DropoutTest, ShapeIsUnchangedAndHasNoParams) {
  const Case cases[] = {
      {"Dropout", {0.5}, Json::object(), {kNone, 10}},
      {"Dropout", {0.25}, Json::object(), {kNone, 5, 7, 3}},
      {"Dropout", {0.0}, Json::object(), {kNone, 3}},  // both ends of [0, 1] are allowed
      {"Dropout", {1.0}, Json::object(), {kNone, 3}},
      {"Dropout", {0}, Json::object(), {kNone}},  // an int rate is a number too
      {"Dropout", {0.5}, {{"noise_shape", {nullptr, 1, 5}}, {"seed", 7}}, {kNone, 4, 5}},
      {"SpatialDropout1D", {0.2}, Json::object(), {kNone, 10, 4}},
      {"SpatialDropout2D", {0.2}, Json::object(), {kNone, 8, 8, 16}},
      {"SpatialDropout2D", {0.2, "channels_first"}, Json::object(), {kNone, 16, 8, 8}},
      {"SpatialDropout3D", {0.2}, Json::object(), {kNone, 4, 8, 8, 16}},
      {"SpatialDropout3D", {0.1}, {{"data_format", "channels_first"}}, {2, 16, 4, 8, 8}},
  };
  for (const Case& c : cases) {
    auto layer = built(c.cls, c.positional, c.keywords, c.input);
    EXPECT_EQ(layer->output_shape(), c.input) << c.cls << " " << shape_to_python(c.input);
    EXPECT_EQ(layer->count_params(), 0) << c.cls;
    EXPECT_TRUE(layer->weights().empty()) << c.cls;
  }
}

TEST(DropoutTest, ConfigKeepsKerasKeys) {
  auto d = make("Dropout", {0.5});
  EXPECT_EQ(d->get_config()["rate"], 0.5);
  EXPECT_TRUE(d->get_config()["noise_shape"].is_null());
  EXPECT_TRUE(d->get_config()["seed"].is_null());
  // data_format=None is written back as the default image data format.
  auto s = make("SpatialDropout2D", {0.3});
  EXPECT_EQ(s->get_config()["data_format"], "channels_last");
  auto s_cf = make("SpatialDropout3D", {0.3}, {{"data_format", "channels_first"}});
  EXPECT_EQ(s_cf->get_config()["data_format"], "channels_first");
}

TEST(DropoutTest, Keras2JsonSpatialDropoutCarriesNoiseShape) {
  // Keras 2 SpatialDropout2D inherits Dropout.get_config: rate, noise_shape, seed.
  Json config = {{"name", "spatial_dropout2d"},
                 {"trainable", true},
                 {"dtype", "float32"},
                 {"rate", 0.5},
                 {"noise_shape", nullptr},
                 {"seed", nullptr},
                 {"data_format", "channels_last"}};
  auto layer = make_layer_from_config("SpatialDropout2D", config, SourceLoc{"m.json", 1, 1});
  layer->build({kNone, 8, 8, 4});
  EXPECT_EQ(layer->output_shape(), (Shape{kNone, 8, 8, 4}));
}

TEST(DropoutTest, Errors) {
  const std::string rate_message =
      "Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
      "Received: rate=";
  EXPECT_EQ(error_of([] { make("Dropout", {1.5}); }), "Dropout: " + rate_message + "1.5");
  EXPECT_EQ(error_of([] { make("Dropout", {-0.1}); }), "Dropout: " + rate_message + "-0.1");
  EXPECT_EQ(error_of([] { make("Dropout", {2}); }), "Dropout: " + rate_message + "2");
  EXPECT_EQ(error_of([] { make("SpatialDropout2D", {1.01}); }),
            "SpatialDropout2D: " + rate_message + "1.01");
  EXPECT_EQ(error_of([] { make("Dropout", {"half"}); }),
            "Dropout: argument `rate` must be a number. Received: rate='half' (of type str)");
  EXPECT_EQ(error_of([] { make("Dropout"); }), "Dropout: missing required argument `rate`");
  EXPECT_EQ(error_of([] {
              make("Dropout", {0.5}, {{"noise_shape", "x"}});
            }),
            "Dropout: Invalid value received for argument `noise_shape`. Expected a tuple or list "
            "of integers. Received: noise_shape='x'");
  EXPECT_EQ(error_of([] {
              make("Dropout", {0.5}, {{"noise_shape", {nullptr, 0}}});
            }),
            "Dropout: Invalid value received for argument `noise_shape`. Expected all dimensions "
            "to be positive integers or None. Received negative or zero value at index 1: 0");
  EXPECT_EQ(error_of([] {
              make("SpatialDropout2D", {0.5}, {{"data_format", "NHWC"}});
            }),
            "SpatialDropout2D: The `data_format` argument must be one of 'channels_first', "
            "'channels_last'. Received: data_format='NHWC'");
  // SpatialDropout1D has no data_format in Keras.
  EXPECT_NE(error_of([] {
              make("SpatialDropout1D", {0.5}, {{"data_format", "channels_last"}});
            }).find("unknown argument `data_format`"),
            std::string::npos);
}

TEST(DropoutTest, SpatialVariantsRequireTheirExactRank) {
  struct RankCase {
    const char* cls;
    Shape input;
    const char* message;
  };
  const RankCase cases[] = {
      {"SpatialDropout1D",
       {kNone, 10},
       "SpatialDropout1D: expected input of rank 3 (batch included), got rank 2: input shape "
       "(None, 10)"},
      {"SpatialDropout1D",
       {kNone, 10, 4, 2},
       "SpatialDropout1D: expected input of rank 3 (batch included), got rank 4: input shape "
       "(None, 10, 4, 2)"},
      {"SpatialDropout2D",
       {kNone, 28, 28},
       "SpatialDropout2D: expected input of rank 4 (batch included), got rank 3: input shape "
       "(None, 28, 28)"},
      {"SpatialDropout3D",
       {kNone, 8, 8, 3},
       "SpatialDropout3D: expected input of rank 5 (batch included), got rank 4: input shape "
       "(None, 8, 8, 3)"},
  };
  for (const RankCase& c : cases)
    EXPECT_EQ(error_of([&] { built(c.cls, {0.5}, Json::object(), c.input); }), c.message);
}

}  // namespace
}  // namespace stride
