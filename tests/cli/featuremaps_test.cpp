// `stride featuremaps` end to end on a 1x1 convolution with hand-set weights
// (filter 0 copies the input, filter 1 negates it), the PNG decoded with
// libpng and every tile's levels worked out by hand; then --filters and the
// errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "cli/cli_runner.hpp"
#include "stride/npy.hpp"
#include "stride/plot.hpp"

namespace stride::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModel =
    "model = keras.Sequential([keras.Input(shape=(3, 4, 1)), layers.Conv2D(2, 1),\n"
    "                          layers.Conv2D(1, 2), layers.Flatten()])\n";

class Featuremaps : public testing::Test {
 protected:
  void SetUp() override {
    model_ = dir_.file("model.txt", kModel);
    weights_ = (dir_.path() / "w.npz").string();
    const float k0[] = {1, -1}, b0[] = {0, 0};
    // The 2x2 kernel of conv2d_1 on its first input channel: 0 1 / 2 3.
    const float k1[] = {0, 0, 1, 0, 2, 0, 3, 0}, b1[] = {0};
    write_npz(weights_,
              {{"conv2d/kernel", Array::from_float({1, 1, 1, 2}, k0)},
               {"conv2d/bias", Array::from_float({2}, b0)},
               {"conv2d_1/kernel", Array::from_float({2, 2, 2, 1}, k1)},
               {"conv2d_1/bias", Array::from_float({1}, b1)}},
              false);
    // Sample 1 holds 0..11 row by row; sample 0 is zeros.
    std::vector<float> x(24, 0);
    for (int i = 0; i < 12; ++i) x[12 + i] = static_cast<float>(i);
    input_ = (dir_.path() / "x.npy").string();
    write_npy(input_, Array::from_float({2, 3, 4, 1}, x.data()));
    out_ = (dir_.path() / "maps.png").string();
  }
  CliResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"featuremaps", model_, "--weights", weights_});
    return run_cli(args);
  }
  TempDir dir_;
  std::string model_, weights_, input_, out_;
};

TEST_F(Featuremaps, ConvOutputsOfOneSampleAsTiles) {
  const CliResult r = run({"--input", input_, "--layer", "conv2d", "--index", "1", "-o", out_});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, out_ + ": 2 feature maps 3x4 of layer 'conv2d' for sample 1, 131x50 pixels\n");
  // 3x4 maps enlarged 16 times (ceil(64 / 4)) to 48x64 tiles, two to a row:
  // 1 + 64 + 1 + 64 + 1 = 131 wide, 1 + 48 + 1 = 50 high.
  const Image image = read_png(out_, 1);
  ASSERT_EQ(image.width, 131);
  ASSERT_EQ(image.height, 50);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x) {
      const int k = y * 4 + x;
      // Tile 0 is the input 0..11: level round(255 k / 11). Tile 1 is -k on
      // -11..0: round(255 (11 - k) / 11).
      const int px = 1 + x * 16 + 8, py = 1 + y * 16 + 8;
      EXPECT_EQ(image.at(px, py), std::lround(255.0 * k / 11)) << k;
      EXPECT_EQ(image.at(66 + x * 16 + 8, py), std::lround(255.0 * (11 - k) / 11)) << k;
    }
  EXPECT_EQ(image.at(65, 10), 255);  // the line between the tiles
}

TEST_F(Featuremaps, GlobalScaleAndDefaultIndex) {
  // Sample 0 is zeros: both maps are flat, so black.
  ASSERT_EQ(run({"--input", input_, "--layer", "conv2d", "-o", out_}).status, 0);
  const Image image = read_png(out_, 1);
  EXPECT_EQ(image.at(10, 10), 0);
  EXPECT_EQ(image.at(80, 10), 0);
  // Sample 1 on one range -11..11: 0 -> 128 (127.5 rounded up), 11 -> 255, -11 -> 0.
  ASSERT_EQ(
      run({"--input", input_, "--layer", "conv2d", "--index", "1", "--global-scale", "-o", out_})
          .status,
      0);
  const Image global = read_png(out_, 1);
  EXPECT_EQ(global.at(1 + 8, 1 + 8), 128);
  EXPECT_EQ(global.at(1 + 3 * 16 + 8, 1 + 2 * 16 + 8), 255);
  EXPECT_EQ(global.at(66 + 3 * 16 + 8, 1 + 2 * 16 + 8), 0);
}

