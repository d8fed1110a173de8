// Pictures of models and training: SVG drawings of a model's layers (as
// Keras's plot_model shows them) and of its feature-map volumes, SVG curves
// of a training history, and PNG grids of feature maps and convolution
// kernels. Every function that reads or writes a file throws a stride::Error
// located at the file; writes are atomic (temporary file + rename).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stride/model.hpp"
#include "stride/tensor.hpp"

namespace stride {

// ---- Model pictures (SVG) ---------------------------------------------------

// Keras's plot_model(show_shapes=True, show_layer_names=True,
// show_layer_activations=True) plus parameter counts: one box per layer,
// top to bottom, the input first: "name (Class)", input and output shapes,
// the activation and the parameter count; arrows between the boxes.
std::string plot_model_svg(const Sequential& model);

// The classic CNN-architecture picture, left to right: every feature map
// drawn as a box in perspective, height proportional to its rows, depth to
// its columns and thickness to its channels (linearly, by square root or by
// logarithm: the legend says which), one scale for the whole picture; 1-D
// outputs (Flatten, Dense) as bars whose height grows with the square root
// of their length. Each is labelled with its shape and layer; a dropout,
// noise, normalization or activation layer that keeps its input's shape is
// named under the volume before it instead of being drawn again.
std::string plot_volumes_svg(const Sequential& model);

// ---- Training history -------------------------------------------------------

// A Keras CSVLogger file as `stride train --history` writes it: a header
// "epoch,<keys>" (keys sorted, validation keys prefixed "val_") and one row
// per epoch, epochs counted from 0.
struct HistoryTable {
  std::vector<std::string> keys;            // the columns after "epoch"
  std::vector<Dim> epochs;                  // the epoch column, one per row
  std::vector<std::vector<double>> values;  // values[row][key]; NaN where a cell is empty
};
// `file` names the source in errors ("FILE:LINE: ..."). Empty cells,
// "nan" and "inf" are accepted (no point is drawn for them).
HistoryTable parse_history_csv(std::string_view text, const std::string& file);
HistoryTable read_history_csv(const std::string& path);

// One panel per metric (loss first, then the others in key order): the
// training values as a solid line, the validation values ("val_" keys) as a
// dashed line, against the epoch numbered from 1 as Keras prints epochs.
std::string plot_history_svg(const HistoryTable& history);

// Writes an SVG document atomically.
void write_svg(const std::string& path, const std::string& svg);

// ---- Raster images (PNG) ----------------------------------------------------

// 8-bit pixels, rows top to bottom; channels 1 (gray) or 3 (RGB), interleaved.
struct Image {
  int width = 0, height = 0, channels = 1;
  std::vector<std::uint8_t> pixels;  // height * width * channels
  Image() = default;
  Image(int width, int height, int channels, std::uint8_t fill = 0);
  std::uint8_t& at(int x, int y, int channel = 0) {
    return pixels[(static_cast<std::size_t>(y) * width + x) * channels + channel];
  }
  std::uint8_t at(int x, int y, int channel = 0) const {
    return pixels[(static_cast<std::size_t>(y) * width + x) * channels + channel];
  }
};

// PNG through libpng: encode to bytes, decode (any PNG, converted to 8-bit
// gray or RGB as `channels` asks), and whole-file read and atomic write.
std::string encode_png(const Image& image);
Image decode_png(std::string_view bytes, const std::string& name, int channels);
Image read_png(const std::string& path, int channels);
void write_png(const std::string& path, const Image& image);

// ---- Feature maps and kernels -----------------------------------------------

// How tiles map values to gray levels: each tile from its own minimum
// (black) to its own maximum (white), or every tile on the range of all of
// them. A tile whose values are all equal is black.
enum class TileScale { kPerTile, kGlobal };

struct GridOptions {
  TileScale scale = TileScale::kPerTile;
  // Small maps are enlarged by a whole factor (nearest neighbour) until
  // their larger side is at least this many pixels.
  int min_tile_pixels = 64;
};

// The grid of a stack of maps shaped (height, width, channels): one tile per
// channel, row by row, ceil(sqrt(channels)) tiles to a row, 1-pixel white
// lines between tiles and around them. A gray image.
Image featuremap_grid(const Tensor& maps, const GridOptions& options = {});

// The grid of a Conv2D kernel in Keras's layout (kh, kw, in_channels,
// filters): one tile per filter. One input channel gives gray tiles and
// three give RGB tiles (the filter's three channels scaled together); any
// other count gives one row per input channel, one column per filter.
Image filter_grid(const Tensor& kernel, const GridOptions& options = {});

// The activations of layer `layer_name` for sample `index` of `batch` as
// (height, width, channels), channels last whatever the layer's
// data_format. Errors: an unknown name (the message lists the layers), a
// layer whose output is not a 2-D map, an index out of range, a batch that
// does not fit the model.
Tensor feature_maps(Sequential& model, const Tensor& batch, Dim index, std::string_view layer_name);

// The kernel of the Conv2D layer named `layer_name`, or of the first Conv2D
// layer when it is empty; an Error when there is no such layer.
const Tensor& conv2d_kernel(const Sequential& model, std::string_view layer_name = {});

}  // namespace stride
