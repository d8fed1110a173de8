// Activation, ReLU, LeakyReLU, Softmax, ELU (shape kept, 0 params) and PReLU
// (alpha shaped like input_shape[1:] with shared axes set to 1).
#include "test_util.hpp"

namespace stride {
namespace {

using test::built;
using test::error_of;
using test::make;

TEST(ActivationTest, ElementWiseLayersKeepTheShapeAndHaveNoParams) {
  struct Case {
    const char* cls;
    std::vector<Json> positional;
    Json keywords;
    Shape input;
  };
  const Case cases[] = {
      {"Activation", {"relu"}, Json::object(), {kNone, 26, 26, 32}},
      {"Activation", {"softmax"}, Json::object(), {kNone, 10}},
      {"ReLU", {}, Json::object(), {kNone, 4, 4, 3}},
      {"ReLU", {6.0}, Json::object(), {kNone, 8}},  // max_value=6: ReLU6
      {"ReLU", {}, {{"negative_slope", 0.1}, {"threshold", 0.5}}, {kNone, 8}},
      {"LeakyReLU", {}, Json::object(), {kNone, 5, 7}},
      {"LeakyReLU", {0.2}, Json::object(), {kNone, 5, 7}},
      {"Softmax", {}, Json::object(), {kNone, 10}},
      {"Softmax", {1}, Json::object(), {kNone, 5, 3}},
      {"Softmax", {-2}, Json::object(), {kNone, 5, 3}},  // -2 is axis 1 of rank 3
      {"Softmax", {Json::array({1, 2})}, Json::object(), {kNone, 5, 3}},
      {"ELU", {}, Json::object(), {kNone, 12}},
      {"ELU", {0.5}, Json::object(), {kNone, 3, 3, 2}},
  };
  for (const Case& c : cases) {
    auto layer = built(c.cls, c.positional, c.keywords, c.input);
    EXPECT_EQ(layer->output_shape(), c.input) << c.cls;
    EXPECT_EQ(layer->count_params(), 0) << c.cls;
  }
}

TEST(ActivationTest, LeakyReLUAcceptsKeras2Alpha) {
  EXPECT_EQ(make("LeakyReLU")->get_config()["negative_slope"], 0.3);  // Keras default
  auto k2 = make("LeakyReLU", {}, {{"alpha", 0.1}});
  EXPECT_EQ(k2->get_config()["negative_slope"], 0.1);
  EXPECT_FALSE(k2->get_config().contains("alpha"));
  // Keras 2 JSON: {"alpha": 0.3}.
  Json config = {
      {"name", "leaky_re_lu"}, {"trainable", true}, {"dtype", "float32"}, {"alpha", 0.3}};
  auto from_json = make_layer_from_config("LeakyReLU", config, SourceLoc{"m.json", 1, 1});
  EXPECT_EQ(from_json->get_config()["negative_slope"], 0.3);
  EXPECT_EQ(from_json->name(), "leaky_re_lu");
}

TEST(ActivationTest, DefaultNames) {
  // Reference §3: ReLU -> re_lu, LeakyReLU -> leaky_re_lu, PReLU -> p_re_lu.
  EXPECT_EQ(keras_snake_case("ReLU"), "re_lu");
  EXPECT_EQ(keras_snake_case("LeakyReLU"), "leaky_re_lu");
  EXPECT_EQ(keras_snake_case("PReLU"), "p_re_lu");
  EXPECT_EQ(keras_snake_case("ELU"), "elu");
  EXPECT_EQ(keras_snake_case("Softmax"), "softmax");
}

TEST(ActivationTest, PReLUParams) {
  struct Case {
    Json keywords;
    Shape input;
    std::vector<Dim> alpha;
    Dim params;
  };
  const Case cases[] = {
      {Json::object(), {kNone, 10, 10, 3}, {10, 10, 3}, 300},         // 10*10*3
      {{{"shared_axes", {1, 2}}}, {kNone, 10, 10, 3}, {1, 1, 3}, 3},  // 1*1*3
      {{{"shared_axes", 3}}, {kNone, 10, 10, 3}, {10, 10, 1}, 100},   // int: 10*10*1
      {{{"shared_axes", {1}}}, {kNone, 20, 8}, {1, 8}, 8},            // 1*8
      {Json::object(), {kNone, 64}, {64}, 64},                        // after Dense(64)
      {{{"shared_axes", {1}}}, {kNone, kNone, 8}, {1, 8}, 8},         // None axis shared
  };
  for (const Case& c : cases) {
    auto layer = built("PReLU", {}, c.keywords, c.input);
    EXPECT_EQ(layer->output_shape(), c.input);
    ASSERT_EQ(layer->weights().size(), 1u);
    EXPECT_EQ(layer->weights()[0].name, "alpha");
    EXPECT_EQ(layer->weights()[0].shape, c.alpha);
    EXPECT_TRUE(layer->weights()[0].trainable);
    EXPECT_EQ(layer->count_params(), c.params);
    EXPECT_EQ(layer->trainable_params(), c.params);
  }
  Explanation e;
  built("PReLU", {}, {{"shared_axes", {1, 2}}}, {kNone, 10, 10, 3})->explain(e);
  ASSERT_EQ(e.lines.size(), 2u);
  EXPECT_EQ(e.lines[0],
            "alpha shape = input shape without batch (10, 10, 3), shared axes (1, 2) set to 1: "
            "(1, 1, 3)");
  EXPECT_EQ(e.lines[1], "params: alpha 1*1*3 = 3");
}

TEST(ActivationTest, Errors) {
  EXPECT_EQ(error_of([] { make("Activation", {"nope"}); }),
            "Activation: Unknown activation function: 'nope'");
  EXPECT_EQ(error_of([] { make("Activation"); }),
            "Activation: missing required argument `activation`");
  EXPECT_EQ(error_of([] { make("ReLU", {-1}); }),
            "ReLU: max_value of a ReLU layer cannot be a negative value. Received: max_value=-1");
  EXPECT_EQ(error_of([] {
              make("ReLU", {}, {{"negative_slope", -0.5}});
            }),
            "ReLU: negative_slope of a ReLU layer cannot be a negative value. Received: "
            "negative_slope=-0.5");
  EXPECT_EQ(error_of([] {
              make("ReLU", {}, {{"negative_slope", nullptr}});
            }),
            "ReLU: negative_slope of a ReLU layer cannot be a negative value. Received: "
            "negative_slope=None");
  EXPECT_EQ(error_of([] {
              make("ReLU", {}, {{"threshold", -1.0}});
            }),
            "ReLU: threshold of a ReLU layer cannot be a negative value. Received: "
            "threshold=-1.0");
  EXPECT_EQ(error_of([] { make("ReLU", {"six"}); }),
            "ReLU: argument `max_value` must be a number. Received: max_value='six' (of type "
            "str)");
  EXPECT_EQ(error_of([] { make("LeakyReLU", {-0.3}); }),
            "LeakyReLU: The negative_slope value of a Leaky ReLU layer cannot be None or negative "
            "value. Expected a float. Received: negative_slope=-0.3");
  EXPECT_EQ(error_of([] {
              make("LeakyReLU", {}, {{"alpha", -1}});
            }),
            "LeakyReLU: The negative_slope value of a Leaky ReLU layer cannot be None or negative "
            "value. Expected a float. Received: alpha=-1");
  EXPECT_EQ(error_of([] { make("ELU", {"one"}); }),
            "ELU: argument `alpha` must be a number. Received: alpha='one' (of type str)");
  EXPECT_EQ(error_of([] { make("Softmax", {"last"}); }),
            "Softmax: argument `axis` must be a tuple of integers. Received: axis='last'");
  EXPECT_EQ(error_of([] {
              built("Softmax", {3}, Json::object(), {kNone, 5, 3});
            }),
            "Softmax: `axis` 3 is out of range for an input of rank 3: input shape (None, 5, 3)");
  EXPECT_EQ(error_of([] {
              built("Softmax", {-4}, Json::object(), {kNone, 5, 3});
            }),
            "Softmax: `axis` -4 is out of range for an input of rank 3: input shape (None, 5, 3)");
  EXPECT_EQ(error_of([] {
              built("PReLU", {}, {{"shared_axes", {4}}}, {kNone, 10, 10, 3});
            }),
            "PReLU: `shared_axes` must name non-batch axes 1..3 of the input; got 4 for input "
            "shape (None, 10, 10, 3)");
  EXPECT_EQ(error_of([] {
              built("PReLU", {}, {{"shared_axes", {0}}}, {kNone, 10, 10, 3});
            }),
            "PReLU: `shared_axes` must name non-batch axes 1..3 of the input; got 0 for input "
            "shape (None, 10, 10, 3)");
  // alpha takes every unshared dim: an unknown one cannot be a weight.
  EXPECT_EQ(error_of([] {
              built("PReLU", {}, Json::object(), {kNone, kNone, 8});
            }),
            "PReLU: weight 'alpha' needs a known input dimension; input shape (None, None, 8)");
}

}  // namespace
}  // namespace stride