TEST_F(Featuremaps, FiltersOfTheFirstOrNamedConv2D) {
  // conv2d: two 1x1 filters, 1 and -1: each tile flat, black; 1x1 cells
  // enlarged 64 times.
  CliResult r = run({"--filters", "-o", out_});
  ASSERT_EQ(r.status, 0) << r.err;
  Image image = read_png(out_, 1);
  EXPECT_EQ(image.width, 1 + 64 + 1 + 64 + 1);
  EXPECT_EQ(image.at(30, 30), 0);
  // conv2d_1 has two input channels: one row each. Row 0 is 0 1 / 2 3
  // (levels 0, 85, 170, 255), row 1 is all zeros (black). Cells of 32 px.
  r = run({"--filters", "--layer", "conv2d_1", "-o", out_});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, out_ + ": 1 filter 2x2 of kernel (2, 2, 2, 1), 66x131 pixels\n");
  image = read_png(out_, 1);
  ASSERT_EQ(image.width, 66);
  ASSERT_EQ(image.height, 131);
  EXPECT_EQ(image.at(1 + 16, 1 + 16), 0);
  EXPECT_EQ(image.at(1 + 48, 1 + 16), 85);
  EXPECT_EQ(image.at(1 + 16, 1 + 48), 170);
  EXPECT_EQ(image.at(1 + 48, 1 + 48), 255);
  EXPECT_EQ(image.at(1 + 48, 66 + 48), 0);
}

TEST_F(Featuremaps, ErrorsAreOneLineAndLeaveNoFile) {
  const std::string bad_npy = dir_.file("bad.npy", "\x93NUMPY garbage");
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const Case cases[] = {
      {{"--input", input_, "--layer", "nope", "-o", out_},
       "error: " + model_ +
           ": no layer named 'nope' in model 'sequential' (layers: conv2d, conv2d_1, flatten)\n"},
      {{"--input", input_, "--layer", "flatten", "-o", out_},
       "error: " + model_ +
           ":2:55: Flatten layer 'flatten' outputs (None, 6): not 2-D feature maps"},
      {{"--input", input_, "--layer", "conv2d", "--index", "2", "-o", out_},
       "error: " + input_ + ": sample index 2 is out of range: the input has 2 samples\n"},
      {{"--input", bad_npy, "--layer", "conv2d", "-o", out_}, "error: " + bad_npy + ": "},
      {{"--layer", "conv2d", "-o", out_},
       "error: featuremaps: give --input X.npy and --layer NAME (or --filters)"},
      {{"--filters", "--input", input_, "-o", out_},
       "error: featuremaps: --filters draws kernels and takes no --input"},
      {{"--filters", "--layer", "flatten", "-o", out_},
       "error: " + model_ + ":2:55: Flatten layer 'flatten' is not a Conv2D layer"},
      {{"--input", input_, "--layer", "conv2d", "-o", (dir_.path() / "no/dir.png").string()},
       "error: " + (dir_.path() / "no/dir.png").string() + ": cannot write"},
  };
  for (const Case& c : cases) {
    const CliResult r = run(c.args);
    EXPECT_EQ(r.status, 2) << c.error;
    EXPECT_EQ(r.err.rfind(c.error, 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(out_)) << c.error;
  }
  // A batch of the wrong shape.
  const std::string wide = (dir_.path() / "wide.npy").string();
  const std::vector<float> zeros(20, 0);
  write_npy(wide, Array::from_float({1, 4, 5, 1}, zeros.data()));
  const CliResult r = run({"--input", wide, "--layer", "conv2d", "-o", out_});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: " + wide +
                       ": input of shape (1, 4, 5, 1) does not fit model 'sequential', which "
                       "expects (None, 3, 4, 1)\n");
  EXPECT_FALSE(fs::exists(out_));
  // -o is required.
  EXPECT_EQ(run({"--input", input_, "--layer", "conv2d"}).status, 2);
}

}  // namespace
}  // namespace stride::test
