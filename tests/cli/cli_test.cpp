// The `stride` command end to end: summaries byte for byte against Keras's
// own output (reference §4.2 - §4.5), JSON, stdin, and the explain arithmetic
// of the seeds' questions.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "cli/reference_summaries.hpp"
#include "stride/stride.hpp"

namespace stride::test {
namespace {

const std::string kMnist = source_path("examples/mnist_convnet.txt");
const std::string kSeed1 = source_path("examples/seed1_conv.txt");
const std::string kSeed2 = source_path("examples/seed2_conv.txt");
const std::string kSeed2Same = source_path("examples/seed2_conv_same.txt");

// Explain output wraps long lines; compare with all whitespace runs as one space.
std::string squeeze(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n';
    if (!(space && !out.empty() && out.back() == ' ')) out += space ? ' ' : c;
  }
  return out;
}

// A successful run: status 0, nothing on stderr.
void expect_ok(const CliResult& r) {
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.err, "");
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.back(), '\n');
}

TEST(CliSummary, MnistDefaultIsKeras26Verbatim) {
  CliResult r = run_cli({"summary", kMnist});
  expect_ok(r);
  EXPECT_EQ(r.out, kKeras2Mnist);
}

TEST(CliSummary, MnistMatchesGoldenFileWhenPresent) {
  // The summary engineer's golden file holds the same §4.2 text.
  const std::string golden = read_text(source_path("tests/golden/mnist_convnet.keras2.txt"));
  if (golden.empty()) GTEST_SKIP() << "tests/golden/mnist_convnet.keras2.txt not written";
  EXPECT_EQ(golden, kKeras2Mnist);
}

TEST(CliSummary, Keras3PipedIs76Columns) {
  // Not a terminal, no $COLUMNS: Python sees 80 columns, L = min(88, 80 - 4) = 76.
  CliResult r = run_cli({"summary", "--style", "keras3", kMnist});
  expect_ok(r);
  EXPECT_EQ(r.out, kKeras3Mnist76);
}

TEST(CliSummary, Keras3FollowsColumns) {
  // COLUMNS=120: L = min(88, 116) = 88.
  CliResult wide = run_cli({"summary", "--style", "keras3", kMnist}, "", "COLUMNS=120");
  expect_ok(wide);
  EXPECT_EQ(wide.out, kKeras3Mnist88);
  // COLUMNS=80 is the same as a pipe: 76.
  EXPECT_EQ(run_cli({"summary", "--style", "keras3", kMnist}, "", "COLUMNS=80").out,
            kKeras3Mnist76);
  // An explicit --line-length wins over $COLUMNS (which still crops: 200 does not).
  EXPECT_EQ(
      run_cli({"summary", "--style", "keras3", "--line-length", "88", kMnist}, "", "COLUMNS=200")
          .out,
      kKeras3Mnist88);
}

// Keras 3 prints through a rich Console whose width is the terminal's (80 when
// piped); a wider table is cropped to it, character by character.
std::string crop_lines(const std::string& text, std::size_t width) {
  std::string out, line;
  for (char c : text) {
    if (c == '\n') {
      std::size_t chars = 0, end = 0;
      while (end < line.size() && chars < width) {
        ++end;
        while (end < line.size() && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) ++end;
        ++chars;
      }
      out += line.substr(0, end) + "\n";
      line.clear();
    } else {
      line += c;
    }
  }
  return out;
}

TEST(CliSummary, Keras3WiderThanThePipeIsCropped) {
  // --line-length 88 but stdout is not a terminal: Python sees 80 columns.
  CliResult r = run_cli({"summary", "--style", "keras3", "--line-length", "88", kMnist});
  expect_ok(r);
  EXPECT_EQ(r.out, crop_lines(kKeras3Mnist88, 80));
}

