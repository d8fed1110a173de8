// SeparableConv1D/2D: spatial sizes as a convolution (reference §1.1), params
// prod(k)*C_in*m (depthwise) + C_in*m*F (pointwise) + F (reference §2.1).
#include <gtest/gtest.h>

#include "layers/conv_cases.hpp"

namespace stride::test {
namespace {

constexpr Dim N = kNone;

TEST(SeparableConvLayer, ShapesAndParams) {
  const ConvCase cases[] = {
      // Reference §2.1: 3*3*8*1 + 8*1*16 + 16 = 72 + 128 + 16 = 216; 10 - 3 + 1 = 8.
      {"SeparableConv2D", "[16, 3]", "{}", {N, 10, 10, 8}, {N, 8, 8, 16}, 216},
      // m = 2: 3*3*8*2 + 16*16 + 16 = 144 + 256 + 16 = 416.
      {"SeparableConv2D",
       "[16, 3]",
       R"({"depth_multiplier": 2})",
       {N, 10, 10, 8},
       {N, 8, 8, 16},
       416},
      // depth_multiplier is the 7th positional (after dilation_rate).
      {"SeparableConv2D",
       "[16, 3, 1, \"valid\", null, 1, 2]",
       "{}",
       {N, 10, 10, 8},
       {N, 8, 8, 16},
       416},
      // strides 2 same: ceil(9/2) = 5; 3*3*3 + 3*4 + 4 = 27 + 12 + 4 = 43.
      {"SeparableConv2D",
       "[4, 3]",
       R"({"strides": 2, "padding": "same"})",
       {N, 9, 9, 3},
       {N, 5, 5, 4},
       43},
      // strides 3 valid: floor((10-3)/3)+1 = 3; 9*1 + 1*2 + 2 = 13.
      {"SeparableConv2D", "[2, 3, 3]", "{}", {N, 10, 10, 1}, {N, 3, 3, 2}, 13},
      // dilation 2: k_eff 5; 9 - 5 + 1 = 5; 9*2 + 2*3 + 3 = 18 + 6 + 3 = 27.
      {"SeparableConv2D", "[3, 3]", R"({"dilation_rate": 2})", {N, 9, 9, 2}, {N, 5, 5, 3}, 27},
      // channels_first, kernel (1, 3): 6, 4; 1*3*2 + 2*4 + 4 = 6 + 8 + 4 = 18.
      {"SeparableConv2D",
       "[4, [1, 3]]",
       R"({"data_format": "channels_first"})",
       {N, 2, 6, 6},
       {N, 4, 6, 4},
       18},
      // use_bias=False: 72 + 128 = 200.
      {"SeparableConv2D", "[16, 3]", R"({"use_bias": false})", {N, 10, 10, 8}, {N, 8, 8, 16}, 200},
      // None height: w 12 - 3 + 1 = 10; 9*4 + 4*8 + 8 = 36 + 32 + 8 = 76.
      {"SeparableConv2D", "[8, 3]", "{}", {N, N, 12, 4}, {N, N, 10, 8}, 76},
      // SeparableConv1D: 10 - 3 + 1 = 8; 3*8 + 8*16 + 16 = 24 + 128 + 16 = 168.
      {"SeparableConv1D", "[16, 3]", "{}", {N, 10, 8}, {N, 8, 16}, 168},
      // causal, dilation 2: ceil(10/1) = 10; 3*2 + 2*4 + 4 = 18.
      {"SeparableConv1D",
       "[4, 3]",
       R"({"padding": "causal", "dilation_rate": 2})",
       {N, 10, 2},
       {N, 10, 4},
       18},
      // causal, strides 2: ceil(9/2) = 5.
      {"SeparableConv1D", "[4, 3, 2, \"causal\"]", "{}", {N, 9, 2}, {N, 5, 4}, 18},
      // channels_first 1D, m = 3: (None, C=2, L=5), 5-2+1 = 4; 2*2*3 + 6*1 + 1 = 12 + 6 + 1 = 19.
      {"SeparableConv1D",
       "[1, 2]",
       R"({"depth_multiplier": 3, "data_format": "channels_first"})",
       {N, 2, 5},
       {N, 1, 4},
       19},
      {"SeparableConvolution2D", "[16, 3]", "{}", {N, 10, 10, 8}, {N, 8, 8, 16}, 216},
  };
  for (const ConvCase& c : cases) expect_case(c);
}

TEST(SeparableConvLayer, WeightsDepthwisePointwiseBias) {
  auto layer = built("SeparableConv2D", {16, 3}, {{"depth_multiplier", 2}}, {kNone, 10, 10, 8});
  ASSERT_EQ(layer->weights().size(), 3u);
  EXPECT_EQ(layer->weights()[0].name, "depthwise_kernel");
  EXPECT_EQ(layer->weights()[0].shape, (std::vector<Dim>{3, 3, 8, 2}));
  EXPECT_EQ(layer->weights()[1].name, "pointwise_kernel");
  EXPECT_EQ(layer->weights()[1].shape, (std::vector<Dim>{1, 1, 16, 16}));  // 8*2 -> 16
  EXPECT_EQ(layer->weights()[2].name, "bias");
  EXPECT_EQ(layer->weights()[2].shape, (std::vector<Dim>{16}));
  auto one_d = built("SeparableConv1D", {4, 3}, Json::object(), {kNone, 10, 2});
  EXPECT_EQ(one_d->weights()[1].shape, (std::vector<Dim>{1, 2, 4}));
}

TEST(SeparableConvLayer, ConfigNormalized) {
  const Json c = make("SeparableConv2D", {16, 3}, {{"padding", "Same"}})->get_config();
  EXPECT_EQ(c["kernel_size"], Json::array({3, 3}));
  EXPECT_EQ(c["padding"], "same");
  EXPECT_EQ(c["activation"], "linear");
  EXPECT_EQ(c["data_format"], "channels_last");
  EXPECT_EQ(c["depth_multiplier"], 1);
  EXPECT_EQ(c["pointwise_initializer"], "glorot_uniform");
  EXPECT_FALSE(c.contains("groups"));
  EXPECT_EQ(make("SeparableConv1D", {4, 3}, {{"padding", "causal"}})->get_config()["padding"],
            "causal");
}

struct ErrorCase {
  const char* cls;
  const char* args;
  const char* kwargs;
  Shape input;
  std::vector<std::string> parts;
};

TEST(SeparableConvLayer, Errors) {
  const ErrorCase cases[] = {
      {"SeparableConv2D",
       "[4, 3]",
       R"({"padding": "causal"})",
       {N, 8, 8, 3},
       {"SeparableConv2D:", "Causal padding is only supported for `Conv1D` and `SeparableConv1D`"}},
      {"SeparableConv2D",
       "[4, 5]",
       "{}",
       {N, 4, 8, 3},
       {"SeparableConv2D layer 'c'", "kernel 5x5 is larger than the input 4x8", "(None, 4, 8, 3)"}},
      {"SeparableConv1D",
       "[4, 3]",
       R"({"dilation_rate": 4})",
       {N, 8, 3},
       {"SeparableConv1D layer 'c'", "dilated kernel 9 (size 3, dilation 4)"}},
      {"SeparableConv2D",
       "[-4, 3]",
       "{}",
       {N, 8, 8, 3},
       {"SeparableConv2D:", "Invalid value for argument `filters`", "filters=-4"}},
      {"SeparableConv2D",
       "[4, 3]",
       R"({"depth_multiplier": 0})",
       {N, 8, 8, 3},
       {"SeparableConv2D:", "depth_multiplier=0"}},
      {"SeparableConv2D",
       "[4, 3]",
       R"({"strides": [2, 2], "dilation_rate": [1, 2]})",
       {N, 8, 8, 3},
       {"SeparableConv2D:", "strides=(2, 2) and dilation_rate=(1, 2)"}},
      {"SeparableConv2D",
       "[4, 3]",
       R"({"strides": [0, 1]})",
       {N, 8, 8, 3},
       {"SeparableConv2D:", "strides=(0, 1)", "value > 0"}},
      {"SeparableConv2D",
       "[4, 3]",
       R"({"groups": 2})",
       {N, 8, 8, 4},
       {"SeparableConv2D:", "`groups`", "groups=2"}},
      {"SeparableConv2D",
       "[4, 3]",
       R"({"padding": "full"})",
       {N, 8, 8, 3},
       {"SeparableConv2D:", "padding='full'"}},
      {"SeparableConv1D",
       "[4, 3]",
       R"({"padding": "full"})",
       {N, 8, 3},
       {"SeparableConv1D:", "'valid', 'same' or 'causal'", "padding='full'"}},
      {"SeparableConv2D",
       "[4, 3]",
       "{}",
       {N, 8, 8},
       {"SeparableConv2D layer 'c'", "rank 4", "(None, 8, 8)"}},
      {"SeparableConv2D",
       "[4, 3]",
       R"({"data_format": "channels_first"})",
       {N, N, 8, 8},
       {"SeparableConv2D layer 'c'", "channel dimension", "axis 1"}},
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

TEST(SeparableConvLayer, ExplainParams) {
  const std::string text = explain_text("SeparableConv2D", "[16, 3]", "{}", {N, 10, 10, 8});
  for (const char* part : {
           "width: padding='valid'",
           "channels: 8 in -> depthwise 8 * 1 = 8 -> pointwise 1x1 -> 16 out",
           "params: depthwise 3*3*8*1 + pointwise 8*1*16 + bias 16 = 216",
       })
    EXPECT_NE(text.find(part), std::string::npos) << "missing '" << part << "' in:\n" << text;
  const std::string causal =
      explain_text("SeparableConv1D", "[4, 3, 2, \"causal\"]", "{}", {N, 9, 2});
  EXPECT_NE(
      causal.find("length: padding='causal': out = ceil(in / s) = ceil(9 / 2) = ceil(4.5) = 5"),
      std::string::npos)
      << causal;
  EXPECT_NE(causal.find("params: depthwise 3*2*1 + pointwise 2*1*4 + bias 4 = 18"),
            std::string::npos)
      << causal;
  const std::string no_bias =
      explain_text("SeparableConv2D", "[16, 3]", R"({"use_bias": false})", {N, 10, 10, 8});
  EXPECT_NE(no_bias.find("params: depthwise 3*3*8*1 + pointwise 8*1*16 = 200 (no bias)"),
            std::string::npos)
      << no_bias;
}

}  // namespace
}  // namespace stride::test
