// Data sets for training: Fashion-MNIST's IDX files and .npy pairs turned
// into float32 Tensors, and Keras's validation_split.
#include "stride/dataset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>

#include "stride/error.hpp"

namespace stride {

namespace {

constexpr std::int64_t kMaxExactLabel = std::int64_t{1}
                                        << 24;  // float32 holds every integer up to here

std::string describe(const Array& a) {
  return fmt::format("shape {} of {}", shape_to_python(a.shape), dtype_name(a.dtype));
}

// float32 examples; uint8 divided by 255 in float32 when scaling, as the
// Keras example's x.astype("float32") / 255 does.
Tensor examples_tensor(const Array& a, const DatasetOptions& options, const std::string& path) {
  if (a.shape.empty())
    throw Error(SourceLoc{path, 0, 0},
                "the examples are a scalar; they need a first (batch) "
                "dimension");
  Tensor t(a.shape);
  if (a.dtype == DType::kUInt8) {
    const float divisor = options.scale ? 255.0f : 1.0f;
    for (Dim i = 0; i < t.size(); ++i) t[i] = static_cast<float>(a.bytes[i]) / divisor;
  } else {
    const std::vector<float> values = a.to_float();
    std::copy(values.begin(), values.end(), t.begin());
  }
  return t;
}

// A little-endian signed integer of 4 or 8 bytes.
std::int64_t load_int_le(const unsigned char* p, std::size_t width) {
  std::uint64_t bits = 0;
  for (std::size_t i = width; i-- > 0;) bits = bits << 8 | p[i];
  return width == 4 ? static_cast<std::int32_t>(static_cast<std::uint32_t>(bits))
                    : static_cast<std::int64_t>(bits);
}

// Labels as float32: integers must be exact there (|label| <= 2^24).
Tensor labels_tensor(const Array& a, const std::string& path) {
  const SourceLoc where{path, 0, 0};
  if (a.shape.size() != 1 && a.shape.size() != 2)
    throw Error(where, fmt::format("labels must be rank 1 (one per example) or rank 2 (one row "
                                   "per example), not {}",
                                   describe(a)));
  Tensor t(a.shape);
  if (a.dtype == DType::kInt32 || a.dtype == DType::kInt64) {
    const std::size_t width = dtype_size(a.dtype);
    for (Dim i = 0; i < t.size(); ++i) {
      const std::int64_t label = load_int_le(a.bytes.data() + width * i, width);
      if (label > kMaxExactLabel || label < -kMaxExactLabel)
        throw Error(where, fmt::format("label {} (element {}) is beyond 2^24 = {}, past which "
                                       "float32 cannot hold every integer",
                                       label, i, kMaxExactLabel));
      t[i] = static_cast<float>(label);
    }
  } else {
    const std::vector<float> values = a.to_float();
    std::copy(values.begin(), values.end(), t.begin());
  }
  return t;
}

// DIR/STEM.gz, or DIR/STEM if someone gunzipped it.
std::string fashion_mnist_file(const std::string& dir, const std::string& stem) {
  namespace fs = std::filesystem;
  const fs::path gz = fs::path(dir) / (stem + ".gz");
  std::error_code ec;
  for (const fs::path& path : {gz, fs::path(dir) / stem})
    if (fs::is_regular_file(path, ec)) return path.string();
  throw Error(SourceLoc{gz.string(), 0, 0},
              fmt::format("Fashion-MNIST not found in {}: install Debian's dataset-fashion-mnist "
                          "package (apt-get install dataset-fashion-mnist)",
                          dir));
}

// The first `end - begin` rows from row `begin`, sharing t's storage.
Tensor rows(const Tensor& t, Dim begin, Dim end) {
  Shape shape = t.shape();
  const Dim per_row = shape[0] ? t.size() / shape[0] : 0;
  shape[0] = end - begin;
  return Tensor::view(t, begin * per_row, std::move(shape));
}

}  // namespace

Dataset load_fashion_mnist(bool train, const DatasetOptions& options, const std::string& dir) {
  const Dim n = train ? 60000 : 10000;
  const char* split = train ? "train" : "t10k";
  const char* which = train ? "training" : "test";
  const std::string x_path = fashion_mnist_file(dir, fmt::format("{}-images-idx3-ubyte", split));
  const std::string y_path = fashion_mnist_file(dir, fmt::format("{}-labels-idx1-ubyte", split));

  const Array labels = read_idx(y_path);
  if (labels.dtype != DType::kUInt8 || labels.shape != Shape{n})
    throw Error(
        SourceLoc{y_path, 0, 0},
        fmt::format("not Fashion-MNIST's {} labels: expected shape ({},) of uint8, found {}", which,
                    n, describe(labels)));
  const auto beyond = std::find_if(labels.bytes.begin(), labels.bytes.end(),
                                   [](unsigned char label) { return label > 9; });
  if (beyond != labels.bytes.end())
    throw Error(SourceLoc{y_path, 0, 0},
                fmt::format("label {} of example {} is not one of Fashion-MNIST's classes 0..9",
                            *beyond, beyond - labels.bytes.begin()));

  const Array images = read_idx(x_path);
  if (images.dtype != DType::kUInt8 || images.shape != Shape{n, 28, 28})
    throw Error(SourceLoc{x_path, 0, 0},
                fmt::format("not Fashion-MNIST's {} images: expected shape ({}, 28, 28) of uint8, "
                            "found {}",
                            which, n, describe(images)));
  return {examples_tensor(images, options, x_path).reshaped({n, 28, 28, 1}),
          labels_tensor(labels, y_path)};
}

Dataset load_npy_dataset(const std::string& x_path, const std::string& y_path,
                         const DatasetOptions& options) {
  Dataset d{examples_tensor(read_npy(x_path), options, x_path),
            labels_tensor(read_npy(y_path), y_path)};
  if (d.x.dim(0) != d.y.dim(0))
    throw Error(SourceLoc{y_path, 0, 0},
                fmt::format("{} holds {} labels but {} holds {} examples; the first dimensions "
                            "must match",
                            y_path, d.y.dim(0), x_path, d.x.dim(0)));
  return d;
}

std::pair<Dataset, Dataset> split_validation(const Dataset& d, double fraction) {
  if (!(fraction > 0.0 && fraction < 1.0))
    throw Error(
        fmt::format("validation_split must be between 0 and 1 (both excluded), got {}", fraction))
        .with_argument("validation_split");
  if (d.x.rank() == 0 || d.y.rank() == 0 || d.x.dim(0) != d.y.dim(0))
    throw Error(
        fmt::format("cannot split examples of shape {} with labels of shape {}: the first "
                    "dimensions must match",
                    shape_to_python(d.x.shape()), shape_to_python(d.y.shape())));
  // keras/src/trainers/data_adapters/array_slicing.py train_validation_split.
  const Dim n = d.size();
  const auto split_at = static_cast<Dim>(std::floor(static_cast<double>(n) * (1.0 - fraction)));
  if (split_at == 0 || split_at == n)
    throw Error(fmt::format("Training data contains {} samples, which is not sufficient to split "
                            "it into a validation and training set as specified by "
                            "`validation_split={}`. Either provide more data, or a different "
                            "value for the `validation_split` argument.",
                            n, fraction))
        .with_argument("validation_split");
  return {Dataset{rows(d.x, 0, split_at), rows(d.y, 0, split_at)},
          Dataset{rows(d.x, split_at, n), rows(d.y, split_at, n)}};
}

}  // namespace stride
