// model.summary() in Keras's formats (reference §4) and as JSON. Golden files
// under tests/golden/ are the reference's verbatim outputs, or tables worked
// out by hand with the reference's row algorithms.
#include <string>
#include <vector>

#include "model/model_fixtures.hpp"
#include "model/summary_text.hpp"

namespace stride {
namespace {

using test::golden;
using test::make;

SummaryOptions style(SummaryStyle s, int line_length = 0, int terminal_columns = 80) {
  SummaryOptions o;
  o.style = s;
  o.line_length = line_length;
  o.terminal_columns = terminal_columns;
  return o;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(text.substr(start, nl - start));
  return out;
}

std::size_t code_points(const std::string& s) {
  return summary_text::decode(s).size();
}

// ---- Golden files: the reference's verbatim outputs of the MNIST convnet ----

TEST(SummaryGolden, Keras2MnistIsTheReferenceOutput) {
  EXPECT_EQ(test::mnist_convnet().summary(), golden("mnist_convnet.keras2.txt"));
}

TEST(SummaryGolden, Keras3MnistAt76ColumnsWhenNotATerminal) {
  // L = min(88, 80 - 4) = 76.
  EXPECT_EQ(test::mnist_convnet().summary(style(SummaryStyle::kKeras3)),
            golden("mnist_convnet.keras3.txt"));
}

TEST(SummaryGolden, Keras3MnistAt88ColumnsOnAWideTerminal) {
  Sequential m = test::mnist_convnet();
  // L = min(88, 120 - 4) = 88; or given explicitly.
  EXPECT_EQ(m.summary(style(SummaryStyle::kKeras3, 0, 120)), golden("mnist_convnet.keras3_88.txt"));
  EXPECT_EQ(m.summary(style(SummaryStyle::kKeras3, 88, 92)), golden("mnist_convnet.keras3_88.txt"));
}

TEST(SummaryGolden, Keras2_12And2_15MnistAreTheReferenceOutputs) {
  Sequential m = test::mnist_convnet();
  EXPECT_EQ(m.summary(style(SummaryStyle::kKeras2_12)), golden("mnist_convnet.keras2_12.txt"));
  EXPECT_EQ(m.summary(style(SummaryStyle::kKeras2_15)), golden("mnist_convnet.keras2_15.txt"));
}

TEST(SummaryGolden, SeedModelClassicTable) {
  const std::string text = test::seed_model().summary();
  EXPECT_EQ(text, golden("seed1.keras2.txt"));
  // The rows the first seed shows: 15 + 14 spaces = 29, 17 + 9 spaces = 55.
  EXPECT_NE(text.find("conv2d (Conv2D)              (None, 30, 30, 5)         140       \n"),
            std::string::npos);
  EXPECT_NE(text.find("max_pooling2d (MaxPooling2D) (None, 15, 15, 5)         0         \n"),
            std::string::npos);
}

TEST(SummaryGolden, SeedModelFromKerasCalls) {
  // The first seed's lines as written in Python.
  Sequential m;
  m.add("Conv2D(5, kernel_size=3, activation='relu', input_shape=(32, 32, 3))");
  m.add("MaxPooling2D(pool_size=(2, 2))");
  EXPECT_EQ(m.summary(), golden("seed1.keras2.txt"));
}

// ---- Keras 2 (K2-A) rows ------------------------------------------------------

// Conv2D(5, 3) on 32x32x3: (3*3*3 + 1) * 5 = 140 params, out (None, 30, 30, 5).
Sequential one_conv(const std::string& name) {
  Sequential m;
  m.input({32, 32, 3});
  m.add(make("Conv2D", {5, 3}, {{"name", name}}));
  return m;
}

TEST(SummaryKeras2, ThirtyCharacterNameIsCutTo28AndABlank) {
  // "abcdefghijklmnopqrstuvwxyz1234 (Conv2D)": cut at 29, then the last of
  // the 29 characters ('3') becomes the blank before Output Shape.
  const auto lines = lines_of(one_conv("abcdefghijklmnopqrstuvwxyz1234").summary());
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(lines[4], "abcdefghijklmnopqrstuvwxyz12 (None, 30, 30, 5)         140       ");
}

TEST(SummaryKeras2, EveryTableLineIs65CharactersWithTrailingSpaces) {
  const auto lines = lines_of(one_conv("conv").summary());
  // Model line, _, header, =, row, =, 3 footer lines, _.
  ASSERT_EQ(lines.size(), 10u);
  for (std::size_t i : {1, 2, 3, 4, 5, 9}) EXPECT_EQ(lines[i].size(), 65u) << lines[i];
  EXPECT_EQ(lines[2], "Layer (type)                 Output Shape              Param #   ");
  EXPECT_EQ(lines[5], std::string(65, '='));  // '=' after the last row, not '_'
}

TEST(SummaryKeras2, LineLengthMovesTheColumns) {
  // L = 50: ends int(0.45*50) = 22, int(0.85*50) = 42, 50.
  const auto lines = lines_of(one_conv("conv2d").summary(style(SummaryStyle::kKeras2, 50)));
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(lines[1], std::string(50, '_'));
  EXPECT_EQ(lines[2], "Layer (type)          Output Shape        Param # ");
  EXPECT_EQ(lines[4], "conv2d (Conv2D)       (None, 30, 30, 5)   140     ");
}

TEST(SummaryKeras2, FooterUsesThousandsSeparators) {
  // Conv2D(1000, 3) on 8x8x40: (3*3*40 + 1) * 1000 = 361,000.
  Sequential m;
  m.input({8, 8, 40});
  m.add(make("Conv2D", {1000, 3}));
  const std::string text = m.summary();
  EXPECT_NE(text.find("(None, 6, 6, 1000)        361000    \n"), std::string::npos) << text;
  EXPECT_NE(text.find("Total params: 361,000\nTrainable params: 361,000\n"
                      "Non-trainable params: 0\n"),
            std::string::npos)
      << text;
}

// Conv2D(4, 3) on 8x8x2: (3*3*2 + 1) * 4 = 76 trainable; BatchNormalization
// on 4 channels: gamma 4 + beta 4 trainable, moving mean 4 + variance 4 not.
// Totals: 92 = 84 trainable + 8 non-trainable.
Sequential with_batch_norm() {
  Sequential m;
  m.input({8, 8, 2});
  m.add(make("Conv2D", {4, 3}));
  m.add(make("BatchNormalization"));
  return m;
}

TEST(SummaryKeras2, NonTrainableParamsInTheFooter) {
  const std::string text = with_batch_norm().summary();
  EXPECT_NE(text.find("batch_normalization (BatchNo (None, 6, 6, 4)           16        \n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Total params: 92\nTrainable params: 84\nNon-trainable params: 8\n"),
            std::string::npos)
      << text;
}

TEST(SummaryKeras2, FrozenLayerCountsAsNonTrainable) {
  // trainable=False: the layer's 140 weights are all non-trainable.
  Sequential m;
  m.input({32, 32, 3});
  m.add(make("Conv2D", {5, 3}, {{"trainable", false}}));
  const std::string text = m.summary();
  EXPECT_NE(text.find("Total params: 140\nTrainable params: 0\nNon-trainable params: 140\n"),
            std::string::npos)
      << text;
}

TEST(SummaryKeras2_15, FooterHasPlainCountsAndByteSizes) {
  // 92 * 4 = 368 bytes, 84 * 4 = 336, 8 * 4 = 32.
  const std::string text = with_batch_norm().summary(style(SummaryStyle::kKeras2_15));
  EXPECT_NE(text.find("Total params: 92 (368.00 Byte)\nTrainable params: 84 (336.00 Byte)\n"
                      "Non-trainable params: 8 (32.00 Byte)\n"),
            std::string::npos)
      << text;
}

TEST(SummaryKeras2_12, LongNameWrapsAfter27Characters) {
  // Column 0 holds 29 - 2 = 27 characters a line, after a leading space.
  const auto lines =
      lines_of(one_conv("abcdefghijklmnopqrstuvwxyz1234").summary(style(SummaryStyle::kKeras2_12)));
  ASSERT_GE(lines.size(), 7u);
  // 1 + 27 + 2 = 30 > 29: no padding, the shape starts one column late.
  EXPECT_EQ(lines[4], " abcdefghijklmnopqrstuvwxyz1  (None, 30, 30, 5)        140       ");
  EXPECT_EQ(lines[5], " 234 (Conv2D)" + std::string(52, ' '));
  EXPECT_EQ(lines[6], std::string(65, ' '));
}

TEST(SummaryKeras2_12, TooSmallLineLengthIsAnError) {
  // L = 4: ends 1, 3, 4; column 0 would hold 1 - 2 < 1 characters.
  EXPECT_NE(test::error_of([] {
              one_conv("c").summary(style(SummaryStyle::kKeras2_12, 4));
            }).find("line_length 4 is too small"),
            std::string::npos);
}

// ---- Keras 3 ---------------------------------------------------------------

TEST(SummaryKeras3, SeedModelTable) {
  // L = 76: bars 33 / 24 / 15 apart; 140 params * 4 bytes = 560 B.
  const std::string expected =
      "Model: \"sequential\"\n"
      "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓\n"
      "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃\n"
      "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩\n"
      "│ conv2d (Conv2D)                 │ (None, 30, 30, 5)      │           140 │\n"
      "├─────────────────────────────────┼────────────────────────┼───────────────┤\n"
      "│ max_pooling2d (MaxPooling2D)    │ (None, 15, 15, 5)      │             0 │\n"
      "└─────────────────────────────────┴────────────────────────┴───────────────┘\n"
      " Total params: 140 (560.00 B)\n"
      " Trainable params: 140 (560.00 B)\n"
      " Non-trainable params: 0 (0.00 B)\n";
  EXPECT_EQ(test::seed_model().summary(style(SummaryStyle::kKeras3)), expected);
}

TEST(SummaryKeras3, FooterSizes) {
  using summary_text::readable_size;
  EXPECT_EQ(readable_size(0 * 4.0, "B"), "0.00 B");
  EXPECT_EQ(readable_size(140 * 4.0, "B"), "560.00 B");     // 560 < 1024
  EXPECT_EQ(readable_size(34826 * 4.0, "B"), "136.04 KB");  // 139304 / 1024 = 136.039...
  EXPECT_EQ(readable_size(1023.0, "B"), "1023.00 B");       // still below 1024
  EXPECT_EQ(readable_size(1024.0, "B"), "1.00 KB");         // 1024 / 1024 = 1, not < 1
  EXPECT_EQ(readable_size(3.0 * 1024 * 1024, "Byte"), "3.00 MB");
  EXPECT_EQ(readable_size(2048.0 * 1024 * 1024 * 1024 * 1024 * 1024, "B"), "2.00 PB");  // past PB
  EXPECT_EQ(summary_text::thousands(34826), "34,826");
  EXPECT_EQ(summary_text::thousands(999), "999");
  EXPECT_EQ(summary_text::thousands(1000000), "1,000,000");
}

TEST(SummaryKeras3, NonTrainableFooter) {
  const std::string text = with_batch_norm().summary(style(SummaryStyle::kKeras3));
  EXPECT_NE(text.find(" Total params: 92 (368.00 B)\n Trainable params: 84 (336.00 B)\n"
                      " Non-trainable params: 8 (32.00 B)\n"),
            std::string::npos)
      << text;
}

TEST(SummaryKeras3, LongNameWrapsOnTheSpace) {
  // Column 0 holds 33 - 2 = 31 characters: "first_convolution_of_the_model "
  // (30 + the space) fills it, "(Conv2D)" goes to the next line.
  const auto lines =
      lines_of(one_conv("first_convolution_of_the_model").summary(style(SummaryStyle::kKeras3)));
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(lines[4],
            "│ first_convolution_of_the_model  │ (None, 30, 30, 5)      │           140 │");
  EXPECT_EQ(lines[5],
            "│ (Conv2D)                        │                        │               │");
  EXPECT_EQ(lines[6],
            "└─────────────────────────────────┴────────────────────────┴───────────────┘");
}

TEST(SummaryKeras3, OverLongWordEndsInEllipsis) {
  // A 41-character word cannot wrap: it keeps a line of its own, cut to
  // 30 characters and "…".
  const auto lines = lines_of(
      one_conv("a_single_word_name_longer_than_thirty_one").summary(style(SummaryStyle::kKeras3)));
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(lines[4],
            "│ a_single_word_name_longer_than… │ (None, 30, 30, 5)      │           140 │");
  EXPECT_EQ(lines[5],
            "│ (Conv2D)                        │                        │               │");
}

TEST(SummaryKeras3, NarrowestTable) {
  // Terminal 20 -> L = 16: Keras widths int(7.2)=7, int(12.8)-7=5, 16-12=4;
  // rich asks 9+7+6 = 22 for 16-4 = 12 inside the borders: takes off
  // round(10/3)=3, round(7/2)=4 (half to even), 3 -> 6, 3, 3 (content 4, 1, 1).
  const std::string text = one_conv("c").summary(style(SummaryStyle::kKeras3, 0, 20));
  const std::string expected =
      "Model: \"sequential\"\n"
      "┏━━━━━━┳━━━┳━━━┓\n"
      "┃ Lay… ┃ … ┃ … ┃\n"  // "Layer " -> "Layer" -> "Lay…"; "Output" -> "…"; "Param" -> "…"
      "┃ (ty… ┃ … ┃ # ┃\n"
      "┡━━━━━━╇━━━╇━━━┩\n"
      "│ c    │ … │ … │\n"  // "c (Conv2D)": "c " fits, "(Conv2D)" wraps and is cut
      "│ (Co… │ … │   │\n"  // "(None, ", "30, ", "30, ", "5)": 4 lines of "…"
      "│      │ … │   │\n"
      "│      │ … │   │\n"
      "└──────┴───┴───┘\n"
      " Total params: 140 (560.00 B)\n"
      " Trainable params: 140 (560.00 B)\n"
      " Non-trainable params: 0 (0.00 B)\n";
  EXPECT_EQ(text, expected);
}

TEST(SummaryKeras3, InsufficientWidthIsKerasError) {
  // L = 15: int(6.75)=6, int(12.0)-6=6, 15-12=3 < 4.
  EXPECT_EQ(test::error_of([] { one_conv("c").summary(style(SummaryStyle::kKeras3, 15)); }),
            "Insufficient console width to print summary.");
  // Terminal 19 -> L = 15 the same way.
  EXPECT_EQ(test::error_of([] { one_conv("c").summary(style(SummaryStyle::kKeras3, 0, 19)); }),
            "Insufficient console width to print summary.");
  EXPECT_NE(test::error_of([] { one_conv("c").summary(style(SummaryStyle::kKeras3, -3)); }), "");
}

TEST(SummaryKeras3, LinesWiderThanTheConsoleAreCropped) {
  // rich crops every printed line at the console width (derived from rich's
  // Console.print): line_length 100 on an 80-column console.
  const auto lines = lines_of(one_conv("c").summary(style(SummaryStyle::kKeras3, 100, 80)));
  for (const auto& line : lines) EXPECT_LE(code_points(line), 80u) << line;
  EXPECT_EQ(code_points(lines[1]), 80u);
}

TEST(SummaryKeras3, EveryTableLineIsExactlyL) {
  for (int length : {40, 61, 76, 88, 97, 120}) {
    const auto lines =
        lines_of(one_conv("conv2d").summary(style(SummaryStyle::kKeras3, length, 200)));
    for (std::size_t i = 1; i + 3 < lines.size(); ++i)
      EXPECT_EQ(code_points(lines[i]), static_cast<std::size_t>(length)) << lines[i];
  }
}

// ---- JSON ------------------------------------------------------------------

TEST(SummaryJson, SeedModel) {
  const Json expected = Json::parse(R"({
    "name": "sequential",
    "layers": [
      {"name": "conv2d", "class_name": "Conv2D", "output_shape": [null, 30, 30, 5],
       "params": 140, "trainable_params": 140, "non_trainable_params": 0},
      {"name": "max_pooling2d", "class_name": "MaxPooling2D", "output_shape": [null, 15, 15, 5],
       "params": 0, "trainable_params": 0, "non_trainable_params": 0}
    ],
    "total_params": 140, "trainable_params": 140, "non_trainable_params": 0
  })");
  const Json actual = test::seed_model().summary_json();
  EXPECT_EQ(actual, expected) << actual.dump(2);
  EXPECT_EQ(actual.dump().substr(0, 30), R"({"name":"sequential","layers":)");  // key order
}

TEST(SummaryJson, NonTrainableCounts) {
  const Json j = with_batch_norm().summary_json();
  EXPECT_EQ(j["layers"][1]["trainable_params"], 8);      // gamma 4 + beta 4
  EXPECT_EQ(j["layers"][1]["non_trainable_params"], 8);  // moving mean 4 + variance 4
  EXPECT_EQ(j["total_params"], 92);
  EXPECT_EQ(j["non_trainable_params"], 8);
}

TEST(Summary, ModelWithoutInputIsAnError) {
  Sequential m;
  m.add(make("Conv2D", {5, 3}));
  EXPECT_NE(test::error_of([&] { m.summary(); }).find("no input shape"), std::string::npos);
  EXPECT_NE(test::error_of([&] { m.summary_json(); }).find("no input shape"), std::string::npos);
}

}  // namespace
}  // namespace stride
