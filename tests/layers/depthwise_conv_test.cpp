// DepthwiseConv1D/2D: spatial sizes as a convolution (reference §1.1), output
// channels C_in * m, params prod(k)*C_in*m + C_in*m (reference §2.1).
#include <gtest/gtest.h>

#include "layers/conv_cases.hpp"

namespace stride::test {
namespace {

constexpr Dim N = kNone;

TEST(DepthwiseConvLayer, ShapesAndParams) {
  const ConvCase cases[] = {
      // Reference §2.1: 3*3*8*2 + 8*2 = 144 + 16 = 160; 10 - 3 + 1 = 8; 8*2 = 16 channels.
      {"DepthwiseConv2D", "[3]", R"({"depth_multiplier": 2})", {N, 10, 10, 8}, {N, 8, 8, 16}, 160},
      // depth_multiplier is the 4th positional: (kernel_size, strides, padding, depth_multiplier).
      {"DepthwiseConv2D", "[3, 1, \"valid\", 2]", "{}", {N, 10, 10, 8}, {N, 8, 8, 16}, 160},
      // m = 1: 3*3*3*1 + 3 = 30; 32 - 3 + 1 = 30.
      {"DepthwiseConv2D", "[3]", "{}", {N, 32, 32, 3}, {N, 30, 30, 3}, 30},
      // strides 2 same: ceil(7/2) = 4, ceil(8/2) = 4; 3*3*4 + 4 = 40.
      {"DepthwiseConv2D",
       "[3]",
       R"({"strides": 2, "padding": "same"})",
       {N, 7, 8, 4},
       {N, 4, 4, 4},
       40},
      // strides 3 valid: floor((10-3)/3)+1 = 3, floor((8-3)/3)+1 = 2; 9*2 + 2 = 20.
      {"DepthwiseConv2D", "[3, 3]", "{}", {N, 10, 8, 2}, {N, 3, 2, 2}, 20},
      // dilation 2: k_eff 5; 9 - 5 + 1 = 5; 3*3*1 + 1 = 10.
      {"DepthwiseConv2D", "[3]", R"({"dilation_rate": 2})", {N, 9, 9, 1}, {N, 5, 5, 1}, 10},
      // channels_first, m = 3: C 2*3 = 6; 5-3+1 = 3, 6-3+1 = 4; 3*3*2*3 + 6 = 54 + 6 = 60.
      {"DepthwiseConv2D",
       "[3]",
       R"({"depth_multiplier": 3, "data_format": "channels_first"})",
       {N, 2, 5, 6},
       {N, 6, 3, 4},
       60},
      // use_bias=False: 3*3*8*2 = 144.
      {"DepthwiseConv2D",
       "[3]",
       R"({"depth_multiplier": 2, "use_bias": false})",
       {N, 10, 10, 8},
       {N, 8, 8, 16},
       144},
      // None spatial: 3*3*5 + 5 = 50.
      {"DepthwiseConv2D", "[3]", "{}", {N, N, N, 5}, {N, N, N, 5}, 50},
      // Rectangular kernel (1, 3): 6-1+1 = 6, 6-3+1 = 4; 1*3*4*1 + 4 = 16.
      {"DepthwiseConv2D", "[[1, 3]]", "{}", {N, 6, 6, 4}, {N, 6, 4, 4}, 16},
      // DepthwiseConv1D m = 4: 20 - 5 + 1 = 16, 3*4 = 12 channels; 5*3*4 + 12 = 72.
      {"DepthwiseConv1D", "[5]", R"({"depth_multiplier": 4})", {N, 20, 3}, {N, 16, 12}, 72},
      // strides 3: floor((10-3)/3)+1 = 3; 3*2 + 2 = 8.
      {"DepthwiseConv1D", "[3, 3]", "{}", {N, 10, 2}, {N, 3, 2}, 8},
      // same, channels_first: (None, C=2, L=7) -> (None, 2*2 = 4, 7); 3*2*2 + 4 = 16.
      {"DepthwiseConv1D",
       "[3]",
       R"({"padding": "same", "depth_multiplier": 2, "data_format": "channels_first"})",
       {N, 2, 7},
       {N, 4, 7},
       16},
  };
  for (const ConvCase& c : cases) expect_case(c);
}

TEST(DepthwiseConvLayer, WeightsAreKerasTwoNamesAndShapes) {
  auto layer = built("DepthwiseConv2D", {3}, {{"depth_multiplier", 2}}, {kNone, 10, 10, 8});
  ASSERT_EQ(layer->weights().size(), 2u);
  EXPECT_EQ(layer->weights()[0].name, "depthwise_kernel");
  EXPECT_EQ(layer->weights()[0].shape, (std::vector<Dim>{3, 3, 8, 2}));
  EXPECT_EQ(layer->weights()[1].name, "bias");
  EXPECT_EQ(layer->weights()[1].shape, (std::vector<Dim>{16}));  // 8 * 2
}

TEST(DepthwiseConvLayer, ConfigNormalized) {
  const Json c = make("DepthwiseConv2D", {3})->get_config();
  EXPECT_EQ(c["kernel_size"], Json::array({3, 3}));
  EXPECT_EQ(c["strides"], Json::array({1, 1}));
  EXPECT_EQ(c["depth_multiplier"], 1);
  EXPECT_EQ(c["activation"], "linear");
  EXPECT_EQ(c["data_format"], "channels_last");
  EXPECT_EQ(c["depthwise_initializer"], "glorot_uniform");
  EXPECT_FALSE(c.contains("filters"));
  EXPECT_FALSE(c.contains("groups"));
  EXPECT_EQ(make("DepthwiseConv1D", {3})->get_config()["kernel_size"], Json::array({3}));
}

struct ErrorCase {
  const char* cls;
  const char* args;
  const char* kwargs;
  Shape input;
  std::vector<std::string> parts;
};

TEST(DepthwiseConvLayer, Errors) {
  const ErrorCase cases[] = {
      {"DepthwiseConv2D",
       "[5]",
       "{}",
       {N, 4, 4, 3},
       {"DepthwiseConv2D layer 'c'", "kernel 5x5 is larger than the input 4x4", "(None, 4, 4, 3)"}},
      {"DepthwiseConv2D",
       "[3]",
       R"({"depth_multiplier": 0})",
       {N, 8, 8, 3},
       {"DepthwiseConv2D:", "`depth_multiplier`", "depth_multiplier=0"}},
      {"DepthwiseConv2D",
       "[3]",
       R"({"depth_multiplier": -2})",
       {N, 8, 8, 3},
       {"DepthwiseConv2D:", "depth_multiplier=-2"}},
      {"DepthwiseConv2D", "[0]", "{}", {N, 8, 8, 3}, {"DepthwiseConv2D:", "kernel_size=0"}},
      {"DepthwiseConv2D",
       "[3]",
       R"({"strides": 0})",
       {N, 8, 8, 3},
       {"DepthwiseConv2D:", "strides=0"}},
      {"DepthwiseConv2D",
       "[3]",
       R"({"strides": 2, "dilation_rate": 2})",
       {N, 8, 8, 3},
       {"DepthwiseConv2D:", "`strides > 1` not supported in conjunction with `dilation_rate > 1`"}},
      // Keras refuses causal for DepthwiseConv1D (it is not a Conv1D).
      {"DepthwiseConv1D",
       "[3]",
       R"({"padding": "causal"})",
       {N, 8, 3},
       {"DepthwiseConv1D:", "Causal padding is only supported for `Conv1D` and `SeparableConv1D`"}},
      {"DepthwiseConv2D",
       "[3]",
       R"({"padding": "causal"})",
       {N, 8, 8, 3},
       {"DepthwiseConv2D:", "Causal padding"}},
      {"DepthwiseConv2D",
       "[3]",
       R"({"groups": 3})",
       {N, 8, 8, 3},
       {"DepthwiseConv2D:", "`groups`", "groups=3"}},
      {"DepthwiseConv2D",
       "[[3, 3, 3]]",
       "{}",
       {N, 8, 8, 3},
       {"DepthwiseConv2D:", "tuple of 2 integers", "kernel_size=(3, 3, 3)"}},
      {"DepthwiseConv2D",
       "[3]",
       "{}",
       {N, 8, 3},
       {"DepthwiseConv2D layer 'c'", "rank 4", "(None, 8, 3)"}},
      {"DepthwiseConv1D", "[3]", "{}", {N, 8, 8, 3}, {"DepthwiseConv1D layer 'c'", "rank 3"}},
      {"DepthwiseConv2D",
       "[3]",
       "{}",
       {N, 8, 8, N},
       {"DepthwiseConv2D layer 'c'", "channel dimension", "(None, 8, 8, None)"}},
      // Unknown argument: DepthwiseConv2D has no `filters`.
      {"DepthwiseConv2D",
       "[3]",
       R"({"filters": 8})",
       {N, 8, 8, 3},
       {"DepthwiseConv2D", "unknown argument `filters`"}},
      // 3 * 2^62 output channels overflow.
      {"DepthwiseConv2D",
       "[1]",
       R"({"depth_multiplier": 4611686018427387904})",
       {N, 8, 8, 3},
       {"DepthwiseConv2D layer 'c'", "overflows 64 bits"}},
  };
  for (const ErrorCase& c : cases) {
    const std::string message = build_error(c.cls, c.args, c.kwargs, c.input);
    SCOPED_TRACE(std::string(c.cls) + " " + c.args + " " + c.kwargs);
    if (message.empty()) {
      ADD_FAILURE() << "no error";
      continue;
    }
    for (const std::string& part : c.parts)
      EXPECT_NE(message.find(part), std::string::npos)
          << "missing '" << part << "' in: " << message;
  }
}

TEST(DepthwiseConvLayer, ExplainParams) {
  const std::string text =
      explain_text("DepthwiseConv2D", "[3]", R"({"depth_multiplier": 2})", {N, 10, 10, 8});
  for (const char* part : {
           "height: padding='valid': out = floor((in - k) / s) + 1 = floor((10 - 3) / 1) + 1",
           "channels: 8 in -> 8 * 2 = 16 out",
           "params: 3*3*8*2 + 8*2 = 160",
       })
    EXPECT_NE(text.find(part), std::string::npos) << "missing '" << part << "' in:\n" << text;
  const std::string no_bias = explain_text(
      "DepthwiseConv2D", "[3]", R"({"depth_multiplier": 2, "use_bias": false})", {N, 10, 10, 8});
  EXPECT_NE(no_bias.find("params: 3*3*8*2 = 144"), std::string::npos) << no_bias;
}

}  // namespace
}  // namespace stride::test
