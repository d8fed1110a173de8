// Conv1D/2D/3D: output shapes and parameter counts worked out by hand from
// reference §1.1 (valid: floor((in - k_eff) / s) + 1, same/causal: ceil(in / s))
// and §2.1 (params = prod(k) * C_in/groups * F + F).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/pool.hpp"
#include "layers/conv_cases.hpp"

namespace stride::test {
namespace {

constexpr Dim N = kNone;

TEST(ConvLayer, ShapesAndParams) {
  const ConvCase cases[] = {
      // Seed 1: (32 - 3)/1 + 1 = 30; (3*3*3 + 1) * 5 = 140.
      {"Conv2D",
       "[5]",
       R"({"kernel_size": 3, "activation": "relu"})",
       {N, 32, 32, 3},
       {N, 30, 30, 5},
       140},
      // Reference §2.1 worked counts.
      // (3*3*1 + 1) * 32 = 320; 28 - 3 + 1 = 26.
      {"Conv2D", "[32, 3]", "{}", {N, 28, 28, 1}, {N, 26, 26, 32}, 320},
      // (3*3*32 + 1) * 64 = 289 * 64 = 18496; 13 - 3 + 1 = 11 (MNIST).
      {"Conv2D", "[64, 3]", "{}", {N, 13, 13, 32}, {N, 11, 11, 64}, 18496},
      // groups=4: 3*3*(32/4)*64 + 64 = 4608 + 64 = 4672.
      {"Conv2D", "[64, 3]", R"({"groups": 4})", {N, 13, 13, 32}, {N, 11, 11, 64}, 4672},
      // 5*3*16 + 16 = 240 + 16 = 256; 100 - 5 + 1 = 96.
      {"Conv1D", "[16, 5]", "{}", {N, 100, 3}, {N, 96, 16}, 256},
      // 3*3*3*4*8 + 8 = 864 + 8 = 872; 10 - 3 + 1 = 8.
      {"Conv3D", "[8, 3]", "{}", {N, 10, 10, 10, 4}, {N, 8, 8, 8, 8}, 872},
      // Seed 2: 16 wide, 8 high, kernel 3, stride 2.
      // valid: floor((8-3)/2)+1 = floor(2.5)+1 = 3, floor((16-3)/2)+1 = floor(6.5)+1 = 7.
      {"Conv2D",
       "[]",
       R"({"filters": 5, "kernel_size": 3, "strides": [2, 2], "padding": "valid"})",
       {10, 8, 16, 3},
       {10, 3, 7, 5},
       140},
      // same: ceil(8/2) = 4, ceil(16/2) = 8.
      {"Conv2D", "[5, 3, 2, \"same\"]", "{}", {10, 8, 16, 3}, {10, 4, 8, 5}, 140},
      // strides 3 valid: floor((7-3)/3)+1 = 2, floor((10-3)/3)+1 = 3; (3*3*2 + 1)*4 = 76.
      {"Conv2D", "[4, 3]", R"({"strides": 3})", {N, 7, 10, 2}, {N, 2, 3, 4}, 76},
      // strides 3 same: ceil(7/3) = 3, ceil(10/3) = 4.
      {"Conv2D", "[4, 3]", R"({"strides": 3, "padding": "same"})", {N, 7, 10, 2}, {N, 3, 4, 4}, 76},
      // Per-axis strides (1, 2): 9 - 3 + 1 = 7, floor((9-3)/2)+1 = 4; (9*1 + 1)*2 = 20.
      {"Conv2D", "[2, 3]", R"({"strides": [1, 2]})", {N, 9, 9, 1}, {N, 7, 4, 2}, 20},
      // dilation 2: k_eff = (3-1)*2+1 = 5; 10-5+1 = 6, 9-5+1 = 5; (9*1 + 1)*2 = 20.
      {"Conv2D", "[2, 3]", R"({"dilation_rate": 2})", {N, 10, 9, 1}, {N, 6, 5, 2}, 20},
      // dilation (1, 3) same: ceil(10/1) = 10, ceil(9/1) = 9.
      {"Conv2D",
       "[2, 3]",
       R"({"dilation_rate": [1, 3], "padding": "same"})",
       {N, 10, 9, 1},
       {N, 10, 9, 2},
       20},
      // channels_first: C_in = 3 at axis 1; 20-3+1 = 18, 30-5+1 = 26; (3*5*3 + 1)*6 = 276.
      {"Conv2D",
       "[6, [3, 5]]",
       R"({"data_format": "channels_first"})",
       {N, 3, 20, 30},
       {N, 6, 18, 26},
       276},
      // channels_first groups=3: 1*1*(9/3)*6 + 6 = 18 + 6 = 24.
      {"Conv2D",
       "[6, 1]",
       R"({"groups": 3, "data_format": "channels_first"})",
       {N, 9, 4, 4},
       {N, 6, 4, 4},
       24},
      // use_bias=False: 3*3*4*8 = 288.
      {"Conv2D", "[8, 3]", R"({"use_bias": false})", {N, 5, 5, 4}, {N, 3, 3, 8}, 288},
      // None spatial dims stay None; (3*3*3 + 1)*8 = 224.
      {"Conv2D", "[8, 3]", "{}", {N, N, N, 3}, {N, N, N, 8}, 224},
      {"Conv2D", "[8, 3]", R"({"strides": 2})", {4, N, 9, 3}, {4, N, 4, 8}, 224},
      // Kernel exactly the input: 4-4+1 = 1, 5-5+1 = 1; (4*5*1 + 1)*1 = 21.
      {"Conv2D", "[1, [4, 5]]", "{}", {N, 4, 5, 1}, {N, 1, 1, 1}, 21},
      // same with stride 2 on 28: ceil(28/2) = 14; (9*1 + 1)*5 = 50. Upper-case padding.
      {"Conv2D",
       "[5, 3]",
       R"({"strides": 2, "padding": "SAME"})",
       {N, 28, 28, 1},
       {N, 14, 14, 5},
       50},
      // Conv1D causal, dilation 2: ceil(10/1) = 10; (3*1 + 1)*4 = 16.
      {"Conv1D",
       "[4, 3]",
       R"({"padding": "causal", "dilation_rate": 2})",
       {N, 10, 1},
       {N, 10, 4},
       16},
      // Conv1D causal, stride 2: ceil(9/2) = 5; (3*2 + 1)*4 = 28.
      {"Conv1D", "[4, 3, 2, \"causal\"]", "{}", {N, 9, 2}, {N, 5, 4}, 28},
      // Conv1D groups=2: 3*(4/2)*6 + 6 = 36 + 6 = 42; 8-3+1 = 6.
      {"Conv1D", "[6, 3]", R"({"groups": 2})", {N, 8, 4}, {N, 6, 6}, 42},
      // Conv1D channels_first: (None, C=2, L=7) -> (None, 3, 7-2+1 = 6); (2*2 + 1)*3 = 15.
      {"Conv1D", "[3, 2]", R"({"data_format": "channels_first"})", {N, 2, 7}, {N, 3, 6}, 15},
      // Conv3D per-axis kernel/strides: 4-1+1 = 4, floor((9-2)/2)+1 = 4, floor((10-3)/3)+1 = 3;
      // (1*2*3*3 + 1)*2 = 19*2 = 38.
      {"Conv3D",
       "[2, [1, 2, 3]]",
       R"({"strides": [1, 2, 3]})",
       {N, 4, 9, 10, 3},
       {N, 4, 4, 3, 2},
       38},
      // Conv3D same stride 2 channels_first: ceil(5/2)=3, ceil(6/2)=3, ceil(7/2)=4;
      // (3*3*3*2 + 1)*4 = 55*4 = 220.
      {"Conv3D",
       "[4, 3]",
       R"({"strides": 2, "padding": "same", "data_format": "channels_first"})",
       {N, 2, 5, 6, 7},
       {N, 4, 3, 3, 4},
       220},
      // Conv3D no bias, None depth: 2*2*2*1*3 = 24.
      {"Conv3D", "[3, 2]", R"({"use_bias": false})", {N, N, 4, 4, 1}, {N, N, 3, 3, 3}, 24},
      // Aliases bind like the class itself.
      {"Convolution2D", "[5, 3]", "{}", {N, 32, 32, 3}, {N, 30, 30, 5}, 140},
  };
  for (const ConvCase& c : cases) expect_case(c);
}

TEST(ConvLayer, WeightsInKerasOrderAndShape) {
  // kernel (k..., C_in/groups, F), then bias (F,).
  auto layer = built("Conv2D", {64, 3}, {{"groups", 4}}, {kNone, 13, 13, 32});
  ASSERT_EQ(layer->weights().size(), 2u);
  EXPECT_EQ(layer->weights()[0].name, "kernel");
  EXPECT_EQ(layer->weights()[0].shape, (std::vector<Dim>{3, 3, 8, 64}));
  EXPECT_EQ(layer->weights()[1].name, "bias");
  EXPECT_EQ(layer->weights()[1].shape, (std::vector<Dim>{64}));
  auto no_bias = built("Conv1D", {4, 3}, {{"use_bias", false}}, {kNone, 10, 2});
  ASSERT_EQ(no_bias->weights().size(), 1u);
  EXPECT_EQ(no_bias->weights()[0].shape, (std::vector<Dim>{3, 2, 4}));
}

TEST(ConvLayer, ConfigIsNormalizedAsKerasLists) {
  auto layer = make("Conv2D", {5, 3}, {{"padding", "SAME"}});
  const Json c = layer->get_config();
  EXPECT_EQ(c["filters"], 5);
  EXPECT_EQ(c["kernel_size"], Json::array({3, 3}));
  EXPECT_EQ(c["strides"], Json::array({1, 1}));
  EXPECT_EQ(c["dilation_rate"], Json::array({1, 1}));
  EXPECT_EQ(c["padding"], "same");
  EXPECT_EQ(c["activation"], "linear");
  EXPECT_EQ(c["data_format"], "channels_last");
  EXPECT_EQ(c["groups"], 1);
  EXPECT_EQ(c["use_bias"], true);
  EXPECT_EQ(c["kernel_initializer"], "glorot_uniform");
  EXPECT_EQ(c["bias_initializer"], "zeros");
  // Keras order: filters, kernel_size, strides, padding, data_format, dilation_rate, groups, ...
  std::vector<std::string> keys;
  for (const auto& [k, v] : c.items()) keys.push_back(k);
  const std::vector<std::string> head(keys.begin() + 3, keys.begin() + 10);
  EXPECT_EQ(head, (std::vector<std::string>{"filters", "kernel_size", "strides", "padding",
                                            "data_format", "dilation_rate", "groups"}));

  const Json c3 = make("Conv3D", {2, 3}, {{"activation", "relu"}, {"strides", 2}})->get_config();
  EXPECT_EQ(c3["kernel_size"], Json::array({3, 3, 3}));
  EXPECT_EQ(c3["strides"], Json::array({2, 2, 2}));
  EXPECT_EQ(c3["activation"], "relu");
  const Json c1 = make("Conv1D", {2, 3}, {{"data_format", "channels_first"}})->get_config();
  EXPECT_EQ(c1["kernel_size"], Json::array({3}));
  EXPECT_EQ(c1["data_format"], "channels_first");
}

TEST(ConvLayer, ReadsKeras2Json) {
  const Json config = Json::parse(R"({"name": "conv2d", "trainable": true, "dtype": "float32",
      "filters": 32, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid",
      "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
      "activation": "relu", "use_bias": true,
      "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
      "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
      "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
      "bias_constraint": null})");
  auto layer = make_layer_from_config("Conv2D", config, SourceLoc{"m.json", 1, 1});
  layer->build({kNone, 28, 28, 1});
  EXPECT_EQ(layer->name(), "conv2d");
  EXPECT_EQ(layer->output_shape(), (Shape{kNone, 26, 26, 32}));
  EXPECT_EQ(layer->count_params(), 320);  // (3*3*1 + 1) * 32
}

struct ErrorCase {
  const char* cls;
  const char* args;
  const char* kwargs;
  Shape input;
  std::vector<std::string> parts;  // each must appear in the message
};

TEST(ConvLayer, Errors) {
  const ErrorCase cases[] = {
      // Kernel larger than the input: floor((3 - 5) / 1) + 1 = -1 (which must not read as None).
      {"Conv2D",
       "[4, 5]",
       "{}",
       {N, 3, 3, 1},
       {"Conv2D layer 'c'", "kernel 5x5 is larger than the input 3x3", "(None, 3, 3, 1)",
        "padding='valid'", "output size would be -1x-1"}},
      // Output exactly 0: 2 - 3 + 1 = 0 is refused too; width 8 - 3 + 1 = 6 fits.
      {"Conv2D",
       "[4, 3]",
       "{}",
       {N, 2, 8, 1},
       {"Conv2D layer 'c'", "3x3", "(None, 2, 8, 1)", "output size would be 0x6"}},
      // floor((1 - 4) / 2) + 1 = -1 with an unknown width beside it.
      {"Conv2D", "[4, 4, 2]", "{}", {N, 1, N, 1}, {"Conv2D layer 'c'", "would be -1xNone"}},
      // Dilated kernel (3-1)*3+1 = 7 > 6.
      {"Conv1D",
       "[1, 3]",
       R"({"dilation_rate": 3})",
       {N, 6, 1},
       {"Conv1D layer 'c'", "dilated kernel 7 (size 3, dilation 3)", "(None, 6, 1)"}},
      {"Conv3D", "[1, 3]", "{}", {N, 5, 2, 5, 1}, {"Conv3D layer 'c'", "(None, 5, 2, 5, 1)"}},
      {"Conv2D",
       "[4, 3]",
       R"({"strides": 0})",
       {N, 8, 8, 1},
       {"Conv2D:", "`strides`", "tuple of 2 integers", "strides=0", "value > 0"}},
      {"Conv2D",
       "[4, 0]",
       "{}",
       {N, 8, 8, 1},
       {"Conv2D:", "`kernel_size`", "kernel_size=0", "value > 0"}},
      {"Conv2D", "[4, [3, 0]]", "{}", {N, 8, 8, 1}, {"Conv2D:", "kernel_size=(3, 0)"}},
      {"Conv2D",
       "[-1, 3]",
       "{}",
       {N, 8, 8, 1},
       {"Conv2D:", "Invalid value for argument `filters`", "Received filters=-1."}},
      {"Conv2D", "[0, 3]", "{}", {N, 8, 8, 1}, {"Conv2D:", "filters=0"}},
      {"Conv2D", "[\"8\", 3]", "{}", {N, 8, 8, 1}, {"Conv2D:", "`filters`", "'8'", "str"}},
      {"Conv2D",
       "[4, 3]",
       R"({"strides": 2, "dilation_rate": 2})",
       {N, 8, 8, 1},
       {"Conv2D:", "`strides > 1` not supported in conjunction with `dilation_rate > 1`",
        "strides=(2, 2) and dilation_rate=(2, 2)"}},
      {"Conv1D",
       "[4, 3]",
       R"({"strides": 3, "dilation_rate": 2})",
       {N, 8, 1},
       {"Conv1D:", "strides=(3,) and dilation_rate=(2,)"}},
      {"Conv2D",
       "[5, 3]",
       R"({"groups": 2})",
       {N, 8, 8, 4},
       {"Conv2D:", "number of filters must be evenly divisible", "groups=2, filters=5"}},
      {"Conv2D",
       "[4, 3]",
       R"({"groups": 2})",
       {N, 8, 8, 3},
       {"Conv2D layer 'c'", "number of input channels must be evenly divisible",
        "groups=2, but the input has 3 channels", "(None, 8, 8, 3)"}},
      {"Conv2D", "[4, 3]", R"({"groups": 0})", {N, 8, 8, 4}, {"Conv2D:", "`groups`", "groups=0"}},
      {"Conv2D",
       "[4, 3]",
       "{}",
       {N, 28, 28},
       {"Conv2D layer 'c'", "rank 4", "rank 3", "(None, 28, 28)"}},
      {"Conv1D",
       "[4, 3]",
       "{}",
       {N, 28, 28, 1},
       {"Conv1D layer 'c'", "rank 3", "(None, 28, 28, 1)"}},
      {"Conv3D", "[4, 3]", "{}", {N, 8, 8, 1}, {"Conv3D layer 'c'", "rank 5", "(None, 8, 8, 1)"}},
      {"Conv2D",
       "[4, 3]",
       R"({"padding": "full"})",
       {N, 8, 8, 1},
       {"Conv2D:", "`padding`", "'valid' or 'same'", "padding='full'"}},
      {"Conv2D", "[4, 3]", R"({"padding": 1})", {N, 8, 8, 1}, {"Conv2D:", "padding=1"}},
      {"Conv2D",
       "[4, 3]",
       R"({"padding": "causal"})",
       {N, 8, 8, 1},
       {"Conv2D:", "Causal padding is only supported for `Conv1D` and `SeparableConv1D`"}},
      {"Conv3D",
       "[4, 3]",
       R"({"padding": "causal"})",
       {N, 8, 8, 8, 1},
       {"Conv3D:", "Causal padding"}},
      {"Conv2D",
       "[4, 3]",
       R"({"strides": [1, 1, 1]})",
       {N, 8, 8, 1},
       {"Conv2D:", "`strides` argument must be a tuple of 2 integers", "strides=(1, 1, 1)"}},
      {"Conv3D",
       "[4, [3, 3]]",
       "{}",
       {N, 8, 8, 8, 1},
       {"Conv3D:", "`kernel_size` argument must be a tuple of 3 integers", "kernel_size=(3, 3)"}},
      {"Conv2D",
       "[4, 3]",
       R"({"dilation_rate": [2, 2, 2]})",
       {N, 8, 8, 1},
       {"Conv2D:", "`dilation_rate`", "dilation_rate=(2, 2, 2)"}},
      {"Conv2D",
       "[4, 3]",
       "{}",
       {N, 8, 8, N},
       {"Conv2D layer 'c'", "channel dimension of the inputs should be defined",
        "(None, 8, 8, None)", "axis -1"}},
      {"Conv2D",
       "[4, 3]",
       R"({"data_format": "channels_first"})",
       {N, N, 8, 8},
       {"Conv2D layer 'c'", "channel dimension", "(None, None, 8, 8)", "axis 1"}},
      {"Conv2D",
       "[4, 3]",
       R"({"data_format": "NHWC"})",
       {N, 8, 8, 1},
       {"Conv2D:", "`data_format`", "data_format='NHWC'"}},
      {"Conv2D",
       "[4, 3]",
       R"({"activation": "relux"})",
       {N, 8, 8, 1},
       {"Conv2D:", "Unknown activation function: 'relux'"}},
      {"Conv2D", "[4, 3]", R"({"use_bias": 1})", {N, 8, 8, 1}, {"Conv2D:", "`use_bias`"}},
      // 64-bit overflow: 3*3*4 * 2^62 does not fit.
      {"Conv2D",
       "[4611686018427387904, 3]",
       "{}",
       {N, 8, 8, 4},
       {"Conv2D layer 'c'", "overflows 64 bits", "(None, 8, 8, 4)"}},
      // k_eff = (2^62 - 1) * 4 + 1 overflows.
      {"Conv2D",
       "[4, 4611686018427387904]",
       R"({"dilation_rate": 4})",
       {N, 8, 8, 4},
       {"Conv2D layer 'c'", "dilated kernel size overflows 64 bits"}},
  };
  for (const ErrorCase& c : cases) {
    const std::string message = build_error(c.cls, c.args, c.kwargs, c.input);
    SCOPED_TRACE(std::string(c.cls) + " " + c.args + " " + c.kwargs);
    if (message.empty()) {
      ADD_FAILURE() << "no error";
      continue;
    }
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const std::string& part : c.parts)
      EXPECT_NE(message.find(part), std::string::npos)
          << "missing '" << part << "' in: " << message;
  }
}

