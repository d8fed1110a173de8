// Tensors: float32 values with a shape whose first dim is the batch. Storage
// is shared (copying a Tensor aliases it, as in NumPy and PyTorch); views into
// a larger buffer (the model's parameters) keep that buffer alive.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "stride/shape.hpp"

namespace stride {

// Every compute op has two implementations behind one call: a short
// reference (plain loops that read like the formula) and the fast path.
enum class ComputePath { kFast, kReference };

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled, 64-byte aligned storage.
  explicit Tensor(Shape shape);
  Tensor(Shape shape, const std::vector<float>& values);
  // Storage whose values are unspecified (left over from an earlier tensor):
  // for outputs that a kernel overwrites entirely, sparing the zero fill.
  static Tensor uninitialized(Shape shape);
  // A view of `shape` starting at `offset` elements into `base`'s storage.
  static Tensor view(const Tensor& base, Dim offset, Shape shape);

  const Shape& shape() const { return shape_; }
  std::size_t rank() const { return shape_.size(); }
  Dim dim(std::size_t axis) const { return shape_.at(axis); }
  Dim size() const { return size_; }
  bool empty() const { return size_ == 0; }

  float* data() { return data_; }
  const float* data() const { return data_; }
  float* begin() { return data_; }
  float* end() { return data_ + size_; }
  const float* begin() const { return data_; }
  const float* end() const { return data_ + size_; }
  float& operator[](Dim i) { return data_[i]; }
  float operator[](Dim i) const { return data_[i]; }

  // Same storage, another shape of the same size (like NumPy's reshape of a
  // C-contiguous array).
  Tensor reshaped(Shape shape) const;
  // A copy with its own storage.
  Tensor clone() const;
  void fill(float value);
  std::vector<float> values() const { return {begin(), end()}; }

 private:
  Shape shape_;
  Dim size_ = 0;
  std::shared_ptr<float> storage_;
  float* data_ = nullptr;
};

}  // namespace stride
