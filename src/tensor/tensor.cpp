// Tensor storage: aligned, zero-filled, shared.
#include "stride/tensor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <new>

#include "stride/error.hpp"

namespace stride {

namespace {

// 64 bytes: a cache line and an AVX-512 register.
constexpr std::align_val_t kAlignment{64};

std::shared_ptr<float> allocate(Dim count) {
  const auto bytes = static_cast<std::size_t>(std::max<Dim>(count, 1)) * sizeof(float);
  auto* p = static_cast<float*>(::operator new[](bytes, kAlignment));
  std::fill(p, p + std::max<Dim>(count, 1), 0.0f);
  return std::shared_ptr<float>(p, [](float* q) { ::operator delete[](q, kAlignment); });
}

Dim element_count(const Shape& shape) {
  for (Dim d : shape)
    if (d < 0)
      throw Error(fmt::format("tensor shape {} has a negative or unknown dimension",
                              shape_to_python(shape)));
  return checked_product(shape, "tensor size");
}

}  // namespace

Tensor::Tensor(Shape shape) : shape_(std::move(shape)), size_(element_count(shape_)) {
  storage_ = allocate(size_);
  data_ = storage_.get();
}

Tensor::Tensor(Shape shape, const std::vector<float>& values) : Tensor(std::move(shape)) {
  if (static_cast<Dim>(values.size()) != size_)
    throw Error(fmt::format("tensor of shape {} needs {} values, got {}", shape_to_python(shape_),
                            size_, values.size()));
  std::copy(values.begin(), values.end(), data_);
}

Tensor Tensor::view(const Tensor& base, Dim offset, Shape shape) {
  Tensor t;
  t.shape_ = std::move(shape);
  t.size_ = element_count(t.shape_);
  if (offset < 0 || offset + t.size_ > base.size_)
    throw Error(fmt::format("view of {} elements at offset {} exceeds a tensor of {}", t.size_,
                            offset, base.size_));
  t.storage_ = base.storage_;
  t.data_ = base.data_ + offset;
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  if (element_count(t.shape_) != size_)
    throw Error(fmt::format("cannot reshape a tensor of shape {} into {}", shape_to_python(shape_),
                            shape_to_python(t.shape_)));
  return t;
}

Tensor Tensor::clone() const {
  Tensor t(shape_);
  std::copy(begin(), end(), t.data_);
  return t;
}

void Tensor::fill(float value) {
  std::fill(begin(), end(), value);
}

}  // namespace stride
