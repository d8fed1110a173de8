// .npy files: the 8-byte preamble (magic and version), the header length,
// the header dict (npy_header.cpp) and the raw little-endian C-order data.
#include "stride/npy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

#include "binary_file.hpp"
#include "npy_header.hpp"
#include "stride/error.hpp"

namespace stride {

namespace {

constexpr std::string_view kMagic{"\x93NUMPY", 6};
constexpr std::size_t kAlign = 64;  // numpy.lib.format.ARRAY_ALIGN

// Little-endian load/store of one element, whatever the host's byte order.
template <class T>
T load_le(const unsigned char* p) {
  unsigned char raw[sizeof(T)];
  std::memcpy(raw, p, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) std::reverse(raw, raw + sizeof(T));
  T value;
  std::memcpy(&value, raw, sizeof(T));
  return value;
}

template <class T>
void store_le(T value, unsigned char* p) {
  std::memcpy(p, &value, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) std::reverse(p, p + sizeof(T));
}

std::uint64_t load_uint_le(std::string_view bytes, std::size_t at, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = width; i-- > 0;)
    value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

std::string describe(const Shape& shape, DType dtype) {
  return fmt::format("shape {} of {}", shape_to_python(shape), dtype_name(dtype));
}

// The data size the header promises, refused beyond kMaxArrayBytes so a
// corrupt shape never becomes a huge allocation.
Dim data_bytes(const npy::Header& header, const SourceLoc& where) {
  const Dim item = static_cast<Dim>(dtype_size(header.dtype));
  if (std::find(header.shape.begin(), header.shape.end(), 0) != header.shape.end()) return 0;
  Dim count = 1;
  for (Dim d : header.shape)
    if (__builtin_mul_overflow(count, d, &count) || count > kMaxArrayBytes / item)
      throw Error(where, fmt::format("{} is more than the {} bytes (1 TiB) stride reads",
                                     describe(header.shape, header.dtype), kMaxArrayBytes));
  return count * item;
}

// Throws unless `a` holds exactly the bytes its shape and dtype need.
void check_consistent(const Array& a) {
  const Dim n = a.size();
  Dim expected;
  if (__builtin_mul_overflow(n, static_cast<Dim>(dtype_size(a.dtype)), &expected) ||
      static_cast<std::uint64_t>(expected) != a.bytes.size())
    throw Error(fmt::format("the array of {} holds {} bytes, not the {} x {} it needs",
                            describe(a.shape, a.dtype), a.bytes.size(), n, dtype_size(a.dtype)));
}

}  // namespace

std::string dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat64:
      return "float64";
    case DType::kUInt8:
      return "uint8";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
  }
  return "unknown";
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return 4;
    case DType::kFloat64:
      return 8;
    case DType::kUInt8:
      return 1;
    case DType::kInt32:
      return 4;
    case DType::kInt64:
      return 8;
  }
  return 1;
}

Dim Array::size() const {
  for (Dim d : shape)
    if (d < 0)
      throw Error(fmt::format("array shape {} has a negative dimension", shape_to_python(shape)));
  // A zero dimension empties the array whatever the others are, as the
  // readers accept it: (2**63-1, 2, 0) holds nothing rather than overflowing.
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  return checked_product(shape, "array size");
}

std::vector<float> Array::to_float() const {
  check_consistent(*this);
  const std::size_t n = bytes.size() / dtype_size(dtype);
  std::vector<float> out(n);
  const unsigned char* p = bytes.data();
  for (std::size_t i = 0; i < n; ++i) {
    switch (dtype) {
      case DType::kFloat32:
        out[i] = load_le<float>(p + 4 * i);
        break;
      case DType::kFloat64:
        out[i] = static_cast<float>(load_le<double>(p + 8 * i));
        break;
      case DType::kUInt8:
        out[i] = p[i];
        break;
      case DType::kInt32:
        out[i] = static_cast<float>(load_le<std::int32_t>(p + 4 * i));
        break;
      case DType::kInt64:
        out[i] = static_cast<float>(load_le<std::int64_t>(p + 8 * i));
        break;
    }
  }
  return out;
}

namespace {

// An array of `dtype` (whose C type is T) holding the shape's product of values.
template <class T>
Array array_of(DType dtype, Shape shape, const T* data) {
  Array a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  const auto n = static_cast<std::size_t>(a.size());
  a.bytes.resize(
      checked_mul(static_cast<Dim>(n), static_cast<Dim>(sizeof(T)), "array size in bytes"));
  for (std::size_t i = 0; i < n; ++i) store_le(data[i], a.bytes.data() + sizeof(T) * i);
  return a;
}

}  // namespace

Array Array::from_float(Shape shape, const float* data) {
  return array_of(DType::kFloat32, std::move(shape), data);
}

