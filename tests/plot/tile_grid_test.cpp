// featuremap_grid and filter_grid on small hand-made stacks, every pixel
// level worked out from the normalisation: level = round(255 * (v - min) /
// (max - min)), 0 for a flat tile, separators 255.
#include <gtest/gtest.h>

#include "stride/plot.hpp"
#include "test_util.hpp"

namespace stride::test {
namespace {

// The pixels of an image region, row by row.
std::vector<int> region(const Image& image, int x0, int y0, int w, int h, int channel = 0) {
  std::vector<int> out;
  for (int y = y0; y < y0 + h; ++y)
    for (int x = x0; x < x0 + w; ++x) out.push_back(image.at(x, y, channel));
  return out;
}

// (2, 2, 2): channel 0 is 0 1 / 2 3, channel 1 is 5 everywhere.
Tensor two_maps() {
  return Tensor({2, 2, 2}, {0, 5, 1, 5, 2, 5, 3, 5});
}

TEST(FeaturemapGrid, EachTileOnItsOwnRangeEnlargedTwice) {
  // Tiles of 2x2 cells enlarged to 4 pixels (ceil(4 / 2) = 2), two to a row
  // (ceil(sqrt(2)) = 2): 1 + 4 + 1 + 4 + 1 = 11 wide, 1 + 4 + 1 = 6 high.
  const Image image = featuremap_grid(two_maps(), {TileScale::kPerTile, 4});
  ASSERT_EQ(image.width, 11);
  ASSERT_EQ(image.height, 6);
  EXPECT_EQ(image.channels, 1);
  // Channel 0: 0, 1, 2, 3 on 0..3 -> 0, 85, 170, 255, each cell 2x2 pixels.
  EXPECT_EQ(region(image, 1, 1, 4, 4), (std::vector<int>{0, 0, 85, 85,        //
                                                         0, 0, 85, 85,        //
                                                         170, 170, 255, 255,  //
                                                         170, 170, 255, 255}));
  // Channel 1 is flat: black.
  EXPECT_EQ(region(image, 6, 1, 4, 4), std::vector<int>(16, 0));
  // White lines around and between the tiles.
  for (int x : {0, 5, 10}) EXPECT_EQ(region(image, x, 0, 1, 6), std::vector<int>(6, 255)) << x;
  for (int y : {0, 5}) EXPECT_EQ(region(image, 0, y, 11, 1), std::vector<int>(11, 255)) << y;
}

TEST(FeaturemapGrid, GlobalScaleSharesOneRange) {
  // All values lie in 0..5: 0, 1, 2, 3 -> 0, 51, 102, 153 and 5 -> 255.
  const Image image = featuremap_grid(two_maps(), {TileScale::kGlobal, 2});
  ASSERT_EQ(image.width, 7);  // cells of one pixel: 1 + 2 + 1 + 2 + 1
  ASSERT_EQ(image.height, 4);
  EXPECT_EQ(region(image, 1, 1, 2, 2), (std::vector<int>{0, 51, 102, 153}));
  EXPECT_EQ(region(image, 4, 1, 2, 2), (std::vector<int>{255, 255, 255, 255}));
}

TEST(FeaturemapGrid, GridShapeAndDefaultTileSize) {
  // 5 channels: 3 to a row, 2 rows, the last cell left white. 26x26 maps
  // are enlarged 3 times (ceil(64 / 26)) to 78 pixels.
  const Image image = featuremap_grid(Tensor({26, 26, 5}));
  EXPECT_EQ(image.width, 3 * 78 + 4);
  EXPECT_EQ(image.height, 2 * 78 + 3);
  EXPECT_EQ(region(image, 1 + 2 * 79, 1 + 79, 78, 78), std::vector<int>(78 * 78, 255));
  EXPECT_EQ(region(image, 1, 1, 78, 78), std::vector<int>(78 * 78, 0));  // zeros: flat
  // Maps already larger than 64 pixels stay as they are.
  EXPECT_EQ(featuremap_grid(Tensor({100, 70, 1})).width, 72);
}

TEST(FeaturemapGrid, NonFiniteValuesAreBlackAndLeftOutOfTheRange) {
  const Image image = featuremap_grid(Tensor({1, 3, 1}, {0, NAN, 2}), {TileScale::kPerTile, 1});
  EXPECT_EQ(region(image, 1, 1, 3, 1), (std::vector<int>{0, 0, 255}));
}

TEST(FeaturemapGrid, RefusesWhatIsNotAStackOfMaps) {
  EXPECT_NE(error_of([] {
              (void)featuremap_grid(Tensor({4, 4}));
            }).find("(height, width, channels)"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              (void)featuremap_grid(Tensor({0, 4, 1}));
            }).find("nothing to draw"),
            std::string::npos);
  // A grid too large to be of use is refused before anything is allocated.
  EXPECT_NE(error_of([] {
              (void)featuremap_grid(Tensor({1, 1, 1}), {TileScale::kPerTile, 1 << 20});
            }).find("more than stride draws"),
            std::string::npos);
}

TEST(FilterGrid, ThreeInputChannelsAreColourTiles) {
  // (1, 1, 3, 2): filter 0 is (r, g, b) = (0, 1, 2), filter 1 is (4, 4, 4).
  // Layout ((y * kw + x) * in + i) * filters + o.
  const Tensor kernel({1, 1, 3, 2}, {0, 4, 1, 4, 2, 4});
  const Image image = filter_grid(kernel, {TileScale::kPerTile, 1});
  ASSERT_EQ(image.channels, 3);
  ASSERT_EQ(image.width, 5);
  ASSERT_EQ(image.height, 3);
  // 0, 1, 2 on 0..2: 0, 127.5 (rounded away from zero: 128), 255.
  EXPECT_EQ(image.at(1, 1, 0), 0);
  EXPECT_EQ(image.at(1, 1, 1), 128);
  EXPECT_EQ(image.at(1, 1, 2), 255);
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(image.at(3, 1, c), 0);    // flat filter
    EXPECT_EQ(image.at(2, 1, c), 255);  // separator
  }
}