TEST(ConvLayer, MissingAndUnknownArguments) {
  EXPECT_NE(error_of([] { make("Conv2D", {5}); }).find("missing required argument `kernel_size`"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              make("Conv2D", {5, 3}, {{"kernel_sise", 3}});
            }).find("unknown argument `kernel_sise` (did you mean 'kernel_size'?)"),
            std::string::npos);
}

// Seed 2: "ten color images with dimensions 16x8", Conv2D(5, 3, strides=2).
TEST(ConvLayer, ExplainAnswersSeedTwo) {
  const std::string valid =
      explain_text("Conv2D", "[5, 3]", R"({"strides": 2, "padding": "valid"})", {10, 8, 16, 3});
  for (const char* part : {
           "height: padding='valid': out = floor((in - k) / s) + 1 = floor((8 - 3) / 2) + 1 = "
           "floor(2.5) + 1 = 3",
           "width: padding='valid': out = floor((in - k) / s) + 1 = floor((16 - 3) / 2) + 1 = "
           "floor(6.5) + 1 = 7",
           "rounded down",
           // Windows start at columns 1, 3, ..., 13; the last covers 13..15: column 16 unread.
           "the last 1 column of 16 never reached by any window: the last window covers "
           "columns 13..15, so column 16 is never read",
           "the last 1 row of 8 never reached",
           "channels: 3 in -> 5 out",
           "params: (3*3*3 + 1) * 5 = 140",
       })
    EXPECT_NE(valid.find(part), std::string::npos) << "missing '" << part << "' in:\n" << valid;

  const std::string same =
      explain_text("Conv2D", "[5, 3]", R"({"strides": 2, "padding": "same"})", {10, 8, 16, 3});
  for (const char* part : {
           "height: padding='same': out = ceil(in / s) = ceil(8 / 2) = 4",
           "width: padding='same': out = ceil(in / s) = ceil(16 / 2) = 8",
           // (8 - 1)*2 + 3 - 16 = 1: nothing on the left, one column on the right.
           "max((8 - 1) * 2 + 3 - 16, 0) = 1",
           "split: left = 1 // 2 = 0, right = 1 - 0 = 1 (the odd column goes to the right)",
           // (4 - 1)*2 + 3 - 8 = 1.
           "split: top = 1 // 2 = 0, bottom = 1 - 0 = 1 (the odd row goes to the bottom)",
       })
    EXPECT_NE(same.find(part), std::string::npos) << "missing '" << part << "' in:\n" << same;
}