TEST(CliSummary, Keras3NarrowTerminalShrinksTheTable) {
  // COLUMNS=64: L = 60; the top border is L characters wide.
  CliResult r = run_cli({"summary", "--style", "keras3", kMnist}, "", "COLUMNS=64");
  expect_ok(r);
  const std::string top = r.out.substr(r.out.find('\n') + 1);
  const std::string first = top.substr(0, top.find('\n'));
  std::size_t chars = 0;  // box-drawing characters are 3 bytes each in UTF-8
  for (unsigned char c : first) chars += (c & 0xC0) != 0x80;
  EXPECT_EQ(chars, 60u);
}

TEST(CliSummary, Keras212And215Styles) {
  CliResult r12 = run_cli({"summary", "--style", "keras2.12", kMnist});
  expect_ok(r12);
  EXPECT_EQ(r12.out, kKeras2_12Mnist);
  CliResult r15 = run_cli({"summary", "--style", "keras2.15", kMnist});
  expect_ok(r15);
  EXPECT_EQ(r15.out, kKeras2_15Mnist);
}

TEST(CliSummary, Seed1Rows) {
  // Conv2D(5, 3) on 32x32x3: 32 - 3 + 1 = 30; (3*3*3 + 1) * 5 = 140.
  // MaxPooling2D((2, 2)): floor((30 - 2) / 2) + 1 = 15; no weights.
  CliResult r = run_cli({"summary", kSeed1});
  expect_ok(r);
  EXPECT_NE(r.out.find("\nconv2d (Conv2D)              (None, 30, 30, 5)         140       \n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nmax_pooling2d (MaxPooling2D) (None, 15, 15, 5)         0         \n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nTotal params: 140\nTrainable params: 140\nNon-trainable params: 0\n"),
            std::string::npos);
}

TEST(CliSummary, Seed2ValidAndSame) {
  // 8x16 input, kernel 3, stride 2, batch 10. valid: floor((8-3)/2)+1 = 3,
  // floor((16-3)/2)+1 = 7. same: ceil(8/2) = 4, ceil(16/2) = 8. (3*3*3+1)*5 = 140.
  CliResult valid = run_cli({"summary", kSeed2});
  expect_ok(valid);
  EXPECT_NE(valid.out.find("conv2d (Conv2D)              (10, 3, 7, 5)             140"),
            std::string::npos)
      << valid.out;
  CliResult same = run_cli({"summary", kSeed2Same});
  expect_ok(same);
  EXPECT_NE(same.out.find("conv2d (Conv2D)              (10, 4, 8, 5)             140"),
            std::string::npos)
      << same.out;
}

TEST(CliSummary, JsonHasTheNumbers) {
  CliResult r = run_cli({"summary", "--json", kMnist});
  expect_ok(r);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["name"], "sequential");
  ASSERT_EQ(j["layers"].size(), 7u);
  const auto& conv = j["layers"][0];
  EXPECT_EQ(conv["name"], "conv2d");
  EXPECT_EQ(conv["class_name"], "Conv2D");
  // 28 - 3 + 1 = 26; (3*3*1 + 1) * 32 = 320.
  EXPECT_EQ(conv["output_shape"], nlohmann::json::parse("[null, 26, 26, 32]"));
  EXPECT_EQ(conv["params"], 320);
  EXPECT_EQ(conv["trainable_params"], 320);
  EXPECT_EQ(conv["non_trainable_params"], 0);
  // (3*3*32 + 1) * 64 = 18496.
  EXPECT_EQ(j["layers"][2]["name"], "conv2d_1");
  EXPECT_EQ(j["layers"][2]["params"], 18496);
  // 5*5*64 = 1600 flattened; (1600 + 1) * 10 = 16010.
  EXPECT_EQ(j["layers"][4]["output_shape"], nlohmann::json::parse("[null, 1600]"));
  EXPECT_EQ(j["layers"][6]["class_name"], "Dense");
  EXPECT_EQ(j["layers"][6]["params"], 16010);
  // 320 + 18496 + 16010 = 34826.
  EXPECT_EQ(j["total_params"], 34826);
  EXPECT_EQ(j["trainable_params"], 34826);
  EXPECT_EQ(j["non_trainable_params"], 0);
}

