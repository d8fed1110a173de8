// Dropout and SpatialDropout1D/2D/3D: output shape = input shape, 0 params
// (reference §2.5); rate in [0, 1] with Keras 3's message (§5.2); the spatial
// variants take exactly rank 3/4/5. In training: inverted dropout with the
// kept fraction, scale and independence of the draws checked statistically,
// whole feature maps for the spatial variants, and masks that do not depend
// on the thread count.
#include <cmath>

#include "kernels/kernel_test_util.hpp"
#include "stride/random.hpp"
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

// One training-mode call of `layer` on x with the generator seeded `seed`;
// also returns dL/dx for dL/dy = dy through the tape.
struct DropoutRun {
  Tensor output, input_grad;
};
DropoutRun run_training(const Layer& layer, const Tensor& x, const Tensor& dy, std::uint64_t seed) {
  Random random(seed);
  Tape tape;
  DropoutRun run;
  run.output = layer.call(x, {.training = true, .random = &random, .tape = &tape});
  std::vector<Tensor> no_weights;
  run.input_grad = layer.backward(tape, dy, no_weights, ComputePath::kFast);
  return run;
}

Tensor filled(const Shape& shape, float (*value)(Dim)) {
  Tensor t(shape);
  for (Dim i = 0; i < t.size(); ++i) t[i] = value(i);
  return t;
}

TEST(DropoutTest, TrainingKeepsOneMinusRateScaledAndDrawsEachElementIndependently) {
  constexpr Dim n = 200001;  // odd: the last element has half a 64-bit draw
  for (double rate : {0.5, 0.3, 0.9}) {
    auto layer = built("Dropout", {rate}, Json::object(), {kNone, n});
    const Tensor x = filled({1, n}, [](Dim i) { return 1.0f + float(i % 7); });
    const Tensor dy = filled({1, n}, [](Dim i) { return float(i % 5) - 2.5f; });
    const DropoutRun run = run_training(*layer, x, dy, 11);
    const float scale = float(1.0 / (1.0 - rate));
    Dim dropped = 0, both_dropped = 0, dropped_after_kept = 0, kept_before = 0;
    for (Dim i = 0; i < n; ++i) {
      const bool drop = run.output[i] == 0.0f;
      dropped += drop;
      // Kept values are x * 1/(1 - rate); dL/dx follows the same mask.
      EXPECT_EQ(run.output[i], drop ? 0.0f : x[i] * scale) << i;
      ASSERT_EQ(run.input_grad[i], drop ? 0.0f : dy[i] * scale) << i;
      if (i % 2 == 1) both_dropped += drop && run.output[i - 1] == 0.0f;  // one 64-bit draw
      if (i > 0 && run.output[i - 1] != 0.0f) {  // neighbours in different draws too
        ++kept_before;
        dropped_after_kept += drop;
      }
    }
    // Binomial counts: within 5 standard deviations of their expectation.
    const auto near = [](double count, double trials, double p) {
      return std::abs(count - trials * p) < 5.0 * std::sqrt(trials * p * (1.0 - p));
    };
    EXPECT_TRUE(near(double(dropped), double(n), rate)) << rate << ": " << dropped;
    EXPECT_TRUE(near(double(both_dropped), double(n / 2), rate * rate))
        << rate << ": " << both_dropped;
    EXPECT_TRUE(near(double(dropped_after_kept), double(kept_before), rate))
        << rate << ": " << dropped_after_kept << " of " << kept_before;
  }
}

TEST(DropoutTest, TrainingMasksDependOnTheSeedAndNotOnTheThreadCount) {
  auto layer = built("Dropout", {0.5}, Json::object(), {kNone, 300, 101});
  const Tensor x = filled({3, 300, 101}, [](Dim i) { return float(i % 13) + 1.0f; });
  const auto outputs = kernels::test::results_for_thread_counts(
      [&] { return run_training(*layer, x, x, 5).output.values(); });
  EXPECT_EQ(outputs[0], outputs[1]);
  EXPECT_EQ(outputs[0], outputs[2]);
  const std::vector<float> other_seed = run_training(*layer, x, x, 6).output.values();
  Dim differ = 0;
  for (std::size_t i = 0; i < other_seed.size(); ++i) differ += other_seed[i] != outputs[0][i];
  EXPECT_GT(differ, Dim(other_seed.size()) / 3);  // about half
}

TEST(DropoutTest, TrainingWithRateOneDropsEverythingAndRateZeroNothing) {
  const Tensor x = filled({2, 50}, [](Dim i) { return float(i) + 1.0f; });
  EXPECT_EQ(
      run_training(*built("Dropout", {1.0}, Json::object(), {kNone, 50}), x, x, 3).output.values(),
      std::vector<float>(100, 0.0f));
  EXPECT_EQ(
      run_training(*built("Dropout", {0.0}, Json::object(), {kNone, 50}), x, x, 3).output.values(),
      x.values());
}

TEST(DropoutTest, SpatialDropoutDropsWholeFeatureMaps) {
  // channels_last (batch, h, w, c): one draw per (sample, channel).
  auto layer = built("SpatialDropout2D", {0.5}, Json::object(), {kNone, 4, 5, 64});
  const Tensor x = filled({3, 4, 5, 64}, [](Dim) { return 1.0f; });
  const DropoutRun run = run_training(*layer, x, x, 9);
  Dim dropped_maps = 0;
  for (Dim b = 0; b < 3; ++b) {
    for (Dim c = 0; c < 64; ++c) {
      const float first = run.output[b * 4 * 5 * 64 + c];
      EXPECT_TRUE(first == 0.0f || first == 2.0f) << first;
      dropped_maps += first == 0.0f;
      for (Dim p = 1; p < 4 * 5; ++p) ASSERT_EQ(run.output[(b * 4 * 5 + p) * 64 + c], first);
    }
  }
  EXPECT_GT(dropped_maps, 50);  // of 192, about 96
  EXPECT_LT(dropped_maps, 142);
}

}  // namespace
}  // namespace stride
