// Dense on any rank >= 2: last axis -> units; params in * units + units
// (reference §2.2).
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace stride {
namespace {

using test::built;
using test::error_of;
using test::make;

struct DenseCase {
  std::vector<Json> args;
  Json kwargs;
  Shape input, output;
  Dim params;
};

TEST(Dense, ShapesAndParams) {
  const Json none = Json::object();
  const DenseCase cases[] = {
      // MNIST convnet head: (1600 + 1) * 10 = 16010.
      {{10}, none, {kNone, 1600}, {kNone, 10}, 16010},
      // Rank 3: only the last axis contracts; 20 * 10 + 10 = 210 (reference §2.2 example).
      {{10}, none, {kNone, 5, 20}, {kNone, 5, 10}, 210},
      // Rank 4: 4 * 3 + 3 = 15.
      {{3}, none, {kNone, 2, 3, 4}, {kNone, 2, 3, 3}, 15},
      // No bias: 64 * 128 = 8192.
      {{128}, {{"use_bias", false}}, {kNone, 64}, {kNone, 128}, 8192},
      // Positional use_bias (units, activation, use_bias): 1 * 1 = 1.
      {{1, "sigmoid", false}, none, {kNone, 1}, {kNone, 1}, 1},
      // units by keyword: (784 + 1) * 128 = 100480.
      {{}, {{"units", 128}, {"activation", "relu"}}, {kNone, 784}, {kNone, 128}, 100480},
      // Unknown middle dims and a known batch are kept: (20 + 1) * 10 = 210.
      {{10}, none, {kNone, kNone, 20}, {kNone, kNone, 10}, 210},
      {{10}, none, {32, 20}, {32, 10}, 210},
  };
  for (const DenseCase& c : cases) {
    auto layer = built("Dense", c.args, c.kwargs, c.input);
    EXPECT_EQ(layer->output_shape(), c.output) << shape_to_python(c.input);
    EXPECT_EQ(layer->count_params(), c.params) << shape_to_python(c.input);
    EXPECT_EQ(layer->trainable_params(), c.params);
  }
}

TEST(Dense, WeightsAreKernelThenBias) {
  auto layer = built("Dense", {10}, Json::object(), {kNone, 1600});
  ASSERT_EQ(layer->weights().size(), 2u);
  EXPECT_EQ(layer->weights()[0].name, "kernel");
  EXPECT_EQ(layer->weights()[0].shape, (std::vector<Dim>{1600, 10}));
  EXPECT_EQ(layer->weights()[1].name, "bias");
  EXPECT_EQ(layer->weights()[1].shape, (std::vector<Dim>{10}));
  auto rank3 = built("Dense", {10}, Json::object(), {kNone, 5, 20});
  EXPECT_EQ(rank3->weights()[0].shape, (std::vector<Dim>{20, 10}));  // (in_last, units)
}

TEST(Dense, LoraFreezesTheKernel) {
  // Keras 3 lora_rank=4 on 20 -> 10: kernel 20*10 = 200 frozen; bias 10,
  // lora_kernel_a 20*4 = 80, lora_kernel_b 4*10 = 40 trainable: 130; total 330.
  auto layer = built("Dense", {10}, {{"lora_rank", 4}}, {kNone, 20});
  EXPECT_EQ(layer->count_params(), 330);
  EXPECT_EQ(layer->trainable_params(), 130);
  EXPECT_EQ(layer->non_trainable_params(), 200);
  EXPECT_EQ(layer->get_config()["lora_rank"], 4);
  EXPECT_EQ(layer->get_config()["lora_alpha"], 4);  // defaults to the rank
  // Unset (or 0) LoRA leaves the config as Keras 2 lists it.
  EXPECT_FALSE(make("Dense", {10})->get_config().contains("lora_rank"));
  EXPECT_EQ(built("Dense", {10}, {{"lora_rank", 0}}, {kNone, 20})->count_params(), 210);
}

TEST(Dense, ConfigListsTheActivation) {
  auto layer = make("Dense", {10}, {{"kernel_initializer", "he_normal"}});
  const Json cfg = layer->get_config();
  EXPECT_EQ(cfg["units"], 10);
  EXPECT_EQ(cfg["activation"], "linear");  // None -> linear, as Keras serializes it
  EXPECT_EQ(cfg["use_bias"], true);
  EXPECT_EQ(cfg["kernel_initializer"], "he_normal");
  EXPECT_EQ(cfg["bias_initializer"], "zeros");
}

TEST(Dense, Explain) {
  auto mnist = built("Dense", {10}, Json::object(), {kNone, 1600});
  Explanation e;
  mnist->explain(e);
  bool found = false;
  for (const std::string& l : e.lines) found = found || l == "params: (1600 + 1) * 10 = 16010";
  EXPECT_TRUE(found);

  auto rank3 = built("Dense", {10}, {{"use_bias", false}}, {kNone, 5, 20});
  Explanation r;
  rank3->explain(r);
  std::string text;
  for (const std::string& l : r.lines) text += l + "\n";
  EXPECT_NE(text.find("only the last axis is contracted"), std::string::npos) << text;
  EXPECT_NE(text.find("params: 20 * 10 = 200 (no bias)"), std::string::npos) << text;
}

TEST(Dense, Errors) {
  struct ErrorCase {
    std::vector<Json> args;
    Json kwargs;
    Shape input;  // empty: the constructor fails
    std::vector<std::string> fragments;
  };
  const char* kUnits = "Received an invalid value for `units`, expected a positive integer.";
  const ErrorCase cases[] = {
      {{0}, Json::object(), {}, {"Dense", kUnits, "units=0"}},
      {{-3}, Json::object(), {}, {"Dense", kUnits, "units=-3"}},
      {{2.5}, Json::object(), {}, {"Dense", kUnits, "units=2.5"}},
      {{"10"}, Json::object(), {}, {"Dense", kUnits, "units='10'"}},
      {{nullptr}, Json::object(), {}, {"Dense", kUnits, "units=None"}},
      {{}, Json::object(), {}, {"Dense", "missing required argument `units`"}},
      {{10}, {{"activation", "relux"}}, {}, {"Dense", "Unknown activation function: 'relux'"}},
      {{10}, {{"use_bias", "yes"}}, {}, {"Dense", "use_bias"}},
      {{10}, {{"lora_rank", -1}}, {}, {"Dense", "lora_rank=-1"}},
      {{10}, {{"unitz", 3}}, {}, {"Dense", "unknown argument `unitz`"}},
      // Rank 1 input: Dense needs rank >= 2.
      {{10}, Json::object(), {kNone}, {"Dense", "rank at least 2", "(None,)"}},
      // Keras 2: the last dim must be known.
      {{10},
       Json::object(),
       {kNone, kNone},
       {"Dense",
        "The last dimension of the inputs to a Dense layer should be defined. Found None. "
        "Full input shape received: (None, None)"}},
      // 2^62 units * 4 inputs = 2^64: overflows.
      {{Json(Dim{1} << 62)},
       Json::object(),
       {kNone, 4},
       {"Dense", "overflows 64 bits", "(None, 4)"}},
      // 2^31 units on 2^32 inputs: kernel 2^63 > INT64_MAX.
      {{Json(Dim{1} << 31)}, Json::object(), {kNone, Dim{1} << 32}, {"Dense", "overflows 64 bits"}},
  };
  for (const ErrorCase& c : cases) {
    const std::string message = error_of([&] {
      auto layer = make("Dense", c.args, c.kwargs);
      if (!c.input.empty()) layer->build(c.input);
    });
    ASSERT_FALSE(message.empty()) << Json(c.args).dump() << c.kwargs.dump();
    for (const std::string& f : c.fragments)
      EXPECT_NE(message.find(f), std::string::npos) << "'" << f << "' not in: " << message;
  }
}

}  // namespace
}  // namespace stride