TEST(CliSummary, StdinDash) {
  CliResult r = run_cli({"summary", "-"}, read_text(kMnist));
  expect_ok(r);
  EXPECT_EQ(r.out, kKeras2Mnist);
}

TEST(CliSummary, HeadDoesNotCrash) {
  // A closed pipe ends the writer quietly; the first line is intact.
  TempDir tmp;
  const std::string out = (tmp.path() / "first").string();
  const std::string cmd = shell_quote(STRIDE_CLI_PATH) + " summary " + shell_quote(kMnist) +
                          " | head -1 > " + shell_quote(out);
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(read_text(out), "Model: \"sequential\"\n");
}

TEST(CliExplain, Seed2Valid) {
  CliResult r = run_cli({"explain", kSeed2});
  expect_ok(r);
  const std::string out = squeeze(r.out);
  // Height: floor((8 - 3) / 2) + 1 = floor(2.5) + 1 = 3; windows cover rows 0..6, row 7 unread.
  EXPECT_NE(out.find("floor((8 - 3) / 2) + 1 = floor(2.5) + 1 = 3"), std::string::npos) << out;
  EXPECT_NE(out.find("the last 1 row of 8 never reached"), std::string::npos) << out;
  // Width: floor((16 - 3) / 2) + 1 = floor(6.5) + 1 = 7; columns 0..14 covered, 1 unread.
  EXPECT_NE(out.find("floor((16 - 3) / 2) + 1 = floor(6.5) + 1 = 7"), std::string::npos);
  EXPECT_NE(out.find("the last 1 column of 16 never reached"), std::string::npos);
  EXPECT_NE(out.find("(10, 8, 16, 3) -> (10, 3, 7, 5)"), std::string::npos);
  EXPECT_NE(out.find("(3*3*3 + 1) * 5 = 140"), std::string::npos);
}

TEST(CliExplain, Seed2Same) {
  CliResult r = run_cli({"explain", kSeed2Same});
  expect_ok(r);
  const std::string out = squeeze(r.out);
  // Height: ceil(8 / 2) = 4; padding (4-1)*2 + 3 - 8 = 1 -> top 1 // 2 = 0, bottom 1 - 0 = 1.
  EXPECT_NE(out.find("ceil(8 / 2) = 4"), std::string::npos) << out;
  EXPECT_NE(out.find("max((4 - 1) * 2 + 3 - 8, 0) = 1"), std::string::npos);
  EXPECT_NE(out.find("top = 1 // 2 = 0, bottom = 1 - 0 = 1"), std::string::npos);
  // Width: ceil(16 / 2) = 8; padding (8-1)*2 + 3 - 16 = 1 -> left 0, right 1.
  EXPECT_NE(out.find("ceil(16 / 2) = 8"), std::string::npos);
  EXPECT_NE(out.find("max((8 - 1) * 2 + 3 - 16, 0) = 1"), std::string::npos);
  EXPECT_NE(out.find("left = 1 // 2 = 0, right = 1 - 0 = 1"), std::string::npos);
  EXPECT_NE(out.find("(10, 8, 16, 3) -> (10, 4, 8, 5)"), std::string::npos);
}

TEST(CliExplain, OneOffAnswersSeed1Question) {
  // I = 11, F = 2, S = 2: floor((11 - 2) / 2) + 1 = floor(4.5) + 1 = 5; windows
  // cover 0..9, so row/column 10 is never read.
  CliResult r = run_cli({"explain", "--input", "11,11,1", "MaxPooling2D(2, strides=2)"});
  expect_ok(r);
  const std::string out = squeeze(r.out);
  EXPECT_NE(out.find("(None, 11, 11, 1) -> (None, 5, 5, 1)"), std::string::npos) << out;
  EXPECT_NE(out.find("floor((11 - 2) / 2) + 1 = floor(4.5) + 1 = 5"), std::string::npos);
  EXPECT_NE(out.find("the last 1 row of 11 never reached"), std::string::npos);
  EXPECT_NE(out.find("the last 1 column of 11 never reached"), std::string::npos);
}