Array Array::from_double(Shape shape, const double* data) {
  return array_of(DType::kFloat64, std::move(shape), data);
}

Array Array::int64_scalar(std::int64_t value) {
  return array_of(DType::kInt64, {}, &value);
}

std::int64_t Array::as_int64_scalar(const std::string& what) const {
  if (dtype != DType::kInt64 || size() != 1 || shape.size() > 1)
    throw Error(fmt::format("{} is {} {}, expected an int64 scalar", what, dtype_name(dtype),
                            shape_to_python(shape)));
  return load_le<std::int64_t>(bytes.data());
}

Array parse_npy(std::string_view bytes, const std::string& name) {
  const SourceLoc where{name, 0, 0};
  if (!bytes.starts_with(kMagic)) {
    if (bytes.starts_with("PK\x03\x04") || bytes.starts_with("PK\x05\x06"))
      throw Error(where, "this is a zip archive (an .npz?), not a .npy file");
    if (kMagic.starts_with(bytes))
      throw Error(where,
                  fmt::format("truncated: {} bytes, too short for a .npy file", bytes.size()));
    throw Error(where, "not a .npy file: it does not start with \\x93NUMPY");
  }
  if (bytes.size() < 8)
    throw Error(where, fmt::format("truncated: {} bytes, too short for a .npy file", bytes.size()));
  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    throw Error(where, fmt::format("unsupported .npy format version {}.{} (stride reads 1.0, 2.0 "
                                   "and 3.0)",
                                   major, minor));
  // Version 1.0 stores the header length in 2 bytes, 2.0 and 3.0 in 4.
  const std::size_t length_width = major == 1 ? 2 : 4;
  const std::size_t prefix = kMagic.size() + 2 + length_width;
  if (bytes.size() < prefix)
    throw Error(where, fmt::format("truncated: {} bytes, shorter than the {}-byte .npy preamble",
                                   bytes.size(), prefix));
  const std::uint64_t header_length = load_uint_le(bytes, prefix - length_width, length_width);
  if (header_length > bytes.size() - prefix)
    throw Error(where, fmt::format("the header length {} goes beyond the end of the file "
                                   "({} bytes): truncated or not a .npy file",
                                   header_length, bytes.size()));
  const npy::Header header = npy::parse_header(bytes.substr(prefix, header_length), where);

  const std::size_t data_offset = prefix + header_length;
  const auto expected = static_cast<std::uint64_t>(data_bytes(header, where));
  const std::uint64_t present = bytes.size() - data_offset;
  if (present < expected)
    throw Error(where, fmt::format("truncated: {} needs {} bytes of data but only {} are present",
                                   describe(header.shape, header.dtype), expected, present));
  if (present > expected)
    throw Error(where,
                fmt::format("{} bytes follow the {} bytes of data of {} (several arrays "
                            "in one file?); stride reads one array per .npy",
                            present - expected, expected, describe(header.shape, header.dtype)));
  Array a;
  a.dtype = header.dtype;
  a.shape = header.shape;
  a.bytes.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_offset), bytes.end());
  return a;
}

std::string serialize_npy(const Array& a) {
  check_consistent(a);
  const std::string dict = npy::header_dict({a.dtype, a.shape});
  // Like numpy.lib.format._wrap_header: the dict, spaces and a final '\n'
  // so the data starts at a multiple of 64; version 2.0 only when the
  // padded header does not fit version 1.0's 16-bit length.
  const std::size_t unpadded = dict.size() + 1;
  int major = 1;
  std::size_t prefix = kMagic.size() + 2 + 2;
  std::size_t padding = kAlign - (prefix + unpadded) % kAlign;
  if (unpadded + padding > 0xffff) {
    major = 2;
    prefix = kMagic.size() + 2 + 4;
    padding = kAlign - (prefix + unpadded) % kAlign;
  }
  const std::size_t header_length = unpadded + padding;
  std::string out;
  out.reserve(prefix + header_length + a.bytes.size());
  out += kMagic;
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < prefix - kMagic.size() - 2; ++i)
    out += static_cast<char>(header_length >> (8 * i) & 0xff);
  out += dict;
  out.append(padding, ' ');
  out += '\n';
  out.append(a.bytes.begin(), a.bytes.end());
  return out;
}

Array read_npy(const std::string& path) {
  // The data cap plus room for any header a real file has.
  return parse_npy(read_binary_file(path, kMaxArrayBytes + (1u << 26)), path);
}

void write_npy(const std::string& path, const Array& a) {
  try {
    write_file_atomically(path, serialize_npy(a));
  } catch (Error& e) {
    e.set_loc_if_unknown(SourceLoc{path, 0, 0});
    throw;
  }
}

}  // namespace stride