TEST(ConvLayer, ExplainParamsGroupsDilationCausal) {
  const std::string groups = explain_text("Conv2D", "[64, 3]", R"({"groups": 4})", {N, 13, 13, 32});
  EXPECT_NE(groups.find("params: (3*3*8 + 1) * 64 = 4672 (groups=4: each filter sees 32/4 = 8 "
                        "channels)"),
            std::string::npos)
      << groups;
  const std::string no_bias =
      explain_text("Conv2D", "[8, 3]", R"({"use_bias": false})", {N, 5, 5, 4});
  EXPECT_NE(no_bias.find("params: 3*3*4 * 8 = 288 (no bias)"), std::string::npos) << no_bias;
  const std::string dilated =
      explain_text("Conv1D", "[4, 3]", R"({"padding": "causal", "dilation_rate": 2})", {N, 10, 1});
  EXPECT_NE(dilated.find("dilated kernel = (k - 1) * d + 1 = (3 - 1) * 2 + 1 = 5"),
            std::string::npos)
      << dilated;
  EXPECT_NE(dilated.find("causal padding: (k - 1) * d = (3 - 1) * 2 = 4 zeros on the left"),
            std::string::npos)
      << dilated;
  // Even kernel, same: total (4-1)*1 + 4 - 4 = 3, split 1 before, 2 after.
  const std::string even = explain_text("Conv2D", "[1, 4]", R"({"padding": "same"})", {N, 4, 4, 1});
  EXPECT_NE(even.find("split: top = 3 // 2 = 1, bottom = 3 - 1 = 2"), std::string::npos) << even;
  // Exact fit: (9 - 3)/3 = 2, windows at 1..3, 4..6, 7..9.
  const std::string exact = explain_text("Conv1D", "[1, 3]", R"({"strides": 3})", {N, 9, 1});
  EXPECT_NE(exact.find("= 2 + 1 = 3"), std::string::npos) << exact;
  EXPECT_NE(exact.find("every step is read: the last window covers steps 7..9"), std::string::npos)
      << exact;
  // Two unread: floor((11 - 3)/3) + 1 = 3, last covers 7..9, 10..11 unread.
  const std::string two = explain_text("Conv1D", "[1, 3]", R"({"strides": 3})", {N, 11, 1});
  EXPECT_NE(two.find("the last 2 steps of 11 never reached by any window: the last window covers "
                     "steps 7..9, so steps 10..11 are never read"),
            std::string::npos)
      << two;
  const std::string unknown = explain_text("Conv2D", "[8, 3]", "{}", {N, N, 6, 3});
  EXPECT_NE(unknown.find("height: unknown (None) in, unknown out"), std::string::npos) << unknown;
}