TEST(CliExplain, OneOffChainsLayers) {
  // 28x28x1 -> Conv2D(8, 3, same, stride 2): ceil(28/2) = 14 -> 14*14*8 = 1568
  // -> Dense(10): (1568 + 1) * 10 = 15690; conv (3*3*1 + 1) * 8 = 80.
  CliResult r =
      run_cli({"explain", "--input", "(28, 28, 1)",
               "layers.Conv2D(8, 3, strides=2, padding='same')", "Flatten()", "Dense(10)"});
  expect_ok(r);
  EXPECT_NE(r.out.find("-> (None, 14, 14, 8)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("-> (None, 1568)"), std::string::npos);
  EXPECT_NE(r.out.find("15690"), std::string::npos);
  // 80 + 15690 = 15770.
  EXPECT_NE(r.out.find("Total params: 15,770"), std::string::npos);
}

TEST(CliExplain, ModelFromStdin) {
  CliResult r = run_cli({"explain", "-"}, read_text(kSeed1));
  expect_ok(r);
  EXPECT_NE(r.out.find("(None, 32, 32, 3) -> (None, 30, 30, 5)"), std::string::npos) << r.out;
}

TEST(CliLayers, ListsBuiltinClassesOnce) {
  CliResult r = run_cli({"layers"});
  expect_ok(r);
  const std::string text = "\n" + r.out;
  for (const std::string& cls : LayerRegistry::builtin().class_names()) {
    const bool listed = text.find("\n" + cls + "\n") != std::string::npos ||
                        text.find("\n" + cls + " (alias") != std::string::npos;
    EXPECT_TRUE(listed) << cls;
  }
  EXPECT_EQ(r.out.find("InputLayer"), r.out.rfind("InputLayer"));
}

TEST(CliLayers, ShowsSignatureWithKerasDefaults) {
  CliResult r = run_cli({"layers", "MaxPooling2D"});
  expect_ok(r);
  // Keras: MaxPooling2D(pool_size=(2, 2), strides=None, padding='valid', data_format=None).
  EXPECT_EQ(r.out.rfind("MaxPooling2D(pool_size=(2, 2), strides=None, padding='valid'", 0), 0u)
      << r.out;
}

// An unoptimized build says so on the computing commands (one stderr line,
// output unchanged); an optimized one says nothing.
TEST(CliMisc, WarnsOnlyFromAnUnoptimizedBuild) {
  TempDir dir;
  const std::string x = (dir.path() / "x.npy").string();
  const std::vector<float> zeros(28 * 28);
  write_npy(x, Array::from_float({1, 28, 28, 1}, zeros.data()));
  const CliResult r = run_cli({"predict", source_path("examples/mnist_convnet.txt"), "--input", x},
                              "", "STRIDE_NO_BUILD_WARNING=");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
#ifdef __OPTIMIZE__
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(unoptimized_build_warning(), "");
#else
  EXPECT_EQ(r.err, "warning: " + unoptimized_build_warning() + "\n");
#endif
}

TEST(CliMisc, VersionAndHelp) {
  CliResult v = run_cli({"--version"});
  expect_ok(v);
  EXPECT_EQ(v.out.rfind("stride ", 0), 0u);
  // This test binary is compiled with the library's flags: it knows whether
  // the build is optimized.
#ifdef __OPTIMIZE__
  EXPECT_NE(v.out.find("(optimized, "), std::string::npos) << v.out;
#else
  EXPECT_NE(v.out.find("(NOT optimized"), std::string::npos) << v.out;
#endif
  EXPECT_NE(v.out.find("gemm kernel " + build_info().gemm_kernel), std::string::npos) << v.out;
  CliResult h = run_cli({"--help"});
  expect_ok(h);
  EXPECT_NE(h.out.find("summary"), std::string::npos);
  EXPECT_NE(h.out.find("stride explain --input 11,11,1"), std::string::npos);
  CliResult sh = run_cli({"summary", "--help"});
  expect_ok(sh);
  EXPECT_NE(sh.out.find("keras3"), std::string::npos);
}

}  // namespace
}  // namespace stride::test
