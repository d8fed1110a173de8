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
// Keras example's x.astype("float32") / 255 does. Compact uint8 examples keep
// a's bytes (moved, not copied) and convert batch by batch the same way.
void set_examples(Dataset& d, Array a, Shape shape, const DatasetOptions& options,
                  const std::string& path) {
  if (a.shape.empty())
    throw Error(SourceLoc{path, 0, 0},
                "the examples are a scalar; they need a first (batch) "
                "dimension");
  const float divisor = options.scale ? 255.0f : 1.0f;
  if (a.dtype == DType::kUInt8 && options.compact) {
    auto store = std::make_shared<PixelStore>();
    store->bytes = std::make_shared<const std::vector<unsigned char>>(std::move(a.bytes));
    store->shape = std::move(shape);
    store->divisor = divisor;
    d.pixels = std::move(store);
    return;
  }
  Tensor t = Tensor::uninitialized(a.shape);
  if (a.dtype == DType::kUInt8) {
    for (Dim i = 0; i < t.size(); ++i) t[i] = static_cast<float>(a.bytes[i]) / divisor;
  } else {
    const std::vector<float> values = a.to_float();
    std::copy(values.begin(), values.end(), t.begin());
  }
  d.x = t.reshaped(std::move(shape));
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

// Examples [begin, end) of d (and their labels), sharing d's storage.
Dataset examples_between(const Dataset& d, Dim begin, Dim end) {
  Dataset part;
  part.y = rows(d.y, begin, end);
  if (d.pixels) {
    auto store = std::make_shared<PixelStore>(*d.pixels);
    store->first += begin;
    store->shape[0] = end - begin;
    part.pixels = std::move(store);
  } else {
    part.x = rows(d.x, begin, end);
  }
  return part;
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

  Array images = read_idx(x_path);
  if (images.dtype != DType::kUInt8 || images.shape != Shape{n, 28, 28})
    throw Error(SourceLoc{x_path, 0, 0},
                fmt::format("not Fashion-MNIST's {} images: expected shape ({}, 28, 28) of uint8, "
                            "found {}",
                            which, n, describe(images)));
  Dataset d;
  d.y = labels_tensor(labels, y_path);
  set_examples(d, std::move(images), {n, 28, 28, 1}, options, x_path);
  return d;
}

Dataset load_npy_dataset(const std::string& x_path, const std::string& y_path,
                         const DatasetOptions& options) {
  Dataset d;
  Array examples = read_npy(x_path);
  const Shape shape = examples.shape;
  set_examples(d, std::move(examples), shape, options, x_path);
  d.y = labels_tensor(read_npy(y_path), y_path);
  if (d.size() != d.y.dim(0))
    throw Error(SourceLoc{y_path, 0, 0},
                fmt::format("{} holds {} labels but {} holds {} examples; the first dimensions "
                            "must match",
                            y_path, d.y.dim(0), x_path, d.size()));
  return d;
}

std::pair<Dataset, Dataset> split_validation(const Dataset& d, double fraction) {
  if (!(fraction > 0.0 && fraction < 1.0))
    throw Error(
        fmt::format("validation_split must be between 0 and 1 (both excluded), got {}", fraction))
        .with_argument("validation_split");
  if (d.x_shape().empty() || d.y.rank() == 0 || d.size() != d.y.dim(0))
    throw Error(
        fmt::format("cannot split examples of shape {} with labels of shape {}: the first "
                    "dimensions must match",
                    shape_to_python(d.x_shape()), shape_to_python(d.y.shape())));
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
  return {examples_between(d, 0, split_at), examples_between(d, split_at, n)};
}

Dim Dataset::size() const {
  if (pixels) return pixels->shape.empty() ? 0 : pixels->shape[0];
  return x.rank() ? x.dim(0) : 0;
}

Shape Dataset::x_shape() const {
  return pixels ? pixels->shape : x.shape();
}

Tensor Dataset::x_batch(const std::vector<Dim>& order, Dim first, Dim count) const {
  Shape shape = x_shape();
  if (shape.empty()) throw Error("the data set has no examples to draw a batch from");
  const Dim n = shape[0];
  shape[0] = count;
  Tensor batch = Tensor::uninitialized(shape);
  const Dim row = count ? batch.size() / count : 0;
  if (pixels && (!pixels->bytes || pixels->first < 0 ||
                 static_cast<std::size_t>((pixels->first + n) * row) > pixels->bytes->size()))
    throw Error(
        fmt::format("the data set's pixel store holds {} bytes, fewer than its {} examples "
                    "of shape {} need",
                    pixels->bytes ? pixels->bytes->size() : 0, n, shape_to_python(pixels->shape)));
  for (Dim i = 0; i < count; ++i) {
    float* out = batch.data() + i * row;
    const Dim example = order.at(static_cast<std::size_t>(first + i));
    if (example < 0 || example >= n)
      throw Error(fmt::format("example {} asked of a data set of {}", example, n));
    if (pixels) {
      const unsigned char* in = pixels->bytes->data() + (pixels->first + example) * row;
      for (Dim j = 0; j < row; ++j) out[j] = static_cast<float>(in[j]) / pixels->divisor;
    } else {
      std::copy(x.data() + example * row, x.data() + (example + 1) * row, out);
    }
  }
  return batch;
}

}  // namespace stride