// The model's first layer skips dL/dinput (Tape::input_grad_needed): the
// weight gradients are those of the full backward, for channels_last and
// channels_first alike.
TEST(Conv2DLayer, BackwardWithoutTheInputGradientKeepsTheWeightGradients) {
  for (const char* format : {"channels_last", "channels_first"}) {
    Sequential model;
    model.input({5, 6, 3});
    model.add(fmt::format("Conv2D(4, 3, strides=2, padding='same', data_format='{}')", format));
    model.initialize_weights(7);
    const Layer& conv = *model.layers()[0];
    Tensor x({2, 5, 6, 3});
    for (Dim i = 0; i < x.size(); ++i) x[i] = float((i * 37) % 11) / 11.0f - 0.5f;
    std::vector<std::vector<float>> weight_grads;
    std::vector<Tensor> input_grads;
    for (bool needed : {true, false}) {
      Tape tape;
      const Tensor y = conv.call(x, {.training = true, .tape = &tape});
      tape.input_grad_needed = needed;  // after call(), which starts the tape afresh
      Tensor dy(y.shape());
      for (Dim i = 0; i < dy.size(); ++i) dy[i] = float(i % 5) - 2.0f;
      std::vector<Tensor> grads;
      for (const WeightSpec& w : conv.weights()) grads.emplace_back(w.shape);
      input_grads.push_back(conv.backward(tape, dy, grads, ComputePath::kFast));
      for (const Tensor& g : grads) weight_grads.push_back(g.values());
    }
    EXPECT_EQ(input_grads[0].shape(), x.shape()) << format;
    EXPECT_EQ(input_grads[1].rank(), 0u) << format;
    EXPECT_EQ(weight_grads[0], weight_grads[2]) << format << ": kernel gradient";
    EXPECT_EQ(weight_grads[1], weight_grads[3]) << format << ": bias gradient";
  }
}