TEST(FilterGrid, OneInputChannelIsGrayTiles) {
  const Tensor kernel({2, 2, 1, 1}, {0, 1, 2, 3});
  const Image image = filter_grid(kernel, {TileScale::kPerTile, 2});
  ASSERT_EQ(image.channels, 1);
  ASSERT_EQ(image.width, 4);
  EXPECT_EQ(region(image, 1, 1, 2, 2), (std::vector<int>{0, 85, 170, 255}));
}

TEST(FilterGrid, OtherChannelCountsGiveARowPerInputChannel) {
  // (1, 2, 2, 1): input channel 0 is [1, 3], channel 1 is [-1, -1].
  const Tensor kernel({1, 2, 2, 1}, {1, -1, 3, -1});
  const Image image = filter_grid(kernel, {TileScale::kPerTile, 1});
  ASSERT_EQ(image.width, 4);   // one column: 1 + 2 + 1
  ASSERT_EQ(image.height, 5);  // two rows: 1 + 1 + 1 + 1 + 1
  EXPECT_EQ(region(image, 1, 1, 2, 1), (std::vector<int>{0, 255}));
  EXPECT_EQ(region(image, 1, 3, 2, 1), (std::vector<int>{0, 0}));
  EXPECT_EQ(region(image, 0, 2, 4, 1), std::vector<int>(4, 255));
  // Global: -1..3 -> 1 is 127.5 -> 128, 3 is 255, -1 is 0.
  const Image global = filter_grid(kernel, {TileScale::kGlobal, 1});
  EXPECT_EQ(region(global, 1, 1, 2, 1), (std::vector<int>{128, 255}));
  EXPECT_EQ(region(global, 1, 3, 2, 1), (std::vector<int>{0, 0}));
}

TEST(FilterGrid, RefusesOtherRanks) {
  EXPECT_NE(error_of([] {
              (void)filter_grid(Tensor({3, 3, 1}));
            }).find("(kh, kw, in_channels, filters)"),
            std::string::npos);
}

}  // namespace
}  // namespace stride::test
