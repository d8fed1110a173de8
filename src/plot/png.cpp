// PNG through libpng's simplified API (png_image): it reports errors in the
// png_image struct instead of longjmp, and prints nothing to stderr.
#include <fmt/format.h>
#include <png.h>

#include <cstring>
#include <memory>

#include "io/binary_file.hpp"
#include "stride/plot.hpp"

namespace stride {

namespace {

// Pictures stride draws are far smaller; this keeps a corrupt header from
// asking for gigabytes.
constexpr std::uint64_t kMaxPngPixels = std::uint64_t{1} << 28;
constexpr std::uint64_t kMaxPngFileBytes = std::uint64_t{1} << 30;

// Frees libpng's state however the function is left.
struct PngImageGuard {
  png_image* image;
  ~PngImageGuard() { png_image_free(image); }
};

png_uint_32 png_format(int channels) {
  if (channels == 1) return PNG_FORMAT_GRAY;
  if (channels == 3) return PNG_FORMAT_RGB;
  throw Error(fmt::format("a PNG image has 1 or 3 channels here, not {}", channels));
}

}  // namespace

Image::Image(int width_, int height_, int channels_, std::uint8_t fill)
    : width(width_), height(height_), channels(channels_) {
  if (width < 0 || height < 0 || (channels != 1 && channels != 3))
    throw Error(fmt::format("invalid image size {}x{}x{}", width, height, channels));
  pixels.assign(static_cast<std::size_t>(width) * height * channels, fill);
}

std::string encode_png(const Image& image) {
  if (image.width <= 0 || image.height <= 0)
    throw Error(
        fmt::format("cannot encode an empty {}x{} image as PNG", image.width, image.height));
  if (image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * image.channels)
    throw Error("image pixels do not match its size");
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = png_format(image.channels);
  PngImageGuard guard{&png};
  png_alloc_size_t size = 0;
  if (!png_image_write_get_memory_size(png, size, 0, image.pixels.data(), 0, nullptr))
    throw Error(fmt::format("libpng cannot encode the image: {}", png.message));
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.pixels.data(), 0, nullptr))
    throw Error(fmt::format("libpng cannot encode the image: {}", png.message));
  bytes.resize(size);
  return bytes;
}

Image decode_png(std::string_view bytes, const std::string& name, int channels) {
  const SourceLoc where{name, 0, 0};
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  PngImageGuard guard{&png};
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()))
    throw Error(where, fmt::format("not a readable PNG: {}", png.message));
  const std::uint64_t pixel_count = std::uint64_t{png.width} * png.height;
  if (png.width == 0 || png.height == 0 || pixel_count > kMaxPngPixels)
    throw Error(where, fmt::format("a {}x{} PNG is more than stride reads", png.width, png.height));
  png.format = png_format(channels);
  Image image(static_cast<int>(png.width), static_cast<int>(png.height), channels);
  // The background for images with alpha: white, as a browser shows them.
  png_color white{255, 255, 255};
  if (!png_image_finish_read(&png, &white, image.pixels.data(), 0, nullptr))
    throw Error(where, fmt::format("corrupt PNG: {}", png.message));
  return image;
}

Image read_png(const std::string& path, int channels) {
  return decode_png(read_binary_file(path, kMaxPngFileBytes), path, channels);
}

void write_png(const std::string& path, const Image& image) {
  std::string bytes;
  try {
    bytes = encode_png(image);
  } catch (Error& e) {
    e.set_loc_if_unknown(SourceLoc{path});
    throw;
  }
  write_file_atomically(path, bytes);
}

}  // namespace stride