// With relu and a bias the fast path takes the bias gradient from the relu
// gradient's own pass (in chunks of rows: 4,800 rows of 8 channels make two);
// as a first layer (no input gradient) it applies relu's derivative inside
// the kernel gradient and sums the bias there, never writing dz. The
// reference path sums separately in double. Both must agree.
TEST(Conv2DLayer, FusedReluBiasGradientMatchesTheReferencePath) {
  Sequential model;
  model.input({40, 40, 3});
  model.add("Conv2D(8, 3, padding='same', activation='relu')");
  model.initialize_weights(3);
  const Layer& conv = *model.layers()[0];
  Tensor bias = conv.weight_values()[1];  // shares the model's storage
  bias.fill(0.05f);                       // Keras initializes it to zeros
  Tensor x({3, 40, 40, 3});
  for (Dim i = 0; i < x.size(); ++i) x[i] = float((i * 37) % 23) / 23.0f - 0.5f;
  for (bool first_layer : {false, true}) {
    SCOPED_TRACE(first_layer ? "first layer" : "inner layer");
    std::vector<std::vector<float>> grads[2];
    Tensor input_grads[2];
    for (ComputePath path : {ComputePath::kFast, ComputePath::kReference}) {
      const int k = path == ComputePath::kFast ? 0 : 1;
      Tape tape;
      const Tensor y = conv.call(x, {.training = true, .path = path, .tape = &tape});
      tape.input_grad_needed = !first_layer;
      Dim zeros = 0;
      for (float v : y) zeros += v == 0.0f;
      EXPECT_GT(zeros, y.size() / 5);  // relu's gradient really masks
      Tensor dy(y.shape());
      for (Dim i = 0; i < dy.size(); ++i) dy[i] = float((i * 13) % 17) / 17.0f - 0.4f;
      std::vector<Tensor> weight_grads;
      for (const WeightSpec& w : conv.weights()) weight_grads.emplace_back(w.shape);
      input_grads[k] = conv.backward(tape, dy, weight_grads, path);
      for (const Tensor& g : weight_grads) grads[k].push_back(g.values());
    }
    for (std::size_t w = 0; w < 2; ++w) {
      ASSERT_EQ(grads[0][w].size(), grads[1][w].size());
      for (std::size_t i = 0; i < grads[0][w].size(); ++i) {
        const float want = grads[1][w][i];
        EXPECT_NEAR(grads[0][w][i], want, 1e-5f * (1.0f + std::abs(want)))
            << (w == 0 ? "kernel" : "bias") << "[" << i << "]";
      }
    }
    if (first_layer) {
      EXPECT_TRUE(input_grads[0].empty());
      continue;
    }
    for (Dim i = 0; i < x.size(); ++i)
      ASSERT_NEAR(input_grads[0][i], input_grads[1][i], 1e-5f) << i;
  }
}

