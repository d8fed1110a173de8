// Malformed models and command lines: each must give exit status 2, nothing
// on stdout and exactly one line on stderr, "error: FILE:LINE:COL: message"
// (or "error: FILE: ..." / "error: ..." where no position applies), the
// message naming the layer, the argument and the shapes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/cli_runner.hpp"

namespace stride::test {
namespace {

enum class Where {
  kAt,     // "error: FILE:LINE:COL: " with the position given
  kFile,   // "error: FILE: " (the file as a whole)
  kUsage,  // "error: " and a command-line problem
};

struct ErrorCase {
  std::string name;
  std::string model;              // model file text; written to <tmp>/<name>.txt
  std::vector<std::string> args;  // "{}" stands for the model file's path
  Where where;
  std::string pos;                   // "LINE:COL" for kAt
  std::vector<std::string> expects;  // substrings of the message
  std::string file = "";             // the FILE in the message when not the model file
};

// Test failures print the case's name, not its bytes.
void PrintTo(const ErrorCase& c, std::ostream* os) {
  *os << c.name;
}

const std::vector<std::string> kSummary = {"summary", "{}"};
const std::vector<std::string> kExplain = {"explain", "{}"};

// Columns are 1-based positions in the model text, counted by hand:
// "model.add(" is 10 characters, so a layer class name starts at column 11.
const std::vector<ErrorCase> kCases = {
    // ---- windows larger than their input (reference §5.1) ----
    {"kernel_larger_than_input",
     "model.add(Conv2D(4, 5, input_shape=(3, 3, 1)))\n",
     kSummary,
     Where::kAt,
     "1:11",  // 3 - 5 + 1 = -1 rows
     {"Conv2D layer 'conv2d'", "(None, 3, 3, 1)"}},
    {"kernel_one_larger_than_input",
     "model.add(Conv2D(4, 3, input_shape=(2, 2, 1)))\n",
     kSummary,
     Where::kAt,
     "1:11",  // 2 - 3 + 1 = 0 rows
     {"Conv2D layer 'conv2d'", "3x3", "2x2", "(None, 2, 2, 1)"}},
    {"pool_larger_than_input",
     "model.add(MaxPooling2D(4, input_shape=(3, 3, 1)))\n",
     kSummary,
     Where::kAt,
     "1:11",  // floor((3 - 4) / 2) + 1 = 0
     {"MaxPooling2D layer 'max_pooling2d'", "4x4", "3x3", "(None, 3, 3, 1)"}},
    {"dilated_kernel_larger_than_input",
     "model.add(Conv2D(4, 3, dilation_rate=4, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:11",  // (3 - 1) * 4 + 1 = 9 > 8
     {"Conv2D layer 'conv2d'", "9x9", "8x8", "(None, 8, 8, 1)"}},
    {"depthwise_kernel_larger_than_input",
     "model.add(DepthwiseConv2D(9, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:11",
     {"DepthwiseConv2D layer 'depthwise_conv2d'", "9x9", "(None, 8, 8, 1)"}},
    {"conv1d_in_sequential_list",
     "model = keras.Sequential([\n    keras.Input(shape=(4, 2)),\n    layers.Conv1D(8, 7),\n])\n",
     kSummary,
     Where::kAt,
     "3:12",  // errors point at the class name, after "    layers."
     {"Conv1D layer 'conv1d'", "(None, 4, 2)"}},
    {"one_off_kernel_larger_than_input",
     "",
     {"explain", "--input", "2,2,1", "Conv2D(4, 3)"},
     Where::kAt,
     "1:1",
     {"Conv2D layer 'conv2d'", "(None, 2, 2, 1)"},
     "<layer 1>"},
    {"one_off_pool_larger_than_input",
     "",
     {"explain", "--input", "2,2,1", "MaxPooling2D(3)"},
     Where::kAt,
     "1:1",
     {"MaxPooling2D layer 'max_pooling2d'", "(None, 2, 2, 1)"},
     "<layer 1>"},
    // ---- zero and negative sizes (§5.2) ----
    {"kernel_size_zero",
     "model.add(Conv2D(4, 0, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:21",
     {"Conv2D", "kernel_size", "0"}},
    {"filters_negative",
     "model.add(Conv2D(-4, 3, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:18",
     {"Conv2D", "filters", "-4"}},
    {"filters_zero",
     "model.add(Conv2D(0, 3, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:18",
     {"Conv2D", "filters=0"}},
    {"dense_units_zero",
     "model.add(Dense(0, input_shape=(4,)))\n",
     kSummary,
     Where::kAt,
     "1:17",
     {"Dense", "units"}},
    {"negative_input_shape",
     "model.add(Dense(3, input_shape=(-3, 4)))\n",
     kSummary,
     Where::kAt,
     "1:20",
     {"Dense", "input_shape", "(-3, 4)"}},
    {"upsampling_size_zero",
     "model.add(UpSampling2D(0, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:24",
     {"UpSampling2D", "size"}},
    {"zero_padding_negative",
     "model.add(ZeroPadding2D(-1, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:25",
     {"ZeroPadding2D", "padding", "-1"}},
    {"cropping_too_much",
     "model.add(Cropping2D(((5, 5), (0, 0)), input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:11",  // 8 - 5 - 5 = -2 rows
     {"Cropping2D layer 'cropping2d'", "(None, 8, 8, 1)", "cropping"}},
    {"one_off_kernel_zero",
     "",
     {"explain", "--input", "8,8,1", "Conv2D(4, 0)"},
     Where::kAt,
     "1:11",
     {"Conv2D", "kernel_size"},
     "<layer 1>"},
    // ---- strides ----
    {"conv_stride_zero",
     "model.add(Conv2D(4, 3, strides=0, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:24",
     {"Conv2D", "strides", "0"}},
    {"pool_stride_zero",
     "model.add(MaxPooling2D(2, strides=0, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:27",
     {"MaxPooling2D", "strides", "0"}},
    {"strides_with_dilation",
     "model.add(Conv2D(4, 3, strides=2, dilation_rate=2, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:24",
     {"Conv2D", "`strides > 1` not supported in conjunction with `dilation_rate > 1`",
      "strides=(2, 2)", "dilation_rate=(2, 2)"}},
    {"output_padding_not_below_stride",
     "model.add(Conv2DTranspose(4, 3, strides=2, output_padding=2, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:44",
     {"Conv2DTranspose", "output_padding", "strides"}},
    // ---- unknown layers and arguments, wrong types ----
    {"unknown_layer",
     "model.add(Conv2d(4, 3, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:11",
     {"unknown layer", "Conv2d", "Conv2D"}},
    {"unknown_argument",
     "model.add(Conv2D(4, 3, kernal_size=3, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:24",
     {"Conv2D", "kernal_size", "kernel_size"}},
    {"wrong_type_string_for_int",
     "model.add(Conv2D(\"four\", 3, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:18",
     {"Conv2D", "filters", "'four'"}},
    {"wrong_type_float_kernel",
     "model.add(Conv2D(4, 2.5, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:21",
     {"Conv2D", "kernel_size", "2.5"}},
    {"wrong_tuple_length",
     "model.add(Conv2D(4, (3, 3, 3), input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:21",
     {"Conv2D", "kernel_size", "(3, 3, 3)"}},
    {"bad_padding_string",
     "model.add(Conv2D(4, 3, padding=\"full\", input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:24",
     {"Conv2D", "padding", "'full'"}},
    {"causal_on_conv2d",
     "model.add(Conv2D(4, 3, padding=\"causal\", input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:24",
     {"Conv2D", "Causal padding", "Conv1D"}},
    {"unknown_activation",
     "model.add(Dense(3, activation=\"relux\", input_shape=(4,)))\n",
     kSummary,
     Where::kAt,
     "1:20",
     {"Dense", "activation", "'relux'"}},
    {"dropout_rate_out_of_range",
     "model.add(Dropout(1.5, input_shape=(3,)))\n",
     kSummary,
     Where::kAt,
     "1:19",
     {"Dropout", "rate", "1.5"}},
    {"missing_required_argument",
     "model.add(Dense(input_shape=(4,)))\n",
     kSummary,
     Where::kAt,
     "1:11",
     {"Dense", "units"}},
    {"argument_given_twice",
     "model.add(Dense(3, units=4, input_shape=(4,)))\n",
     kSummary,
     Where::kAt,
     "1:20",
     {"Dense", "units"}},
    {"groups_not_dividing_filters",
     "model.add(Conv2D(6, 3, groups=4, input_shape=(8, 8, 4)))\n",
     kSummary,
     Where::kAt,
     "1:24",
     {"Conv2D", "groups=4", "filters=6"}},
    {"permute_bad_dims",
     "model.add(Permute((1, 3), input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:19",
     {"Permute", "dims", "(1, 3)"}},
    // ---- inputs of the wrong rank or size (§5.3, §5.4) ----
    {"conv2d_on_dense_output",
     "model.add(Dense(10, input_shape=(8,)))\nmodel.add(Conv2D(4, 3))\n",
     kSummary,
     Where::kAt,
     "2:11",
     {"Conv2D layer 'conv2d'", "(None, 10)"}},
    {"pooling_on_flatten_output",
     "model.add(Flatten(input_shape=(8, 8, 3)))\nmodel.add(MaxPooling2D())\n",
     kSummary,
     Where::kAt,
     "2:11",  // 8 * 8 * 3 = 192
     {"MaxPooling2D layer 'max_pooling2d'", "(None, 192)"}},
    {"global_pooling_on_vector",
     "model.add(GlobalAveragePooling2D(input_shape=(8,)))\n",
     kSummary,
     Where::kAt,
     "1:11",
     {"GlobalAveragePooling2D layer", "(None, 8)"}},
    {"input_channels_not_divisible_by_groups",
     "model.add(Conv2D(8, 3, groups=4, input_shape=(8, 8, 6)))\n",
     kSummary,
     Where::kAt,
     "1:11",
     {"Conv2D layer 'conv2d'", "groups=4", "6 channels", "(None, 8, 8, 6)"}},
    {"dense_on_unknown_last_dim",
     "model.add(Dense(3, input_shape=(None,)))\n",
     kSummary,
     Where::kAt,
     "1:11",
     {"Dense layer 'dense'", "(None, None)"}},
    {"reshape_size_mismatch",
     "model.add(Reshape((7, 7), input_shape=(10,)))\n",
     kSummary,
     Where::kAt,
     "1:11",  // 10 != 7 * 7 = 49
     {"Reshape layer 'reshape'", "(10,)", "(7, 7)"}},
    {"batchnorm_axis_out_of_range",
     "model.add(BatchNormalization(axis=5, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:11",
     {"BatchNormalization layer", "axis", "(None, 8, 8, 1)"}},
    // ---- 64-bit overflow ----
    {"flatten_overflows_64_bits",
     "model.add(Flatten(input_shape=(3037000500, 3037000500, 3)))\n",
     kSummary,
     Where::kAt,
     "1:11",  // 3037000500^2 * 3 > 2^63 - 1
     {"Flatten layer 'flatten'", "overflow", "(None, 3037000500, 3037000500, 3)"}},
    {"dense_kernel_overflows_64_bits",
     "model.add(keras.Input(shape=(4000000000,)))\nmodel.add(Dense(4000000000))\n",
     kSummary,
     Where::kAt,
     "2:11",  // 4e9 * 4e9 = 1.6e19 > 9.2e18
     {"Dense layer 'dense'", "overflow", "(None, 4000000000)"}},
    // ---- model structure ----
    {"missing_input_shape",
     "model.add(Conv2D(4, 3))\n",
     kSummary,
     Where::kAt,
     "1:11",
     {"no input shape", "input_shape"}},
    {"two_inputs",
     "model.add(keras.Input(shape=(4,)))\nmodel.add(keras.Input(shape=(4,)))\nmodel.add(Dense(2))"
     "\n",
     kSummary,
     Where::kAt,
     "2:17",
     {"InputLayer", "input"}},
    {"undefined_name",
     "model.add(Dense(num_classes, input_shape=(4,)))\n",
     kSummary,
     Where::kAt,
     "1:17",
     {"num_classes"}},
    // ---- syntax ----
    {"unterminated_bracket",
     "model = keras.Sequential([\n  layers.Dense(3),\n",
     kSummary,
     Where::kAt,
     "1:26",
     {"'['", "never closed"}},
    {"unterminated_paren",
     "model.add(Conv2D(4, 3)\n",
     kSummary,
     Where::kAt,
     "1:10",
     {"'('", "never closed"}},
    {"unterminated_string",
     "model.add(Conv2D(4, 3, padding=\"same, input_shape=(8, 8, 1)))\n",
     kSummary,
     Where::kAt,
     "1:32",
     {"unterminated string"}},
    {"bad_number_literal",
     "model.add(Dense(3x, input_shape=(4,)))\n",
     kSummary,
     Where::kAt,
     "1:17",
     {"3x"}},
    {"unrecognized_statement",
     "for i in range(3):\n    model.add(Dense(3))\n",
     kSummary,
     Where::kAt,
     "1:1",
     {"for i in range(3)"}},
    {"comments_only", "# nothing here\nimport keras\n", kSummary, Where::kAt, "1:1", {"no layers"}},
    {"empty_file", "", kSummary, Where::kAt, "1:1", {"empty"}},
    {"one_off_unterminated_call",
     "",
     {"explain", "--input", "8,8,1", "Conv2D(4, 3"},
     Where::kAt,
     "1:7",
     {"'('", "never closed"},
     "<layer 1>"},
    {"one_off_trailing_text",
     "",
     {"explain", "--input", "8,8,1", "Conv2D(4, 3) x"},
     Where::kAt,
     "1:14",
     {"'x'"},
     "<layer 1>"},
    // ---- Keras JSON ----
    {"malformed_json",
     "{\"class_name\": \"Sequential\", \"config\": {\n",
     kSummary,
     Where::kAt,
     "2:1",
     {"invalid JSON"}},
    {"json_trailing_garbage",
     "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": []}} x",
     kSummary,
     Where::kAt,
     "1:69",
     {"invalid JSON"}},
    {"json_unknown_layer",
     "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": "
     "[{\"class_name\": \"Foo\", \"config\": {}}]}}",
     kSummary,
     Where::kAt,
     "1:80",
     {"unknown layer", "Foo"}},  // col of "Foo"
    {"json_functional_model",
     "{\"class_name\": \"Functional\", \"config\": {\"name\": \"m\", \"layers\": []}}",
     kSummary,
     Where::kAt,
     "1:2",
     {"Sequential", "Functional"}},
    {"json_layers_not_a_list",
     "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": {}}}",
     kSummary,
     Where::kAt,
     "1:54",
     {"layers", "list"}},
    {"json_zero_kernel",
     "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": [\n"
     " {\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 8, 8, 1]}},\n"
     " {\"class_name\": \"Conv2D\", \"config\": {\"filters\": 4, \"kernel_size\": [0, 0]}}]}}",
     kSummary,
     Where::kAt,
     "3:52",
     {"Conv2D", "kernel_size", "(0, 0)"}},
    // ---- files ----
    {"missing_file",
     "",
     {"summary", "/nonexistent/stride/model.txt"},
     Where::kFile,
     "",
     {"no such file"},
     "/nonexistent/stride/model.txt"},
    {"directory_as_model", "", {"explain", "/"}, Where::kFile, "", {"directory"}, "/"},
    {"stdin_empty", "", {"summary", "-"}, Where::kAt, "1:1", {"empty"}, "<stdin>"},
    // ---- command line ----
    {"no_command", "", {}, Where::kUsage, "", {"subcommand", "--help"}},
    {"unknown_command", "", {"frobnicate"}, Where::kUsage, "", {"frobnicate", "--help"}},
    {"summary_without_model", "", {"summary"}, Where::kUsage, "", {"MODEL", "--help"}},
    {"unknown_option",
     "model.add(Dense(3, input_shape=(4,)))\n",
     {"summary", "--bogus", "{}"},
     Where::kUsage,
     "",
     {"--bogus", "--help"}},
    {"bad_style",
     "model.add(Dense(3, input_shape=(4,)))\n",
     {"summary", "--style", "keras4", "{}"},
     Where::kUsage,
     "",
     {"--style", "keras4", "keras3"}},
    {"line_length_zero",
     "model.add(Dense(3, input_shape=(4,)))\n",
     {"summary", "--line-length", "0", "{}"},
     Where::kUsage,
     "",
     {"--line-length", "0"}},
    {"keras3_too_narrow",
     "model.add(Dense(3, input_shape=(4,)))\n",
     {"summary", "--style", "keras3", "--line-length", "10", "{}"},
     Where::kUsage,
     "",
     {"Insufficient console width"}},  // 10 * 0.45 = 4, 10 * 0.35 = 3 < 4
    {"bad_input_shape",
     "",
     {"explain", "--input", "11,x,1", "MaxPooling2D(2)"},
     Where::kUsage,
     "",
     {"--input", "'x'"}},
    {"zero_input_shape",
     "",
     {"explain", "--input", "0,11,1", "MaxPooling2D(2)"},
     Where::kUsage,
     "",
     {"--input", "'0'"}},
    {"input_without_layers",
     "",
     {"explain", "--input", "11,11,1"},
     Where::kUsage,
     "",
     {"layer call"}},
    {"explain_two_models", "", {"explain", "a.txt", "b.txt"}, Where::kUsage, "", {"one MODEL"}},
    {"unknown_layer_class_for_layers", "", {"layers", "Conv9D"}, Where::kUsage, "", {"Conv9D"}},
};

class CliErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(CliErrors, OneLineExitTwoNothingOnStdout) {
  const ErrorCase& c = GetParam();
  TempDir tmp;
  const std::string model = tmp.file(c.name + ".txt", c.model);
  std::vector<std::string> args;
  for (const std::string& a : c.args) args.push_back(a == "{}" ? model : a);
  const CliResult r = run_cli(args);

  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "") << "partial output on stdout";
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not exactly one line:\n" << r.err;
  const std::string file = c.file.empty() ? model : c.file;
  std::string prefix = "error: ";
  if (c.where == Where::kAt) prefix += file + ":" + c.pos + ": ";
  if (c.where == Where::kFile) prefix += file + ": ";
  EXPECT_EQ(r.err.rfind(prefix, 0), 0u) << "expected prefix '" << prefix << "' in:\n" << r.err;
  for (const std::string& s : c.expects)
    EXPECT_NE(r.err.find(s), std::string::npos) << "'" << s << "' missing from:\n" << r.err;
}

INSTANTIATE_TEST_SUITE_P(Table, CliErrors, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) {
                           return info.param.name;
                         });

TEST(CliErrorsTable, HasAtLeastFortyMalformedInputs) {
  EXPECT_GE(kCases.size(), 40u);
}

}  // namespace
}  // namespace stride::test
