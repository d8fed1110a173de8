// IDX reading: hand-made files of every type (bytes written out here, the
// big-endian encodings worked by hand), gzip fixtures from
// scripts/make_idx_fixtures.py, and truncated, corrupt or absurd files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "io/gzip.hpp"
#include "stride/dataset.hpp"

namespace stride {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  return std::string(STRIDE_SOURCE_DIR) + "/tests/data/idx/" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// An IDX file: 00 00 TYPE RANK, the dims big-endian, then `data` as given.
std::string idx(unsigned char type, const std::vector<std::uint32_t>& dims,
                const std::string& data) {
  std::string out{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(d >> shift & 0xff);
  return out + data;
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

// The stride::Error `fn` throws, as "FILE: message" ("" if none).
template <class Fn>
std::string located_error(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.located();
  }
  return "";
}

// u8 (2, 3): 3, 53, 103, 153, 203, 253 (the same values as u8_2x3.idx.gz).
const std::string kU8 = idx(0x08, {2, 3}, bytes({3, 53, 103, 153, 203, 253}));

struct TypeCase {
  const char* name;
  std::string file;
  DType dtype;
  Shape shape;
  std::string little_endian;  // the Array's bytes
  std::vector<float> values;
};

class IdxTypes : public ::testing::TestWithParam<TypeCase> {};

TEST_P(IdxTypes, ConvertsBigEndianToTheArrayDtype) {
  const TypeCase& c = GetParam();
  const Array a = parse_idx(c.file, "t.idx");
  EXPECT_EQ(a.dtype, c.dtype);
  EXPECT_EQ(a.shape, c.shape);
  EXPECT_EQ(std::string(a.bytes.begin(), a.bytes.end()), c.little_endian);
  EXPECT_EQ(a.to_float(), c.values);
}

const float kInf = std::numeric_limits<float>::infinity();

INSTANTIATE_TEST_SUITE_P(
    Idx, IdxTypes,
    ::testing::Values(
        TypeCase{"uint8",
                 kU8,
                 DType::kUInt8,
                 {2, 3},
                 bytes({3, 53, 103, 153, 203, 253}),
                 {3, 53, 103, 153, 203, 253}},
        // int8 widens to int32: 0x80 = -128, 0x7f = 127.
        TypeCase{"int8",
                 idx(0x09, {3}, bytes({0x80, 0x00, 0x7f})),
                 DType::kInt32,
                 {3},
                 bytes({0x80, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x7f, 0, 0, 0}),
                 {-128, 0, 127}},
        // int16: 0x8000 = -32768, 0xffff = -1, 0x0102 = 258, 0x7fff = 32767.
        TypeCase{"int16",
                 idx(0x0B, {4}, bytes({0x80, 0, 0xff, 0xff, 1, 2, 0x7f, 0xff})),
                 DType::kInt32,
                 {4},
                 bytes({0, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 1, 0, 0, 0xff, 0x7f, 0, 0}),
                 {-32768, -1, 258, 32767}},
        // int32: -2^31, -1, 1, 2^31 - 1 (which rounds to 2^31 as a float).
        TypeCase{
            "int32",
            idx(0x0C, {2, 2},
                bytes({0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff})),
            DType::kInt32,
            {2, 2},
            bytes({0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f}),
            {-2147483648.0f, -1, 1, 2147483648.0f}},
        // float32: 1.5 = 0x3fc00000, -0.25 = 0xbe800000, inf = 0x7f800000.
        TypeCase{"float32",
                 idx(0x0D, {3}, bytes({0x3f, 0xc0, 0, 0, 0xbe, 0x80, 0, 0, 0x7f, 0x80, 0, 0})),
                 DType::kFloat32,
                 {3},
                 bytes({0, 0, 0xc0, 0x3f, 0, 0, 0x80, 0xbe, 0, 0, 0x80, 0x7f}),
                 {1.5f, -0.25f, kInf}},
        // float64: 0.375 = 0x3fd8000000000000, -2 = 0xc000000000000000.
        TypeCase{
            "float64",
            idx(0x0E, {1, 1, 2}, bytes({0x3f, 0xd8, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0})),
            DType::kFloat64,
            {1, 1, 2},
            bytes({0, 0, 0, 0, 0, 0, 0xd8, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xc0}),
            {0.375f, -2.0f}},
        TypeCase{"scalar", idx(0x08, {}, bytes({7})), DType::kUInt8, {}, bytes({7}), {7}},
        TypeCase{"empty", idx(0x0D, {0, 5}, ""), DType::kFloat32, {0, 5}, "", {}},
        TypeCase{"empty_uint8", idx(0x08, {3, 0}, ""), DType::kUInt8, {3, 0}, "", {}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Idx, ReadsGzipFiles) {
  const Array u8 = read_idx(fixture("u8_2x3.idx.gz"));
  EXPECT_EQ(u8, parse_idx(kU8, "plain"));

  // The header and the data are two gzip members, as `cat a.gz b.gz` makes.
  const Array i16 = read_idx(fixture("i16_4_two_members.idx.gz"));
  EXPECT_EQ(i16.dtype, DType::kInt32);
  EXPECT_EQ(i16.to_float(), (std::vector<float>{-32768, -1, 258, 32767}));

  const Array zeros = read_idx(fixture("zeros_u8_4096.idx.gz"));
  EXPECT_EQ(zeros.shape, Shape{4096});
  EXPECT_EQ(zeros.bytes, std::vector<unsigned char>(4096, 0));
}

// gzip is recognized by its magic bytes, whatever the file is called.
TEST(Idx, DetectsGzipByContentNotName) {
  const fs::path dir = fs::temp_directory_path() / ("stride_idx_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string gz_named_plain = (dir / "a.idx").string();
  const std::string plain_named_gz = (dir / "b.idx.gz").string();
  std::ofstream(gz_named_plain, std::ios::binary) << slurp(fixture("u8_2x3.idx.gz"));
  std::ofstream(plain_named_gz, std::ios::binary) << kU8;
  EXPECT_EQ(read_idx(gz_named_plain), parse_idx(kU8, "plain"));
  EXPECT_EQ(read_idx(plain_named_gz), parse_idx(kU8, "plain"));
  fs::remove_all(dir);
}

TEST(Idx, EveryTruncationIsACleanError) {
  const std::string gz = slurp(fixture("u8_2x3.idx.gz"));
  ASSERT_EQ(gz.size(), 36u);
  const std::string plain_f64 = idx(0x0E, {1, 1, 2}, std::string(16, '\x40'));
  for (const std::string* file : {&kU8, &plain_f64, &gz})
    for (std::size_t n = 0; n < file->size(); ++n) {
      SCOPED_TRACE(n);
      const std::string error = located_error([&] { parse_idx(file->substr(0, n), "cut.idx"); });
      EXPECT_TRUE(error.starts_with("cut.idx: ")) << error;
      // A 1-byte prefix of the gzip file is just 0x1f: not IDX, not yet gzip.
      if (file != &gz || n != 1) EXPECT_NE(error.find("truncated"), std::string::npos) << error;
    }
}

TEST(Idx, TruncationMessagesGiveBothSizes) {
  EXPECT_EQ(
      located_error([] { parse_idx(kU8.substr(0, 15), "a.idx"); }),
      "a.idx: truncated: shape (2, 3) of uint8 needs 6 bytes of data but the file has only 3");
  EXPECT_EQ(located_error([] { parse_idx(kU8.substr(0, 9), "a.idx"); }),
            "a.idx: truncated: the IDX header of 2 dims needs 12 bytes but the file has 9");
  EXPECT_EQ(located_error([] { parse_idx(std::string(3, '\0'), "a.idx"); }),
            "a.idx: truncated: the file has 3 bytes, shorter than the 4-byte IDX magic");
  // A header that promises a million bytes allocates nothing before checking.
  EXPECT_EQ(located_error([] { parse_idx(idx(0x08, {1000000}, "0123456789"), "a.idx"); }),
            "a.idx: truncated: shape (1000000,) of uint8 needs 1000000 bytes of data but the file "
            "has only 10");
  EXPECT_EQ(located_error([] { parse_idx(kU8 + "x", "a.idx"); }),
            "a.idx: 1 bytes follow the 6 bytes of data of shape (2, 3) of uint8; an IDX file holds "
            "one array");
}

TEST(Idx, RefusesBadMagicAndTypes) {
  EXPECT_EQ(located_error([] { parse_idx("\x01\x00\x08\x01", "a.idx"); }),
            "a.idx: not an IDX file: byte 0 of the file is 0x01, not the 0x00 of the IDX magic "
            "(00 00 type rank)");
  EXPECT_EQ(located_error([] { parse_idx(std::string("\x00\x02\x08\x01", 4), "a.idx"); }),
            "a.idx: not an IDX file: byte 1 of the file is 0x02, not the 0x00 of the IDX magic "
            "(00 00 type rank)");
  EXPECT_EQ(located_error([] { parse_idx("\x93NUMPY\x01\x00", "a.idx"); }),
            "a.idx: this is a .npy file, not an IDX file");
  EXPECT_EQ(located_error([] { parse_idx(idx(0x0A, {1}, "x"), "a.idx"); }),
            "a.idx: unknown IDX data type 0x0A (IDX has 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C "
            "int32, 0x0D float32 and 0x0E float64)");
}

TEST(Idx, RefusesAbsurdDims) {
  // (2^32 - 1)^3 overflows int64; it is refused without allocating.
  EXPECT_EQ(located_error([] {
              parse_idx(idx(0x08, {0xffffffff, 0xffffffff, 0xffffffff}, ""), "a.idx");
            }),
            "a.idx: shape (4294967295, 4294967295, 4294967295) of uint8 is more than the "
            "1099511627776 bytes (1 TiB) stride reads");
  // 2^39 int8 values are 2^39 bytes in the file but 2^41 once widened to int32.
  EXPECT_NE(located_error([] {
              parse_idx(idx(0x09, {1u << 20, 1u << 19}, ""), "a.idx");
            }).find("is more than the 1099511627776 bytes"),
            std::string::npos);
  // 2^38 of them (2^40 bytes as int32) is within the cap: only truncated.
  EXPECT_NE(located_error([] {
              parse_idx(idx(0x09, {1u << 20, 1u << 18}, ""), "a.idx");
            }).find("truncated: shape (1048576, 262144) of int8 needs 274877906944 bytes"),
            std::string::npos);
}

TEST(Idx, RefusesCorruptGzip) {
  const std::string gz = slurp(fixture("u8_2x3.idx.gz"));
  // The deflate data starts after the 10-byte gzip header.
  std::string flipped = gz;
  flipped[10] = static_cast<char>(flipped[10] ^ 0xff);
  EXPECT_NE(located_error([&] { parse_idx(flipped, "a.gz"); }).find("a.gz: corrupt gzip data: "),
            std::string::npos);
  // The trailer's CRC-32 (bytes -8..-5) no longer matches the data.
  std::string bad_crc = gz;
  bad_crc[gz.size() - 8] = static_cast<char>(bad_crc[gz.size() - 8] ^ 1);
  EXPECT_EQ(located_error([&] { parse_idx(bad_crc, "a.gz"); }),
            "a.gz: corrupt gzip data: incorrect data check");
  EXPECT_EQ(located_error([&] { parse_idx(gz + "junk", "a.gz"); }),
            "a.gz: 4 bytes after the end of the gzip data are not another gzip member");
  EXPECT_EQ(located_error([&] { parse_idx(gz.substr(0, 30), "a.gz"); }),
            "a.gz: truncated gzip data: the 30 compressed bytes end before the end of the stream");
  // The first member of i16_4_two_members.idx.gz alone: the header without data.
  const std::string header_only = slurp(fixture("i16_4_two_members.idx.gz")).substr(0, 28);
  EXPECT_EQ(located_error([&] { parse_idx(header_only, "a.gz"); }),
            "a.gz: truncated: shape (4,) of int16 needs 8 bytes of data but the decompressed data "
            "has only 0");
}

TEST(Idx, GzipOutputIsCapped) {
  const std::string gz = slurp(fixture("zeros_u8_4096.idx.gz"));
  ASSERT_EQ(gz.size(), 44u);
  EXPECT_EQ(gunzip(gz, "z.gz", 4104).size(), 4104u);  // 8 header bytes + 4096
  EXPECT_EQ(located_error([&] { gunzip(gz, "z.gz", 4103); }),
            "z.gz: gzip data decompresses to more than 4103 bytes, the most stride reads from a "
            "gzip file");
  EXPECT_EQ(
      located_error([&] { gunzip(gz, "z.gz", 100); }),
      "z.gz: gzip data decompresses to more than 100 bytes, the most stride reads from a gzip "
      "file");
}

TEST(Idx, MissingFile) {
  EXPECT_EQ(located_error([] { read_idx("/nonexistent/x.idx.gz"); }),
            "/nonexistent/x.idx.gz: no such file");
}

}  // namespace
}  // namespace stride
