// NumPy's .npy and .npz files: the arrays stride reads weights from and
// writes results to. Only what NumPy writes for plain numeric arrays is
// accepted: little-endian float32, float64, uint8, int32 and int64 in C
// order. Every problem is a stride::Error whose location is the file (or
// "ARCHIVE.npz:MEMBER.npy"), so located() prints "FILE: message".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stride/error.hpp"  // every failure is a stride::Error
#include "stride/shape.hpp"  // Dim = int64_t, Shape = std::vector<Dim>

namespace stride {

enum class DType { kFloat32, kFloat64, kUInt8, kInt32, kInt64 };
std::string dtype_name(DType);  // "float32", "float64", "uint8", "int32", "int64"
std::size_t dtype_size(DType);

// The largest array stride reads or writes (1 TiB of data): a bound that
// keeps a corrupt shape from turning into a huge allocation.
inline constexpr Dim kMaxArrayBytes = Dim{1} << 40;

// An n-d array as NumPy stores it: little-endian, C order.
struct Array {
  DType dtype = DType::kFloat32;
  Shape shape;                       // () is a scalar (1 element)
  std::vector<unsigned char> bytes;  // size() * dtype_size(dtype) bytes
  // Product of shape (0 with any zero dim); throws stride::Error for a
  // negative dim or overflow.
  Dim size() const;
  // Converts any dtype to float32 values.
  std::vector<float> to_float() const;
  // A float32 array holding the shape's product of values from `data`.
  static Array from_float(Shape shape, const float* data);
  // A float64 array of the shape's product of values from `data`.
  static Array from_double(Shape shape, const double* data);
  static Array int64_scalar(std::int64_t value);
  // The value of an int64 scalar (shape () or (1,)); stride::Error otherwise,
  // `what` naming the array.
  std::int64_t as_int64_scalar(const std::string& what) const;

  bool operator==(const Array&) const = default;
};

// `name` is what errors call the source (a file path, or "W.npz:conv2d/kernel.npy").
// The data must be exactly as long as the shape says: bytes after it are
// refused too (several arrays appended to one file), as are truncated files.
Array parse_npy(std::string_view bytes, const std::string& name);
// Version 1.0 header (2.0 if the header exceeds 65535 bytes), laid out
// byte for byte like NumPy's np.save: data starts at a multiple of 64.
std::string serialize_npy(const Array& a);
Array read_npy(const std::string& path);
// Atomic: writes "<path>.tmp.<pid>" in the same directory, fsyncs it and
// renames it over `path`; on failure the temporary file is removed and an
// existing `path` is left untouched.
void write_npy(const std::string& path, const Array& a);

// .npz: a zip of "<key>.npy" members; keys returned without ".npy", in
// archive order. Directory entries are skipped; any other member that is
// not a .npy, or a key that appears twice, is an error.
using NamedArrays = std::vector<std::pair<std::string, Array>>;
NamedArrays parse_npz(std::string_view bytes, const std::string& name);
NamedArrays read_npz(const std::string& path);
// The archive np.savez (stored) or np.savez_compressed (deflated) would
// write, with a fixed member time (1980-01-01) so output is reproducible.
std::string serialize_npz(const NamedArrays& arrays, bool compressed);
void write_npz(const std::string& path, const NamedArrays& arrays, bool compressed);  // atomic

}  // namespace stride
