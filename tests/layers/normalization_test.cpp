// BatchNormalization and LayerNormalization (reference §2.3): shape kept;
// BN: gamma, beta (trainable), moving_mean, moving_variance (non-trainable),
// one value per position of the normalized axis; LN: gamma, beta shaped like
// the normalized dims.
#include "test_util.hpp"

namespace stride {
namespace {

using test::built;
using test::error_of;
using test::make;

struct ParamCase {
  Json keywords;
  Shape input;
  std::vector<std::string> weight_names;
  std::vector<Dim> weight_shape;  // every weight of these layers has the same shape
  Dim total, trainable;
};

void check(const char* cls, const ParamCase& c) {
  auto layer = built(cls, {}, c.keywords, c.input);
  const std::string what = std::string(cls) + c.keywords.dump() + shape_to_python(c.input);
  EXPECT_EQ(layer->output_shape(), c.input) << what;
  ASSERT_EQ(layer->weights().size(), c.weight_names.size()) << what;
  for (std::size_t i = 0; i < c.weight_names.size(); ++i) {
    EXPECT_EQ(layer->weights()[i].name, c.weight_names[i]) << what;
    EXPECT_EQ(layer->weights()[i].shape, c.weight_shape) << what;
  }
  EXPECT_EQ(layer->count_params(), c.total) << what;
  EXPECT_EQ(layer->trainable_params(), c.trainable) << what;
  EXPECT_EQ(layer->non_trainable_params(), c.total - c.trainable) << what;
}

const std::vector<std::string> kAllFour = {"gamma", "beta", "moving_mean", "moving_variance"};

TEST(BatchNormalizationTest, Params) {
  const ParamCase cases[] = {
      // Reference §2.3: 32 channels -> 4*32 = 128, 2*32 = 64 trainable + 64 non-trainable.
      {Json::object(), {kNone, 26, 26, 32}, kAllFour, {32}, 128, 64},
      // channels_first input, axis=1: 32 channels again -> 128.
      {{{"axis", 1}}, {kNone, 32, 26, 26}, kAllFour, {32}, 128, 64},
      // After Dense(64): 4*64 = 256, 128 trainable.
      {Json::object(), {kNone, 64}, kAllFour, {64}, 256, 128},
      // axis=-3 of rank 4 is axis 1 (size 4): 4*4 = 16.
      {{{"axis", -3}}, {kNone, 4, 5, 6}, kAllFour, {4}, 16, 8},
      // scale=False drops gamma: 3*32 = 96, 32 trainable.
      {{{"scale", false}},
       {kNone, 8, 8, 32},
       {"beta", "moving_mean", "moving_variance"},
       {32},
       96,
       32},
      // center=False drops beta: 3*32 = 96, 32 trainable.
      {{{"center", false}},
       {kNone, 8, 8, 32},
       {"gamma", "moving_mean", "moving_variance"},
       {32},
       96,
       32},
      // both: only the moving statistics, 2*32 = 64, none trainable.
      {{{"center", false}, {"scale", false}},
       {kNone, 8, 8, 32},
       {"moving_mean", "moving_variance"},
       {32},
       64,
       0},
      // Keras 2 axis list: shape keeps the rank with 1 elsewhere, (1, 4, 1, 6): 4*6 = 24 each.
      {{{"axis", {1, 3}}}, {kNone, 4, 5, 6}, kAllFour, {1, 4, 1, 6}, 96, 48},
      // renorm adds moving_stddev, renorm_mean, renorm_stddev (non-trainable): 7*8 = 56.
      {{{"renorm", true}},
       {kNone, 8},
       {"gamma", "beta", "moving_mean", "moving_variance", "moving_stddev", "renorm_mean",
        "renorm_stddev"},
       {8},
       56,
       16},
      // Unknown non-channel dims are fine.
      {Json::object(), {kNone, kNone, kNone, 3}, kAllFour, {3}, 12, 6},
  };
  for (const ParamCase& c : cases) check("BatchNormalization", c);
}

TEST(BatchNormalizationTest, ConfigAndExplain) {
  auto bn = built("BatchNormalization", {}, Json::object(), {kNone, 26, 26, 32});
  const Json config = bn->get_config();
  EXPECT_EQ(config["axis"], -1);
  EXPECT_EQ(config["momentum"], 0.99);
  EXPECT_EQ(config["epsilon"], 0.001);
  EXPECT_EQ(config["synchronized"], false);
  // Keras 2's keyword-only extras are listed only when set.
  EXPECT_FALSE(config.contains("renorm"));
  EXPECT_FALSE(config.contains("fused"));
  EXPECT_FALSE(config.contains("virtual_batch_size"));
  Explanation e;
  bn->explain(e);
  ASSERT_EQ(e.lines.size(), 2u);
  EXPECT_EQ(e.lines[0],
            "normalizes each position of axis 3 (size 32); output shape = input shape "
            "(None, 26, 26, 32)");
  EXPECT_EQ(e.lines[1],
            "params: gamma 32 + beta 32 + moving_mean 32 + moving_variance 32 = 128 "
            "(64 trainable, 64 non-trainable)");
}

TEST(BatchNormalizationTest, Errors) {
  const auto bn_error = [](Json keywords, Shape input) {
    return error_of([&] { built("BatchNormalization", {}, keywords, input); });
  };
  EXPECT_EQ(bn_error({{"axis", 4}}, {kNone, 4, 5, 6}),
            "BatchNormalization: Invalid value for `axis` argument. Expected 0 <= axis < "
            "inputs.rank (with inputs.rank=4). Received: axis=(4,) (input shape "
            "(None, 4, 5, 6))");
  // -5 + 4 = -1: still out of range, reported after resolving as Keras does.
  EXPECT_EQ(bn_error({{"axis", -5}}, {kNone, 4, 5, 6}),
            "BatchNormalization: Invalid value for `axis` argument. Expected 0 <= axis < "
            "inputs.rank (with inputs.rank=4). Received: axis=(-1,) (input shape "
            "(None, 4, 5, 6))");
  EXPECT_EQ(bn_error({{"axis", {1, -3}}}, {kNone, 4, 5, 6}),
            "BatchNormalization: Duplicate axis: (1, 1)");
  EXPECT_EQ(bn_error(Json::object(), {kNone, 8, 8, kNone}),
            "BatchNormalization: Input has undefined `axis` dimension. Received input with shape "
            "(None, 8, 8, None) and axis=(3,)");
  EXPECT_EQ(error_of([] { make("BatchNormalization", {"last"}); }),
            "BatchNormalization: argument `axis` must be a tuple of integers. Received: "
            "axis='last'");
  EXPECT_EQ(error_of([] {
              make("BatchNormalization", {-1, "fast"});
            }),
            "BatchNormalization: argument `momentum` must be a number. Received: "
            "momentum='fast' (of type str)");
  EXPECT_EQ(error_of([] {
              make("BatchNormalization", {}, {{"center", 1}});
            }),
            "BatchNormalization: argument `center` must be True or False. Received: center=1 "
            "(of type int)");
  EXPECT_EQ(error_of([] {
              make("BatchNormalization", {}, {{"virtual_batch_size", 0}});
            }),
            "BatchNormalization: Invalid value for argument `virtual_batch_size`. Expected a "
            "strictly positive value. Received virtual_batch_size=0.");
}

TEST(LayerNormalizationTest, Params) {
  const std::vector<std::string> both = {"gamma", "beta"};
  const ParamCase cases[] = {
      // Last axis of (None, 10, 16): 2*16 = 32.
      {Json::object(), {kNone, 10, 16}, both, {16}, 32, 32},
      // axis=[1, 2] on (None, 4, 5, 6): gamma, beta (4, 5) -> 2*4*5 = 40.
      {{{"axis", {1, 2}}}, {kNone, 4, 5, 6}, both, {4, 5}, 40, 40},
      // Listed order is kept: (5, 4).
      {{{"axis", {2, 1}}}, {kNone, 4, 5, 6}, both, {5, 4}, 40, 40},
      // axis=[-3, -2, -1]: (4, 5, 6) -> 2*120 = 240.
      {{{"axis", {-3, -2, -1}}}, {kNone, 4, 5, 6}, both, {4, 5, 6}, 240, 240},
      {{{"center", false}}, {kNone, 10, 16}, {"gamma"}, {16}, 16, 16},
      {{{"scale", false}}, {kNone, 10, 16}, {"beta"}, {16}, 16, 16},
      // Keras 3 rms_scaling keeps gamma only.
      {{{"rms_scaling", true}}, {kNone, 10, 16}, {"gamma"}, {16}, 16, 16},
      // No weights: an unknown normalized dim does not matter.
      {{{"center", false}, {"scale", false}}, {kNone, 10, kNone}, {}, {}, 0, 0},
  };
  for (const ParamCase& c : cases) check("LayerNormalization", c);
}

TEST(LayerNormalizationTest, ExplainAndErrors) {
  Explanation e;
  built("LayerNormalization", {}, {{"axis", {1, 2}}}, {kNone, 4, 5, 6})->explain(e);
  ASSERT_EQ(e.lines.size(), 2u);
  EXPECT_EQ(e.lines[0],
            "normalizes over axes 1, 2 (size 4*5) together; output shape = input shape "
            "(None, 4, 5, 6)");
  EXPECT_EQ(e.lines[1], "params: gamma 4*5 + beta 4*5 = 40");

  EXPECT_EQ(error_of([] {
              built("LayerNormalization", {3}, Json::object(), {kNone, 10, 16});
            }),
            "LayerNormalization: Invalid value for `axis` argument. Expected 0 <= axis < "
            "inputs.rank (with inputs.rank=3). Received: axis=(3,) (input shape (None, 10, 16))");
  EXPECT_EQ(error_of([] {
              built("LayerNormalization", {}, Json::object(), {kNone, 10, kNone});
            }),
            "LayerNormalization: Input has undefined `axis` dimension. Received input with shape "
            "(None, 10, None) and axis=(2,)");
  EXPECT_EQ(error_of([] { make("LayerNormalization", {Json::array()}); }),
            "LayerNormalization: argument `axis` must name at least one axis. Received: axis=()");
  EXPECT_EQ(error_of([] {
              make("LayerNormalization", {-1, "small"});
            }),
            "LayerNormalization: argument `epsilon` must be a number. Received: epsilon='small' "
            "(of type str)");
}

}  // namespace
}  // namespace stride
