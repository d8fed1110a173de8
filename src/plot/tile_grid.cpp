// featuremap_grid and filter_grid: stacks of small 2-D arrays laid out as
// tiles of one image, each enlarged by a whole factor, white lines between.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "stride/plot.hpp"

namespace stride {

namespace {

constexpr std::uint8_t kSeparator = 255;
// The largest grid drawn (256 Mpixels): beyond, the PNG is useless anyway.
constexpr double kMaxGridPixels = double(1 << 28);

// The value range a tile is scaled on; non-finite values are left out.
struct Range {
  float low = INFINITY, high = -INFINITY;
  void add(float v) {
    if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
  }
  // low -> 0, high -> 255; a flat (or empty) range and non-finite values -> 0.
  std::uint8_t level(float v) const {
    if (!(high > low) || !std::isfinite(v)) return 0;
    const double t = (static_cast<double>(v) - low) / (static_cast<double>(high) - low);
    return static_cast<std::uint8_t>(std::lround(std::clamp(t, 0.0, 1.0) * 255));
  }
};

// The image of `rows` x `cols` tiles of height x width cells, each cell
// `scale` pixels square, with 1-pixel separators around every tile.
class TileCanvas {
 public:
  TileCanvas(Dim rows, Dim cols, Dim height, Dim width, int channels, int min_tile_pixels)
      : height_(height), width_(width) {
    if (rows < 1 || cols < 1 || height < 1 || width < 1)
      throw Error(
          fmt::format("nothing to draw: {} x {} tiles of {}x{}", rows, cols, height, width));
    const Dim larger = std::max(height, width);
    scale_ = std::max<Dim>(1, (std::max(min_tile_pixels, 1) + larger - 1) / larger);
    const double image_w = double(cols) * double(width * scale_) + double(cols) + 1;
    const double image_h = double(rows) * double(height * scale_) + double(rows) + 1;
    if (image_w * image_h * channels > kMaxGridPixels)
      throw Error(fmt::format("the grid would be {:.0f}x{:.0f} pixels, more than stride draws",
                              image_w, image_h));
    image_ = Image(static_cast<int>(image_w), static_cast<int>(image_h), channels, kSeparator);
  }

  // Fills tile (row, col): cell (y, x) gets pixel(y, x, channel).
  template <class Pixel>
  void tile(Dim row, Dim col, Pixel pixel) {
    const Dim left = 1 + col * (width_ * scale_ + 1), top = 1 + row * (height_ * scale_ + 1);
    for (Dim y = 0; y < height_ * scale_; ++y)
      for (Dim x = 0; x < width_ * scale_; ++x)
        for (int c = 0; c < image_.channels; ++c)
          image_.at(static_cast<int>(left + x), static_cast<int>(top + y), c) =
              pixel(y / scale_, x / scale_, c);
  }

  Image take() { return std::move(image_); }

 private:
  Dim height_, width_, scale_ = 1;
  Image image_;
};

Dim grid_columns(Dim count) {
  Dim cols = static_cast<Dim>(std::ceil(std::sqrt(static_cast<double>(count))));
  while (cols * cols < count) ++cols;  // sqrt rounding on huge counts
  return std::max<Dim>(cols, 1);
}

}  // namespace

Image featuremap_grid(const Tensor& maps, const GridOptions& options) {
  if (maps.rank() != 3)
    throw Error(fmt::format("feature maps are (height, width, channels), not {}",
                            shape_to_python(maps.shape())));
  const Dim h = maps.dim(0), w = maps.dim(1), channels = maps.dim(2);
  const auto at = [&](Dim y, Dim x, Dim c) { return maps[(y * w + x) * channels + c]; };
  Range global;
  for (float v : maps) global.add(v);
  const Dim cols = grid_columns(channels);
  TileCanvas canvas((channels + cols - 1) / cols, cols, h, w, 1, options.min_tile_pixels);
  for (Dim c = 0; c < channels; ++c) {
    Range range = global;
    if (options.scale == TileScale::kPerTile) {
      range = Range();
      for (Dim y = 0; y < h; ++y)
        for (Dim x = 0; x < w; ++x) range.add(at(y, x, c));
    }
    canvas.tile(c / cols, c % cols, [&](Dim y, Dim x, int) { return range.level(at(y, x, c)); });
  }
  return canvas.take();
}

Image filter_grid(const Tensor& kernel, const GridOptions& options) {
  if (kernel.rank() != 4)
    throw Error(fmt::format("a Conv2D kernel is (kh, kw, in_channels, filters), not {}",
                            shape_to_python(kernel.shape())));
  const Dim kh = kernel.dim(0), kw = kernel.dim(1), in = kernel.dim(2), filters = kernel.dim(3);
  const auto at = [&](Dim y, Dim x, Dim i, Dim o) {
    return kernel[((y * kw + x) * in + i) * filters + o];
  };
  Range global;
  for (float v : kernel) global.add(v);
  // The range of filter o over the input channels [first, last).
  const auto range_of = [&](Dim o, Dim first, Dim last) {
    if (options.scale == TileScale::kGlobal) return global;
    Range range;
    for (Dim y = 0; y < kh; ++y)
      for (Dim x = 0; x < kw; ++x)
        for (Dim i = first; i < last; ++i) range.add(at(y, x, i, o));
    return range;
  };
  if (in == 1 || in == 3) {
    // One tile per filter: gray, or its three channels as red, green, blue.
    const int channels = static_cast<int>(in);
    const Dim cols = grid_columns(filters);
    TileCanvas canvas((filters + cols - 1) / cols, cols, kh, kw, channels, options.min_tile_pixels);
    for (Dim o = 0; o < filters; ++o) {
      const Range range = range_of(o, 0, in);
      canvas.tile(o / cols, o % cols,
                  [&](Dim y, Dim x, int c) { return range.level(at(y, x, c, o)); });
    }
    return canvas.take();
  }
  // Row i: every filter's weights on input channel i.
  TileCanvas canvas(in, filters, kh, kw, 1, options.min_tile_pixels);
  for (Dim i = 0; i < in; ++i)
    for (Dim o = 0; o < filters; ++o) {
      const Range range = range_of(o, i, i + 1);
      canvas.tile(i, o, [&](Dim y, Dim x, int) { return range.level(at(y, x, i, o)); });
    }
  return canvas.take();
}

}  // namespace stride
