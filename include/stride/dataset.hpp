// Training data: examples and labels loaded from IDX files (Fashion-MNIST)
// or from a pair of .npy files, and Keras's validation_split. Every problem
// with a file is a stride::Error located at that file.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "stride/npy.hpp"     // Array, DType
#include "stride/tensor.hpp"  // Tensor: float32, batch first

namespace stride {

// Examples and their labels, batch first. Labels are float32 values: class
// indices for integer label files (exact up to 2^24), or whatever a float
// label array holds (one-hot rows, regression targets).
struct Dataset {
  Tensor x;  // e.g. (60000, 28, 28, 1)
  Tensor y;  // e.g. (60000,)
  Dim size() const { return x.rank() ? x.dim(0) : 0; }
};

// scale: uint8 pixels / 255 -> [0, 1]; other dtypes are left as they are.
struct DatasetOptions {
  bool scale = true;
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
