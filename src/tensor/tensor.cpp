// Tensor storage: aligned, zero-filled unless asked otherwise, shared, and
// recycled through a small cache of freed blocks.
#include "stride/tensor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>
#include <new>

#include "stride/error.hpp"

namespace stride {

namespace {

// 64 bytes: a cache line and an AVX-512 register.
constexpr std::align_val_t kAlignment{64};

// Freed blocks of at least kCachedMin bytes are kept for the next tensor of
// the same size (rounded up to a page): a training step allocates the same
// shapes every time, and fresh pages cost a fault each (PyTorch keeps a
// cache for the same reason). At most kCacheCap bytes wait there.
// Unoptimized and sanitizer builds cache nothing, so that ASan still sees
// every use after free, and fill "uninitialized" storage with NaN, so that a
// kernel reading values it was meant to overwrite fails its tests.
constexpr std::size_t kCachedMin = std::size_t{1} << 16;
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
constexpr std::size_t kCacheCap = std::size_t{1} << 28;
constexpr bool kPoisonUninitialized = false;
#else
constexpr std::size_t kCacheCap = 0;
constexpr bool kPoisonUninitialized = true;
#endif
constexpr std::size_t kPage = 4096;

class BlockCache {
 public:
  static BlockCache& instance() {
    static auto* cache = new BlockCache;  // never destroyed: tensors may outlive statics
    return *cache;
  }

  float* take(std::size_t bytes) {
    {
      std::lock_guard lock(mutex_);
      auto it = free_.find(bytes);
      if (it != free_.end()) {
        float* p = it->second;
        free_.erase(it);
        cached_ -= bytes;
        return p;
      }
    }
    return static_cast<float*>(::operator new[](bytes, kAlignment));
  }

  void give(float* p, std::size_t bytes) {
    {
      std::lock_guard lock(mutex_);
      if (cached_ + bytes <= kCacheCap) {
        free_.emplace(bytes, p);
        cached_ += bytes;
        return;
      }
    }
    ::operator delete[](p, kAlignment);
  }

 private:
  std::mutex mutex_;
  std::multimap<std::size_t, float*> free_;
  std::size_t cached_ = 0;
};

std::shared_ptr<float> allocate(Dim count, bool zero) {
  std::size_t bytes = static_cast<std::size_t>(std::max<Dim>(count, 1)) * sizeof(float);
  std::shared_ptr<float> storage;
  if (bytes < kCachedMin) {
    auto* p = static_cast<float*>(::operator new[](bytes, kAlignment));
    storage.reset(p, [](float* q) { ::operator delete[](q, kAlignment); });
  } else {
    bytes = (bytes + kPage - 1) / kPage * kPage;
    storage.reset(BlockCache::instance().take(bytes),
                  [bytes](float* q) { BlockCache::instance().give(q, bytes); });
  }
  if (zero || kPoisonUninitialized)
    std::fill(storage.get(), storage.get() + std::max<Dim>(count, 1),
              zero ? 0.0f : std::numeric_limits<float>::quiet_NaN());
  return storage;
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
  storage_ = allocate(size_, /*zero=*/true);
  data_ = storage_.get();
}

Tensor Tensor::uninitialized(Shape shape) {
  Tensor t;
  t.shape_ = std::move(shape);
  t.size_ = element_count(t.shape_);
  t.storage_ = allocate(t.size_, /*zero=*/false);
  t.data_ = t.storage_.get();
  return t;
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
  Tensor t = uninitialized(shape_);
  std::copy(begin(), end(), t.data_);
  return t;
}

void Tensor::fill(float value) {
  std::fill(begin(), end(), value);
}

}  // namespace stride