// Inference of Conv2D then MaxPooling2D in one pass (Layer::call_with_next,
// the fused kernel): the values of the two layers' reference paths one after
// the other; no fusion in training, on the reference path, or for pairs
// without a fused kernel.
bool fused_conv_pool_kernel_available() {
  kernels::ConvGeometry conv;
  conv.out_channels = 8;
  kernels::PoolGeometry pool;
  pool.channels = 8;
  std::vector<float> x(1, 1.0f), k(8, 1.0f), y(8);
  return kernels::conv_max_pool_forward(conv, pool, x.data(), k.data(), nullptr, false, y.data());
}

// Conv2D(16, 3, activation) then `next` on 14x15x2 inputs, and three such
// inputs in [-0.5, 0.5).
Sequential conv_then(const char* next, const char* activation = "relu") {
  Sequential model;
  model.input({14, 15, 2});
  model.add(fmt::format("Conv2D(16, 3, activation='{}')", activation)).add(next);
  model.initialize_weights(5);
  return model;
}

Tensor conv_then_input() {
  Tensor x({3, 14, 15, 2});
  for (Dim i = 0; i < x.size(); ++i) x[i] = float((i * 37) % 23) / 23.0f - 0.5f;
  return x;
}

TEST(Conv2DLayer, CallWithNextPoolsInOnePass) {
  if (!fused_conv_pool_kernel_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  const Sequential model = conv_then("MaxPooling2D(2)");
  const Layer& conv = *model.layers()[0];
  const Layer& pool = *model.layers()[1];
  Tensor bias = conv.weight_values()[1];  // shares the model's storage
  bias.fill(0.05f);
  const Tensor x = conv_then_input();

  const Tensor fused = conv.call_with_next(x, pool);
  const CallOptions reference{.path = ComputePath::kReference};
  const Tensor want = pool.call(conv.call(x, reference), reference);
  ASSERT_EQ(fused.shape(), (Shape{3, 6, 6, 16}));
  ASSERT_EQ(want.shape(), fused.shape());
  for (Dim i = 0; i < want.size(); ++i)
    ASSERT_NEAR(fused[i], want[i], 1e-5f * (1.0f + std::abs(want[i]))) << "element " << i;

  EXPECT_TRUE(conv.call_with_next(x, pool, {.training = true}).empty());
  EXPECT_TRUE(conv.call_with_next(x, pool, reference).empty());
  for (const char* next : {"AveragePooling2D(2)", "MaxPooling2D(2, padding='same')", "Flatten()"}) {
    const Sequential other = conv_then(next);
    EXPECT_TRUE(other.layers()[0]->call_with_next(x, *other.layers()[1]).empty()) << next;
  }
  const Sequential tanh = conv_then("MaxPooling2D(2)", "tanh");
  EXPECT_TRUE(tanh.layers()[0]->call_with_next(x, *tanh.layers()[1]).empty());
}

// Training's backward through a first Conv2D with relu and the max pooling
// after it at once (Layer::backward_with_next): the weight gradients of the
// two layers' backward() one after the other; declined where the conv's
// input gradient is needed, on the reference path, or after other layers.
TEST(Conv2DLayer, BackwardWithNextTakesTheGradientsFromThePooling) {
  const Sequential model = conv_then("MaxPooling2D(2)");
  const Layer& conv = *model.layers()[0];
  const Layer& pool = *model.layers()[1];
  const Tensor x = conv_then_input();
  Tape conv_tape, pool_tape;
  const Tensor y = pool.call(conv.call(x, {.training = true, .tape = &conv_tape}),
                             {.training = true, .tape = &pool_tape});
  conv_tape.input_grad_needed = false;
  Tensor dy(y.shape());
  for (Dim i = 0; i < dy.size(); ++i) dy[i] = float((i * 13) % 17) / 17.0f - 0.4f;
  const auto new_grads = [&] {
    std::vector<Tensor> grads;
    for (const WeightSpec& w : conv.weights()) grads.emplace_back(w.shape);
    return grads;
  };
  std::vector<Tensor> separate = new_grads(), fused = new_grads();
  std::vector<Tensor> none;
  (void)conv.backward(conv_tape, pool.backward(pool_tape, dy, none, ComputePath::kFast), separate,
                      ComputePath::kFast);
  if (!conv.backward_with_next(conv_tape, pool, pool_tape, dy, fused, ComputePath::kFast))
    GTEST_SKIP() << "no direct kernels on this CPU (AVX2+FMA)";
  for (std::size_t w = 0; w < 2; ++w)
    for (Dim i = 0; i < separate[w].size(); ++i)
      ASSERT_NEAR(fused[w][i], separate[w][i], 1e-5f * (1.0f + std::abs(separate[w][i])))
          << (w == 0 ? "kernel" : "bias") << "[" << i << "]";

  std::vector<Tensor> unused = new_grads();
  EXPECT_FALSE(
      conv.backward_with_next(conv_tape, pool, pool_tape, dy, unused, ComputePath::kReference));
  Tape inner = conv_tape;
  inner.input_grad_needed = true;
  EXPECT_FALSE(conv.backward_with_next(inner, pool, pool_tape, dy, unused, ComputePath::kFast));
  Tape reference_pool;  // the reference path records no winners
  (void)pool.call(conv_tape.output,
                  {.training = true, .path = ComputePath::kReference, .tape = &reference_pool});
  EXPECT_FALSE(
      conv.backward_with_next(conv_tape, pool, reference_pool, dy, unused, ComputePath::kFast));
}

// Training's forward through a first Conv2D with relu and the max pooling
// after it at once (Layer::call_with_next with tapes): the pooled values and
// the recorded winners of the two layers' calls one after the other, and the
// weight gradients backward_with_next takes from them; this layer's output
// is never computed. Declined where backward_with_next would be.
TEST(Conv2DLayer, CallWithNextInTrainingRecordsBothTapes) {
  if (!fused_conv_pool_kernel_available()) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  const Sequential model = conv_then("MaxPooling2D(2)");
  const Layer& conv = *model.layers()[0];
  const Layer& pool = *model.layers()[1];
  const Tensor x = conv_then_input();
  Tape conv_tape, pool_tape;
  const Tensor want = pool.call(conv.call(x, {.training = true, .tape = &conv_tape}),
                                {.training = true, .tape = &pool_tape});
  conv_tape.input_grad_needed = false;

  Tape fused_conv_tape, fused_pool_tape;
  fused_conv_tape.input_grad_needed = false;  // a first layer
  const Tensor fused =
      conv.call_with_next(x, pool, {.training = true, .tape = &fused_conv_tape}, &fused_pool_tape);
  ASSERT_EQ(fused.shape(), want.shape());
  for (Dim i = 0; i < want.size(); ++i)
    ASSERT_NEAR(fused[i], want[i], 1e-5f * (1.0f + std::abs(want[i]))) << "element " << i;
  EXPECT_TRUE(fused_conv_tape.output.shape().empty());
  EXPECT_FALSE(fused_conv_tape.input_grad_needed);
  EXPECT_EQ(fused_conv_tape.input.data(), x.data());
  EXPECT_EQ(fused_pool_tape.output.data(), fused.data());
  ASSERT_EQ(fused_pool_tape.saved.size(), 1u);

  Tensor dy(want.shape());
  for (Dim i = 0; i < dy.size(); ++i) dy[i] = float((i * 13) % 17) / 17.0f - 0.4f;
  std::vector<Tensor> separate, from_fused;
  for (const WeightSpec& w : conv.weights()) separate.emplace_back(w.shape);
  for (const WeightSpec& w : conv.weights()) from_fused.emplace_back(w.shape);
  ASSERT_TRUE(
      conv.backward_with_next(conv_tape, pool, pool_tape, dy, separate, ComputePath::kFast));
  ASSERT_TRUE(conv.backward_with_next(fused_conv_tape, pool, fused_pool_tape, dy, from_fused,
                                      ComputePath::kFast));
  for (std::size_t w = 0; w < 2; ++w)
    for (Dim i = 0; i < separate[w].size(); ++i)
      ASSERT_NEAR(from_fused[w][i], separate[w][i], 1e-4f * (1.0f + std::abs(separate[w][i])))
          << (w == 0 ? "kernel" : "bias") << "[" << i << "]";

  Tape inner, next;  // input_grad_needed: the fused backward would be declined
  EXPECT_TRUE(conv.call_with_next(x, pool, {.training = true, .tape = &inner}, &next).empty());
  Tape first;
  first.input_grad_needed = false;
  EXPECT_TRUE(conv.call_with_next(x, pool, {.training = true, .tape = &first}).empty())
      << "no tape for the pooling";
  const Sequential linear = conv_then("MaxPooling2D(2)", "linear");
  first.input_grad_needed = false;
  EXPECT_TRUE(
      linear.layers()[0]
          ->call_with_next(x, *linear.layers()[1], {.training = true, .tape = &first}, &next)
          .empty());
}

// A Conv2D with relu and the max pooling after it inside a model (its input
// gradient needed): backward_with_next gives the input and weight gradients
// of the two layers' backward() one after the other, and is declined
// without somewhere to put the input gradient.
TEST(Conv2DLayer, BackwardWithNextGivesTheInputGradientToo) {
  const Sequential model = conv_then("MaxPooling2D(2)");
  const Layer& conv = *model.layers()[0];
  const Layer& pool = *model.layers()[1];
  Tensor bias = conv.weight_values()[1];  // shares the model's storage
  bias.fill(0.02f);
  const Tensor x = conv_then_input();
  Tape conv_tape, pool_tape;
  const Tensor y = pool.call(conv.call(x, {.training = true, .tape = &conv_tape}),
                             {.training = true, .tape = &pool_tape});
  ASSERT_TRUE(conv_tape.input_grad_needed);
  Tensor dy(y.shape());
  for (Dim i = 0; i < dy.size(); ++i) dy[i] = float((i * 11) % 19) / 19.0f - 0.45f;
  std::vector<Tensor> separate, fused, unused;
  for (const WeightSpec& w : conv.weights()) {
    separate.emplace_back(w.shape);
    fused.emplace_back(w.shape);
    unused.emplace_back(w.shape);
  }
  std::vector<Tensor> none;
  const Tensor dx_separate =
      conv.backward(conv_tape, pool.backward(pool_tape, dy, none, ComputePath::kFast), separate,
                    ComputePath::kFast);
  EXPECT_FALSE(conv.backward_with_next(conv_tape, pool, pool_tape, dy, unused, ComputePath::kFast))
      << "no place for the input gradient";
  Tensor dx_fused;
  ASSERT_TRUE(conv.backward_with_next(conv_tape, pool, pool_tape, dy, fused, ComputePath::kFast,
                                      &dx_fused));
  ASSERT_EQ(dx_fused.shape(), x.shape());
  for (Dim i = 0; i < x.size(); ++i)
    ASSERT_NEAR(dx_fused[i], dx_separate[i], 1e-5f * (1.0f + std::abs(dx_separate[i])))
        << "input gradient [" << i << "]";
  for (std::size_t w = 0; w < 2; ++w)
    for (Dim i = 0; i < separate[w].size(); ++i)
      ASSERT_NEAR(fused[w][i], separate[w][i], 1e-5f * (1.0f + std::abs(separate[w][i])))
          << (w == 0 ? "kernel" : "bias") << "[" << i << "]";
}

}  // namespace
}  // namespace stride::test
