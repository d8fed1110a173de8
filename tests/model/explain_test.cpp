// Sequential::explain(): input line, one block per layer (header + the
// layer's own lines indented by two), totals.
#include <string>
#include <vector>

#include "model/model_fixtures.hpp"

namespace stride {
namespace {

using test::make;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(text.substr(start, nl - start));
  return out;
}

TEST(Explain, SeedModelStructure) {
  const std::string text = test::seed_model().explain();
  const auto lines = lines_of(text);
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(lines.front(), "input: (None, 32, 32, 3)");
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], "conv2d (Conv2D): (None, 32, 32, 3) -> (None, 30, 30, 5)");
  EXPECT_NE(text.find("\n\nmax_pooling2d (MaxPooling2D): (None, 30, 30, 5) -> (None, 15, 15, 5)\n"),
            std::string::npos)
      << text;
  // The first seed's parameter arithmetic: (3*3*3 + 1) * 5 = 140.
  EXPECT_NE(text.find("\n  params: (3*3*3 + 1) * 5 = 140\n"), std::string::npos) << text;
  EXPECT_EQ(lines.back(), "Total params: 140 (140 trainable, 0 non-trainable)");
  EXPECT_EQ(text.back(), '\n');
}

TEST(Explain, LayerLinesAreIndentedAndBlocksSeparated) {
  Sequential m;
  m.input({16, 8, 1});
  m.add(make("Conv2D", {1, 3}, {{"strides", 2}}));
  m.add(make("Conv2D", {1, 3}, {{"strides", 2}, {"padding", "same"}}));
  const auto lines = lines_of(m.explain());
  // input, blank, header, body..., blank, header, body..., blank, totals.
  std::size_t headers = 0;
  for (std::size_t i = 1; i + 2 < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty()) {
      ++headers;
      EXPECT_EQ(lines[i + 1].find("conv2d"), 0u) << lines[i + 1];  // a header follows
      ++i;
      continue;
    }
    EXPECT_EQ(line.substr(0, 2), "  ") << line;
  }
  EXPECT_EQ(headers, 2u);
  // valid: floor((16 - 3) / 2) + 1 = 7, floor((8 - 3) / 2) + 1 = 3;
  // same: ceil(7 / 2) = 4, ceil(3 / 2) = 2.
  EXPECT_NE(m.explain().find("conv2d (Conv2D): (None, 16, 8, 1) -> (None, 7, 3, 1)\n"),
            std::string::npos);
  EXPECT_NE(m.explain().find("conv2d_1 (Conv2D): (None, 7, 3, 1) -> (None, 4, 2, 1)\n"),
            std::string::npos);
  // (3*3*1 + 1) * 1 = 10 twice.
  EXPECT_EQ(lines.back(), "Total params: 20 (20 trainable, 0 non-trainable)");
}

TEST(Explain, TotalsUseThousandsSeparatorsAndNonTrainable) {
  Sequential m;
  m.input({8, 8, 40});
  m.add(make("Conv2D", {1000, 3}));   // (3*3*40 + 1) * 1000 = 361,000
  m.add(make("BatchNormalization"));  // 2*1000 trainable, 2*1000 not
  const auto lines = lines_of(m.explain());
  EXPECT_EQ(lines.back(), "Total params: 365,000 (363,000 trainable, 2,000 non-trainable)");
}

TEST(Explain, LinesFitIn100Columns) {
  for (const auto& line : lines_of(test::mnist_convnet().explain()))
    EXPECT_LE(line.size(), 100u) << line;
}

TEST(Explain, ModelWithoutInputIsAnError) {
  Sequential m;
  m.add(make("Conv2D", {5, 3}));
  EXPECT_NE(test::error_of([&] { m.explain(); }).find("no input shape"), std::string::npos);
}

}  // namespace
}  // namespace stride
