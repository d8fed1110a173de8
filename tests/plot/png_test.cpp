// PNG through libpng: what stride encodes decodes to the same pixels, the
// bytes are a PNG by the format's own signature and header, and damaged
// files are errors naming the file.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_runner.hpp"
#include "stride/plot.hpp"

namespace stride::test {
namespace {

std::uint32_t big_endian(const std::string& bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

Image gradient(int w, int h, int channels) {
  Image image(w, h, channels);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c)
        image.at(x, y, c) = static_cast<std::uint8_t>(x * 40 + y * 7 + c * 50);
  return image;
}

TEST(Png, GrayAndRgbRoundTrip) {
  for (int channels : {1, 3}) {
    const Image image = gradient(5, 3, channels);
    const std::string bytes = encode_png(image);
    // The PNG signature, then IHDR: width, height, bit depth 8, colour
    // type 0 (gray) or 2 (RGB) (PNG specification, section 11.2.2).
    ASSERT_GT(bytes.size(), 33u);
    EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
    EXPECT_EQ(bytes.substr(12, 4), "IHDR");
    EXPECT_EQ(big_endian(bytes, 16), 5u);
    EXPECT_EQ(big_endian(bytes, 20), 3u);
    EXPECT_EQ(bytes[24], 8);
    EXPECT_EQ(bytes[25], channels == 1 ? 0 : 2);
    const Image back = decode_png(bytes, "x.png", channels);
    EXPECT_EQ(back.width, 5);
    EXPECT_EQ(back.height, 3);
    EXPECT_EQ(back.pixels, image.pixels);
  }
}

TEST(Png, GrayDecodedAsRgbRepeatsTheLevel) {
  Image image(2, 1, 1);
  image.at(0, 0) = 0;
  image.at(1, 0) = 200;
  const Image rgb = decode_png(encode_png(image), "x.png", 3);
  EXPECT_EQ(rgb.pixels, (std::vector<std::uint8_t>{0, 0, 0, 200, 200, 200}));
}

TEST(Png, DamagedBytesAreErrorsNamingTheSource) {
  const std::string good = encode_png(gradient(8, 8, 1));
  const auto error = [](const std::string& bytes) {
    try {
      (void)decode_png(bytes, "bad.png", 1);
    } catch (const Error& e) {
      return e.located();
    }
    return std::string();
  };
  EXPECT_EQ(error("").rfind("bad.png: not a readable PNG", 0), 0u) << error("");
  EXPECT_EQ(error("not a png at all").rfind("bad.png: not a readable PNG", 0), 0u);
  EXPECT_EQ(error(good.substr(0, 40)).rfind("bad.png: ", 0), 0u);
  EXPECT_NE(error(good.substr(0, good.size() - 20)), "");  // image data cut short
  // A byte of the image data changed: the chunk's CRC no longer matches.
  std::string corrupt = good;
  const std::size_t idat = good.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  corrupt[idat + 6] ^= 0x55;
  EXPECT_EQ(error(corrupt).rfind("bad.png: corrupt PNG: ", 0), 0u) << error(corrupt);
}

TEST(Png, WriteIsAtomicAndReadable) {
  TempDir dir;
  const std::string path = (dir.path() / "a.png").string();
  write_png(path, gradient(4, 4, 3));
  EXPECT_EQ(read_png(path, 3).pixels, gradient(4, 4, 3).pixels);
  // An empty image cannot be written and leaves the old file.
  EXPECT_THROW(write_png(path, Image(0, 0, 1)), Error);
  EXPECT_EQ(read_png(path, 3).pixels, gradient(4, 4, 3).pixels);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
  // A directory that does not exist.
  EXPECT_THROW(write_png((dir.path() / "no/such/dir/b.png").string(), gradient(2, 2, 1)), Error);
}

TEST(Png, ImageRejectsOtherChannelCounts) {
  EXPECT_THROW(Image(2, 2, 2), Error);
  EXPECT_THROW(Image(-1, 2, 1), Error);
}

}  // namespace
}  // namespace stride::test
