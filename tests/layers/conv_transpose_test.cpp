// Conv1D/2D/3DTranspose: output sizes worked out by hand from reference §1.3
// (output_padding None: valid in*s + max(k_eff - s, 0), same in*s;
// output_padding p: valid (in-1)*s + k_eff + p, same (in-1)*s + k_eff - 2*(k_eff//2) + p)
// and parameters from §2.1 (kernel (k..., F, C_in) + bias F).
#include <gtest/gtest.h>

#include "layers/conv_cases.hpp"

namespace stride::test {
namespace {

constexpr Dim N = kNone;

TEST(ConvTransposeLayer, ShapesAndParams) {
  const ConvCase cases[] = {
      // Reference §2.1: 3*3*16*8 + 16 = 1152 + 16 = 1168; valid s=1: 5*1 + max(3-1, 0) = 7.
      {"Conv2DTranspose", "[16, 3]", "{}", {N, 5, 5, 8}, {N, 7, 7, 16}, 1168},
      // s=2 valid: 5*2 + max(3-2, 0) = 11.
      {"Conv2DTranspose", "[16, 3, 2]", "{}", {N, 5, 5, 8}, {N, 11, 11, 16}, 1168},
      // s=2 same: 5*2 = 10.
      {"Conv2DTranspose", "[16, 3, 2, \"same\"]", "{}", {N, 5, 5, 8}, {N, 10, 10, 16}, 1168},
      // output_padding (5th positional) 1, valid: (5-1)*2 + 3 + 1 = 12.
      {"Conv2DTranspose", "[16, 3, 2, \"valid\", 1]", "{}", {N, 5, 5, 8}, {N, 12, 12, 16}, 1168},
      // output_padding 1, same: (5-1)*2 + 3 - 2*1 + 1 = 10.
      {"Conv2DTranspose",
       "[16, 3]",
       R"({"strides": 2, "padding": "same", "output_padding": 1})",
       {N, 5, 5, 8},
       {N, 10, 10, 16},
       1168},
      // output_padding 0, same, even kernel 4: (5-1)*2 + 4 - 2*2 + 0 = 8.
      {"Conv2DTranspose",
       "[1, 4]",
       R"({"strides": 2, "padding": "same", "output_padding": 0})",
       {N, 5, 5, 1},
       {N, 8, 8, 1},
       17},  // 4*4*1*1 + 1
      // stride 3 > kernel 2, valid: 4*3 + max(2-3, 0) = 12; 2*2*3*2 + 3 = 27.
      {"Conv2DTranspose", "[3, 2]", R"({"strides": 3})", {N, 4, 4, 2}, {N, 12, 12, 3}, 27},
      // dilation 2: k_eff = (3-1)*2 + 1 = 5; 4*1 + max(5-1, 0) = 8; 3*3*1*1 + 1 = 10.
      {"Conv2DTranspose", "[1, 3]", R"({"dilation_rate": 2})", {N, 4, 4, 1}, {N, 8, 8, 1}, 10},
      // dilation 2, same: 4*1 = 4.
      {"Conv2DTranspose",
       "[1, 3]",
       R"({"dilation_rate": 2, "padding": "same"})",
       {N, 4, 4, 1},
       {N, 4, 4, 1},
       10},
      // Mixed strides and output_padding: h (4-1)*2 + 3 + 1 = 10, w (4-1)*3 + 3 + 0 = 12.
      {"Conv2DTranspose",
       "[1, 3]",
       R"({"strides": [2, 3], "output_padding": [1, 0]})",
       {N, 4, 4, 1},
       {N, 10, 12, 1},
       10},
      // channels_first: 6*2 + 1 = 13, 7*2 + 1 = 15; 3*3*4*3 + 4 = 108 + 4 = 112.
      {"Conv2DTranspose",
       "[4, 3]",
       R"({"strides": 2, "data_format": "channels_first"})",
       {N, 3, 6, 7},
       {N, 4, 13, 15},
       112},
      // use_bias=False: 3*3*16*8 = 1152.
      {"Conv2DTranspose", "[16, 3]", R"({"use_bias": false})", {N, 5, 5, 8}, {N, 7, 7, 16}, 1152},
      // None spatial stays None: w 5*2 + 1 = 11.
      {"Conv2DTranspose", "[16, 3]", R"({"strides": 2})", {N, N, 5, 8}, {N, N, 11, 16}, 1168},
      // Conv1DTranspose: 10*2 + max(4-2, 0) = 22; 4*8*3 + 8 = 96 + 8 = 104.
      {"Conv1DTranspose", "[8, 4, 2]", "{}", {N, 10, 3}, {N, 22, 8}, 104},
      // same: 10*2 = 20.
      {"Conv1DTranspose", "[8, 4, 2, \"same\"]", "{}", {N, 10, 3}, {N, 20, 8}, 104},
      // output_padding 2 < stride 3: (5-1)*3 + 3 + 2 = 17; 3*8*1 + 8 = 32.
      {"Conv1DTranspose",
       "[8, 3]",
       R"({"strides": 3, "output_padding": 2})",
       {N, 5, 1},
       {N, 17, 8},
       32},
      // channels_first 1D: (None, C=2, L=6) -> 6*1 + 2 = 8; 3*1*2 + 1 = 7.
      {"Conv1DTranspose",
       "[1, 3]",
       R"({"data_format": "channels_first"})",
       {N, 2, 6},
       {N, 1, 8},
       7},
      // Conv3DTranspose same, strides (1, 2, 2): 4, 10, 12; 3*3*3*2*3 + 2 = 162 + 2 = 164.
      {"Conv3DTranspose",
       "[2, 3]",
       R"({"strides": [1, 2, 2], "padding": "same"})",
       {N, 4, 5, 6, 3},
       {N, 4, 10, 12, 2},
       164},
      // Conv3DTranspose valid, kernel (2, 3, 4), s=1: 3+1, 3+2, 3+3; 2*3*4*2*1 + 2 = 50.
      {"Conv3DTranspose", "[2, [2, 3, 4]]", "{}", {N, 3, 3, 3, 1}, {N, 4, 5, 6, 2}, 50},
      // Conv3DTranspose channels_first, no bias, output_padding 1 at s=2 valid:
      // (2-1)*2 + 2 + 1 = 5 each; 2*2*2*1*3 = 24.
      {"Conv3DTranspose",
       "[1, 2]",
       R"({"strides": 2, "output_padding": 1, "use_bias": false, "data_format": "channels_first"})",
       {N, 3, 2, 2, 2},
       {N, 1, 5, 5, 5},
       24},
      {"Convolution2DTranspose", "[16, 3]", "{}", {N, 5, 5, 8}, {N, 7, 7, 16}, 1168},
  };
  for (const ConvCase& c : cases) expect_case(c);
}

TEST(ConvTransposeLayer, KernelIsFiltersThenInputChannels) {
  auto layer = built("Conv2DTranspose", {16, 3}, Json::object(), {kNone, 5, 5, 8});
  ASSERT_EQ(layer->weights().size(), 2u);
  EXPECT_EQ(layer->weights()[0].name, "kernel");
  EXPECT_EQ(layer->weights()[0].shape, (std::vector<Dim>{3, 3, 16, 8}));
  EXPECT_EQ(layer->weights()[1].name, "bias");
  EXPECT_EQ(layer->weights()[1].shape, (std::vector<Dim>{16}));
}

TEST(ConvTransposeLayer, ConfigNormalized) {
  const Json c = make("Conv2DTranspose", {16, 3})->get_config();
  EXPECT_EQ(c["kernel_size"], Json::array({3, 3}));
  EXPECT_EQ(c["strides"], Json::array({1, 1}));
  EXPECT_TRUE(c["output_padding"].is_null());
  EXPECT_EQ(c["activation"], "linear");
  EXPECT_EQ(c["data_format"], "channels_last");
  EXPECT_FALSE(c.contains("groups"));
  const Json p = make("Conv2DTranspose", {16, 3, 2}, {{"output_padding", 1}})->get_config();
  EXPECT_EQ(p["output_padding"], Json::array({1, 1}));
  EXPECT_EQ(p["strides"], Json::array({2, 2}));
}

TEST(ConvTransposeLayer, ReadsKeras2JsonWithGroupsOne) {
  // Keras 2's get_config includes the base Conv's `groups: 1`.
  const Json config = Json::parse(R"({"name": "up", "filters": 16, "kernel_size": [3, 3],
      "strides": [2, 2], "padding": "same", "data_format": "channels_last",
      "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": true,
      "output_padding": null})");
  auto layer = make_layer_from_config("Conv2DTranspose", config, SourceLoc{"m.json", 1, 1});
  layer->build({kNone, 5, 5, 8});
  EXPECT_EQ(layer->output_shape(), (Shape{kNone, 10, 10, 16}));  // 5*2
  EXPECT_EQ(layer->count_params(), 1168);
}

struct ErrorCase {
  const char* cls;
  const char* args;
  const char* kwargs;
  Shape input;
  std::vector<std::string> parts;
};

TEST(ConvTransposeLayer, Errors) {
  const ErrorCase cases[] = {
      {"Conv2DTranspose",
       "[4, 3]",
       R"({"strides": 2, "output_padding": 2})",
       {N, 5, 5, 1},
       {"Conv2DTranspose:", "`output_padding` must be strictly less than `strides`",
        "At dimension 0, `output_padding` is 2 but `strides` is 2",
        "output_padding=(2, 2), strides=(2, 2)"}},
      // Default strides 1: any output_padding > 0 is too large.
      {"Conv2DTranspose",
       "[4, 3]",
       R"({"output_padding": 1})",
       {N, 5, 5, 1},
       {"Conv2DTranspose:", "`output_padding` is 1 but `strides` is 1"}},
      {"Conv2DTranspose",
       "[4, 3]",
       R"({"strides": 2, "output_padding": [0, 3]})",
       {N, 5, 5, 1},
       {"At dimension 1", "output_padding=(0, 3)"}},
      {"Conv1DTranspose",
       "[4, 3]",
       R"({"strides": 2, "output_padding": -1})",
       {N, 5, 1},
       {"Conv1DTranspose:", "`output_padding`", "value >= 0"}},
      {"Conv2DTranspose",
       "[4, 3]",
       R"({"strides": 2, "output_padding": [1, 1, 1]})",
       {N, 5, 5, 1},
       {"Conv2DTranspose:", "tuple of 2 integers", "output_padding=(1, 1, 1)"}},
      {"Conv2DTranspose",
       "[4, 3]",
       R"({"strides": 2, "dilation_rate": 2})",
       {N, 5, 5, 1},
       {"Conv2DTranspose:", "`strides > 1` not supported in conjunction with `dilation_rate > 1`"}},
      {"Conv1DTranspose",
       "[4, 3]",
       R"({"padding": "causal"})",
       {N, 5, 1},
       {"Conv1DTranspose:", "Causal padding is only supported for `Conv1D` and `SeparableConv1D`"}},
      {"Conv2DTranspose",
       "[4, 3]",
       R"({"padding": "full"})",
       {N, 5, 5, 1},
       {"Conv2DTranspose:", "padding='full'"}},
      {"Conv2DTranspose",
       "[4, 3]",
       R"({"groups": 2})",
       {N, 5, 5, 2},
       {"Conv2DTranspose:", "`groups`", "groups=2"}},
      {"Conv2DTranspose", "[0, 3]", "{}", {N, 5, 5, 1}, {"Conv2DTranspose:", "filters=0"}},
      {"Conv2DTranspose",
       "[4, 3]",
       R"({"strides": 0})",
       {N, 5, 5, 1},
       {"Conv2DTranspose:", "strides=0", "value > 0"}},
      {"Conv3DTranspose",
       "[4, [3, 3]]",
       "{}",
       {N, 5, 5, 5, 1},
       {"Conv3DTranspose:", "tuple of 3 integers", "kernel_size=(3, 3)"}},
      {"Conv2DTranspose",
       "[4, 3]",
       "{}",
       {N, 5, 5},
       {"Conv2DTranspose layer 'c'", "rank 4", "(None, 5, 5)"}},
      {"Conv1DTranspose", "[4, 3]", "{}", {N, 5, 5, 1}, {"Conv1DTranspose layer 'c'", "rank 3"}},
      {"Conv2DTranspose",
       "[4, 3]",
       "{}",
       {N, 5, 5, N},
       {"Conv2DTranspose layer 'c'", "channel dimension", "(None, 5, 5, None)"}},
      // same + output_padding 0 with an even kernel on length 1: (1-1)*1 + 2 - 2*1 + 0 = 0.
      {"Conv2DTranspose",
       "[1, 2]",
       R"({"padding": "same", "output_padding": 0})",
       {N, 1, 3, 1},
       {"Conv2DTranspose layer 'c'", "zero or negative", "height 0", "(None, 1, 3, 1)"}},
      // 8 * 2^62 overflows.
      {"Conv2DTranspose",
       "[1, 3]",
       R"({"strides": 4611686018427387904})",
       {N, 8, 8, 1},
       {"Conv2DTranspose layer 'c'", "overflows 64 bits", "(None, 8, 8, 1)"}},
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

TEST(ConvTransposeLayer, ExplainFillsInTheDeconvFormula) {
  const std::string valid =
      explain_text("Conv2DTranspose", "[16, 3]", R"({"strides": 2})", {N, 5, 5, 8});
  for (const char* part : {
           "height: padding='valid': out = in * s + max(k - s, 0) = 5 * 2 + max(3 - 2, 0) = 11",
           "channels: 8 in -> 16 out",
           // (3*3*8 + 1)*16 = 73*16 = 1168.
           "params: (3*3*8 + 1) * 16 = 1168 (kernel 3*3*16*8 + bias 16)",
       })
    EXPECT_NE(valid.find(part), std::string::npos) << "missing '" << part << "' in:\n" << valid;
  const std::string same =
      explain_text("Conv2DTranspose", "[16, 3, 2, \"same\"]", "{}", {N, 5, 5, 8});
  EXPECT_NE(same.find("width: padding='same': out = in * s = 5 * 2 = 10"), std::string::npos)
      << same;
  const std::string padded =
      explain_text("Conv2DTranspose", "[16, 3]",
                   R"({"strides": 2, "padding": "same", "output_padding": 1})", {N, 5, 5, 8});
  EXPECT_NE(padded.find("height: padding='same', output_padding=1: out = (in - 1) * s + k - 2 * "
                        "(k // 2) + output_padding = (5 - 1) * 2 + 3 - 2 * 1 + 1 = 10"),
            std::string::npos)
      << padded;
  const std::string padded_valid = explain_text(
      "Conv1DTranspose", "[8, 3]", R"({"strides": 3, "output_padding": 2})", {N, 5, 1});
  EXPECT_NE(padded_valid.find("length: padding='valid', output_padding=2: out = (in - 1) * s + k + "
                              "output_padding = (5 - 1) * 3 + 3 + 2 = 17"),
            std::string::npos)
      << padded_valid;
  const std::string dilated =
      explain_text("Conv2DTranspose", "[1, 3]", R"({"dilation_rate": 2})", {N, 4, 4, 1});
  EXPECT_NE(dilated.find("dilated kernel = (k - 1) * d + 1 = (3 - 1) * 2 + 1 = 5"),
            std::string::npos)
      << dilated;
  EXPECT_NE(dilated.find("= 4 * 1 + max(5 - 1, 0) = 8"), std::string::npos) << dilated;
  const std::string no_bias =
      explain_text("Conv2DTranspose", "[16, 3]", R"({"use_bias": false})", {N, 5, 5, 8});
  EXPECT_NE(no_bias.find("params: 3*3*16*8 = 1152"), std::string::npos) << no_bias;
}

}  // namespace
}  // namespace stride::test
