// IDX files, the MNIST format: two zero bytes, a type code, the number of
// dims, each dim as a big-endian uint32, then the data, big-endian in C order.
// The result is an Array like any .npy: little-endian bytes.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "binary_file.hpp"
#include "gzip.hpp"
#include "stride/dataset.hpp"
#include "stride/error.hpp"

namespace stride {

namespace {

struct IdxType {
  unsigned char code;
  const char* name;
  std::size_t width;  // bytes per element in the file
  DType dtype;        // what the Array holds
};

// npy.hpp has no int8 or int16: those widen to int32, keeping every value.
constexpr IdxType kTypes[] = {
    {0x08, "uint8", 1, DType::kUInt8},     {0x09, "int8", 1, DType::kInt32},
    {0x0B, "int16", 2, DType::kInt32},     {0x0C, "int32", 4, DType::kInt32},
    {0x0D, "float32", 4, DType::kFloat32}, {0x0E, "float64", 8, DType::kFloat64},
};

constexpr std::size_t kMaxHeaderBytes = 4 + 4 * 255;

std::uint32_t load_u32_be(const unsigned char* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

void store_i32_le(std::int32_t value, unsigned char* p) {
  const auto bits = static_cast<std::uint32_t>(value);
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(bits >> (8 * i));
}

// Big-endian elements to the Array's little-endian int32 / floats.
void convert(const IdxType& type, const unsigned char* in, Dim count, unsigned char* out) {
  const auto n = static_cast<std::size_t>(count);
  if (type.code == 0x08) {
    if (n > 0) std::memcpy(out, in, n);  // an empty vector's data() may be null
  } else if (type.code == 0x09) {
    for (std::size_t i = 0; i < n; ++i) store_i32_le(static_cast<std::int8_t>(in[i]), out + 4 * i);
  } else if (type.code == 0x0B) {
    for (std::size_t i = 0; i < n; ++i)
      store_i32_le(static_cast<std::int16_t>(in[2 * i] << 8 | in[2 * i + 1]), out + 4 * i);
  } else {  // int32, float32, float64: the same bytes in reverse order
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t b = 0; b < type.width; ++b)
        out[type.width * i + b] = in[type.width * i + type.width - 1 - b];
  }
}

std::string describe(const Shape& shape, const IdxType& type) {
  return fmt::format("shape {} of {}", shape_to_python(shape), type.name);
}

// An uncompressed IDX file; `what` names it in messages ("the file", or
// "the decompressed data" of a .gz).
Array parse_plain(std::string_view bytes, const SourceLoc& where, const char* what) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t i = 0; i < std::min<std::size_t>(2, bytes.size()); ++i) {
    if (p[i] == 0) continue;
    if (bytes.starts_with("\x93NUMPY")) throw Error(where, "this is a .npy file, not an IDX file");
    throw Error(where, fmt::format("not an IDX file: byte {} of {} is 0x{:02X}, not the 0x00 "
                                   "of the IDX magic (00 00 type rank)",
                                   i, what, p[i]));
  }
  if (bytes.size() < 4)
    throw Error(where, fmt::format("truncated: {} has {} bytes, shorter than the 4-byte IDX magic",
                                   what, bytes.size()));
  const IdxType* type = nullptr;
  for (const IdxType& t : kTypes)
    if (t.code == p[2]) type = &t;
  if (!type)
    throw Error(where, fmt::format("unknown IDX data type 0x{:02X} (IDX has 0x08 uint8, 0x09 int8, "
                                   "0x0B int16, 0x0C int32, 0x0D float32 and 0x0E float64)",
                                   p[2]));
  const std::size_t rank = p[3];
  const std::size_t header = 4 + 4 * rank;
  if (bytes.size() < header)
    throw Error(where, fmt::format("truncated: the IDX header of {} dims needs {} bytes but {} "
                                   "has {}",
                                   rank, header, what, bytes.size()));
  Shape shape(rank);
  for (std::size_t i = 0; i < rank; ++i) shape[i] = load_u32_be(p + 4 + 4 * i);

  // Checked against the cap before anything is allocated; a dim is at most
  // 2^32 - 1, so each product is checked for overflow on the way.
  const Dim widest = static_cast<Dim>(std::max(type->width, dtype_size(type->dtype)));
  Dim count = 1;
  for (Dim d : shape)
    if (__builtin_mul_overflow(count, d, &count) || count > kMaxArrayBytes / widest)
      throw Error(where, fmt::format("{} is more than the {} bytes (1 TiB) stride reads",
                                     describe(shape, *type), kMaxArrayBytes));
  const auto expected = static_cast<std::uint64_t>(count) * type->width;
  const std::uint64_t present = bytes.size() - header;
  if (present < expected)
    throw Error(where, fmt::format("truncated: {} needs {} bytes of data but {} has only {}",
                                   describe(shape, *type), expected, what, present));
  if (present > expected)
    throw Error(where, fmt::format("{} bytes follow the {} bytes of data of {}; an IDX file holds "
                                   "one array",
                                   present - expected, expected, describe(shape, *type)));
  Array a;
  a.dtype = type->dtype;
  a.shape = std::move(shape);
  a.bytes.resize(static_cast<std::size_t>(count) * dtype_size(type->dtype));
  convert(*type, p + header, count, a.bytes.data());
  return a;
}

}  // namespace

Array parse_idx(std::string_view bytes, const std::string& name) {
  const SourceLoc where{name, 0, 0};
  if (!is_gzip(bytes)) return parse_plain(bytes, where, "the file");
  const std::string plain = gunzip(bytes, name);
  return parse_plain(plain, where, "the decompressed data");
}

Array read_idx(const std::string& path) {
  return parse_idx(read_binary_file(path, kMaxArrayBytes + kMaxHeaderBytes), path);
}

}  // namespace stride
