// Training data: examples and labels loaded from IDX files (Fashion-MNIST)
// or from a pair of .npy files, and Keras's validation_split. Every problem
// with a file is a stride::Error located at that file.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stride/npy.hpp"     // Array, DType
#include "stride/tensor.hpp"  // Tensor: float32, batch first

namespace stride {

// Examples and their labels, batch first. Labels are float32 values: class
// indices for integer label files (exact up to 2^24), or whatever a float
// label array holds (one-hot rows, regression targets).
//
// uint8 examples may instead stay bytes (DatasetOptions::compact): a quarter
// of float32's memory (47 MB instead of 188 for Fashion-MNIST's training
// set). x is then empty and `pixels` holds them; batches are converted to
// float32 as they are drawn (x_batch), to the same values x would hold.
struct PixelStore {
  std::shared_ptr<const std::vector<unsigned char>> bytes;
  Dim first = 0;         // the first example's index in `bytes` (a split's view)
  Shape shape;           // (examples, ...), like x's
  float divisor = 1.0f;  // example value = float(byte) / divisor
};

struct Dataset {
  Tensor x;  // e.g. (60000, 28, 28, 1); empty when `pixels` holds the examples
  Tensor y;  // e.g. (60000,)
  std::shared_ptr<const PixelStore> pixels{};

  Dim size() const;
  Shape x_shape() const;
  // Examples order[first], ..., order[first + count - 1] as one float32 batch.
  Tensor x_batch(const std::vector<Dim>& order, Dim first, Dim count) const;
};

// scale: uint8 pixels / 255 -> [0, 1]; other dtypes are left as they are.
// compact: uint8 examples stay bytes (Dataset::pixels); fit() and evaluate()
// take either form.
struct DatasetOptions {
  bool scale = true;
  bool compact = false;
};

// The IDX format (yann.lecun.com/exdb/mnist): magic 0x00 0x00 dtype ndim,
// big-endian uint32 dims, big-endian C-order data; plain or gzip-compressed
// (detected by the gzip magic 1f 8b, not the name). IDX types map to Array
// dtypes: 0x08 uint8, 0x0C int32, 0x0D float32, 0x0E float64, and 0x09 int8
// and 0x0B int16 widen to int32 (values unchanged). Bytes after the data are
// refused, like truncated data.
Array read_idx(const std::string& path);
// `bytes` is a whole file (plain or gzip); `name` is what errors call it.
Array parse_idx(std::string_view bytes, const std::string& name);

// Fashion-MNIST as Keras's keras.datasets.fashion_mnist gives it, images with
// a trailing channel axis (N, 28, 28, 1) like the Keras MNIST convnet
// example's np.expand_dims(x, -1): 60000 training or 10000 test examples,
// labels 0..9. Reads DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
// (or the same names without .gz).
inline const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
Dataset load_fashion_mnist(bool train, const DatasetOptions& = {},
                           const std::string& dir = kFashionMnistDir);

// Any .npy examples / labels pair with the same first dimension. Examples
// keep their shape (rank >= 1); labels are rank 1 or 2.
Dataset load_npy_dataset(const std::string& x_path, const std::string& y_path,
                         const DatasetOptions& = {});

// Keras's validation_split: the LAST `fraction` of the examples (before any
// shuffling) become validation data, split at floor(n * (1 - fraction)).
// Returns {training, validation}, views sharing `d`'s storage.
std::pair<Dataset, Dataset> split_validation(const Dataset& d, double fraction);

}  // namespace stride
