// .npy reading and writing: NumPy-written reference files
// (scripts/make_npy_fixtures.py; the values are the formulas it documents),
// byte-exact headers, hand-made headers NumPy would accept or refuse, and
// truncated or corrupt files.
#include "stride/npy.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace stride {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  return std::string(STRIDE_SOURCE_DIR) + "/tests/data/npy/" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// "FILE: message" of the stride::Error `fn` throws ("" if none).
template <class Fn>
std::string located_error(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.located();
  }
  return "";
}

// A version 1.0 .npy file with this header dict text, unpadded.
std::string npy_with_header(const std::string& dict, const std::string& data = "") {
  const std::size_t length = dict.size() + 1;
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(length & 0xff);
  out += static_cast<char>(length >> 8);
  return out + dict + "\n" + data;
}

// The message parsing this header gives ("" if it parses).
std::string header_error(const std::string& dict, const std::string& data = "") {
  return located_error([&] { parse_npy(npy_with_header(dict, data), "h.npy"); });
}

std::vector<float> formula(int n, float (*f)(int)) {
  std::vector<float> out;
  for (int i = 0; i < n; ++i) out.push_back(f(i));
  return out;
}

struct FixtureCase {
  const char* file;
  DType dtype;
  Shape shape;
  std::vector<float> values;
};

// Names the case in test listings (instead of gtest's bytes dump).
void PrintTo(const FixtureCase& c, std::ostream* os) {
  *os << c.file;
}

class NpyFixture : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(NpyFixture, ReadsShapeDtypeAndValues) {
  const FixtureCase& c = GetParam();
  const Array a = read_npy(fixture(c.file));
  EXPECT_EQ(a.dtype, c.dtype);
  EXPECT_EQ(a.shape, c.shape);
  EXPECT_EQ(a.size(), static_cast<Dim>(c.values.size()));
  EXPECT_EQ(a.bytes.size(), c.values.size() * dtype_size(c.dtype));
  EXPECT_EQ(a.to_float(), c.values);
}

// NumPy writes these with version 1.0 headers; ours must be the same bytes.
TEST_P(NpyFixture, SerializesToNumPysBytes) {
  const std::string bytes = slurp(fixture(GetParam().file));
  if (bytes[6] != 1) GTEST_SKIP() << "stride writes version 1.0 headers";
  EXPECT_EQ(serialize_npy(parse_npy(bytes, "f.npy")), bytes);
}

// Every proper prefix of a valid file is refused with an error, never a crash.
TEST_P(NpyFixture, EveryTruncationIsAnError) {
  const std::string bytes = slurp(fixture(GetParam().file));
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THROW(parse_npy(std::string_view(bytes).substr(0, n), "t.npy"), Error) << n;
}

// Flipped bytes either parse or give an error (ASan/UBSan watch the rest);
// in the data they change exactly that byte.
TEST_P(NpyFixture, FlippedBytesNeverCrash) {
  const std::string bytes = slurp(fixture(GetParam().file));
  const Array original = parse_npy(bytes, "f.npy");
  const std::size_t data_start = bytes.size() - original.bytes.size();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (const unsigned char mask : {0x01, 0x20, 0x80, 0xff}) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ mask);
      try {
        const Array a = parse_npy(flipped, "f.npy");
        if (i >= data_start)
          EXPECT_EQ(a.bytes[i - data_start], original.bytes[i - data_start] ^ mask);
      } catch (const Error&) {
        EXPECT_LT(i, data_start) << "a flip in the data is still a valid array";
      }
    }
  }
}

// The formulas make_npy_fixtures.py documents.
const std::vector<float> kF32 = formula(6, [](int i) { return (i - 2) / 4.0f; });
const std::vector<float> kF64 = formula(4, [](int i) { return i / 8.0f + 1; });
const std::vector<float> kU8 = formula(6, [](int i) { return i * 50.0f + 3; });
const std::vector<float> kI32 = formula(8, [](int i) { return (i - 4) * 1000.0f; });
// Multiples of 2^40 are exact in float32.
const std::vector<float> kI64 = formula(5, [](int i) { return std::ldexp(i - 2.0f, 40); });

INSTANTIATE_TEST_SUITE_P(
    NumPyFiles, NpyFixture,
    ::testing::Values(FixtureCase{"f32_2x3.npy", DType::kFloat32, {2, 3}, kF32},
                      FixtureCase{"f32_v2.npy", DType::kFloat32, {2, 3}, kF32},
                      FixtureCase{"f32_v3.npy", DType::kFloat32, {2, 3}, kF32},
                      FixtureCase{"f64_4.npy", DType::kFloat64, {4}, kF64},
                      FixtureCase{"u8_2x3.npy", DType::kUInt8, {2, 3}, kU8},
                      FixtureCase{"i32_2x2x2.npy", DType::kInt32, {2, 2, 2}, kI32},
                      FixtureCase{"i64_5.npy", DType::kInt64, {5}, kI64},
                      FixtureCase{"scalar_f64.npy", DType::kFloat64, {}, {2.5f}},
                      FixtureCase{"empty_f32_0x3.npy", DType::kFloat32, {0, 3}, {}}),
    [](const auto& info) {
      std::string name = info.param.file;
      return name.substr(0, name.find('.'));
    });

TEST(Npy, Int64KeepsEveryBit) {
  const Array a = read_npy(fixture("i64_5.npy"));
  for (int i = 0; i < 5; ++i) {
    std::int64_t v;
    std::memcpy(&v, a.bytes.data() + 8 * i, 8);
    EXPECT_EQ(v, (i - 2) * (std::int64_t{1} << 40));
  }
}

TEST(Npy, UnsupportedNumPyFilesSayWhy) {
  const std::string tail =
      " is not supported (stride reads little-endian float32, float64, "
      "uint8, int32, int64)";
  const auto error = [](const std::string& name) {
    return located_error([&] { read_npy(fixture(name)); });
  };
  EXPECT_EQ(error("big_endian_f4.npy"), fixture("big_endian_f4.npy") + ": dtype '>f4'" + tail);
  EXPECT_EQ(error("object.npy"), fixture("object.npy") + ": dtype '|O'" + tail);
  EXPECT_EQ(error("bool.npy"), fixture("bool.npy") + ": dtype '|b1'" + tail);
  EXPECT_EQ(error("fortran_f32_2x3.npy"),
            fixture("fortran_f32_2x3.npy") +
                ": fortran_order True is not supported: stride reads C-order arrays (save "
                "np.ascontiguousarray(a) instead)");
}

TEST(Npy, FromFloatSerializesLikeNumPy) {
  const Array a = Array::from_float({2, 3}, kF32.data());
  EXPECT_EQ(a.dtype, DType::kFloat32);
  EXPECT_EQ(a.to_float(), kF32);
  EXPECT_EQ(serialize_npy(a), slurp(fixture("f32_2x3.npy")));
}

// Read from a version 2.0 or 3.0 file, written as NumPy writes by default.
TEST(Npy, OtherHeaderVersionsAreRewrittenAsVersion1) {
  for (const char* file : {"f32_v2.npy", "f32_v3.npy"})
    EXPECT_EQ(serialize_npy(read_npy(fixture(file))), slurp(fixture("f32_2x3.npy"))) << file;
}

TEST(Npy, DtypeNamesAndSizes) {
  EXPECT_EQ(dtype_name(DType::kFloat32), "float32");
  EXPECT_EQ(dtype_name(DType::kFloat64), "float64");
  EXPECT_EQ(dtype_name(DType::kUInt8), "uint8");
  EXPECT_EQ(dtype_name(DType::kInt32), "int32");
  EXPECT_EQ(dtype_name(DType::kInt64), "int64");
  EXPECT_EQ(dtype_size(DType::kFloat32), 4u);
  EXPECT_EQ(dtype_size(DType::kFloat64), 8u);
  EXPECT_EQ(dtype_size(DType::kUInt8), 1u);
  EXPECT_EQ(dtype_size(DType::kInt32), 4u);
  EXPECT_EQ(dtype_size(DType::kInt64), 8u);
}

// Headers NumPy's literal_eval accepts, written differently from np.save.
TEST(Npy, HeaderParsingIsRobust) {
  const std::string two_floats("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);  // 1.0f, -2.0f
  for (const std::string& dict : {
           "{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}",
           "{ \"descr\" :\t'<f4' ,\n'fortran_order':False,'shape':( 2 , ) , }   ",
           "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }",  // Python 2
           "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",    // same layout as C
       }) {
    SCOPED_TRACE(dict);
    const Array a = parse_npy(npy_with_header(dict, two_floats), "h.npy");
    EXPECT_EQ(a.shape, Shape{2});
    EXPECT_EQ(a.to_float(), (std::vector<float>{1.0f, -2.0f}));
  }
  const Array bytes = parse_npy(
      npy_with_header("{'descr': '<u1', 'fortran_order': True, 'shape': (1, 2, 1)}", "\x07\x09"),
      "h.npy");
  EXPECT_EQ(bytes.dtype, DType::kUInt8);
  EXPECT_EQ(bytes.shape, (Shape{1, 2, 1}));
  EXPECT_EQ(bytes.to_float(), (std::vector<float>{7, 9}));
}

TEST(Npy, BadHeadersGiveClearErrors) {
  const std::string ok_rest = "'fortran_order': False, 'shape': (2,)}";
  EXPECT_EQ(header_error("{'descr': '>f8', " + ok_rest),
            "h.npy: dtype '>f8' is not supported (stride reads little-endian float32, float64, "
            "uint8, int32, int64)");
  // NumPy never writes '=' (dtype.str is always explicit).
  EXPECT_EQ(header_error("{'descr': '=f4', " + ok_rest).substr(0, 36),
            "h.npy: dtype '=f4' is not supported ");
  EXPECT_EQ(header_error("{'descr': [('x', '<f4')], " + ok_rest),
            "h.npy: dtype [('x', '<f4')] is not supported: stride reads plain arrays of "
            "little-endian float32, float64, uint8, int32, int64, not structured dtypes");
  EXPECT_EQ(header_error("{'descr': '<f4', 'fortran_order': False}"),
            "h.npy: the .npy header has no 'shape'");
  EXPECT_EQ(header_error("{'descr': '<f4', 'descr': '<f4', " + ok_rest),
            "h.npy: the .npy header repeats the key 'descr'");
  EXPECT_EQ(header_error("{'descr': '<f4', 'extra': 1, " + ok_rest),
            "h.npy: the .npy header has an unexpected key 'extra' (NumPy writes exactly 'descr', "
            "'fortran_order' and 'shape')");
  EXPECT_EQ(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': [2]}"),
            "h.npy: 'shape' must be a tuple of integers, got [2]");
  EXPECT_EQ(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}"),
            "h.npy: 'shape' must be a tuple of integers, got (2)");
  EXPECT_EQ(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}"),
            "h.npy: shape (2, -3) has a negative dimension");
  EXPECT_EQ(
      header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}"),
      "h.npy: shape (99999999999999999999,) has a dimension that does not fit 64 bits");
  EXPECT_EQ(header_error("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}"),
            "h.npy: 'fortran_order' must be True or False, got 0");
  EXPECT_EQ(header_error("{'descr': '<f4' 'fortran_order': False}"),
            "h.npy: malformed .npy header: expected ',' or '}' after a value at character 16 of "
            "\"{'descr': '<f4' 'fortran_order': False}\"");
  EXPECT_EQ(header_error("{'descr': '<f4\x01, "),
            "h.npy: malformed .npy header: unterminated string at character 11 of \"{'descr': "
            "'<f4\\x01,\"");
  EXPECT_EQ(header_error(""),
            "h.npy: malformed .npy header: expected '{' opening the header dict "
            "at character 0 of \"\"");
  EXPECT_EQ(header_error("{'descr': '<f4', " + ok_rest + " x"),
            "h.npy: malformed .npy header: unexpected text after the header dict at character 56 "
            "of \"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x\"");
  // Deep nesting is refused before it can exhaust the stack.
  const std::string deep = std::string(10000, '(') + std::string(10000, ')');
  EXPECT_NE(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': " + deep + "}")
                .find("nesting too deep"),
            std::string::npos);
}

TEST(Npy, HugeShapesAreRefusedWithoutAllocating) {
  const std::string huge =
      "h.npy: shape (99999999999, 99999999999) of float32 is more than "
      "the 1099511627776 bytes (1 TiB) stride reads";
  EXPECT_EQ(
      header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999)}"),
      huge);
  // 2^38 float32 is exactly 1 TiB, one more element is too much.
  EXPECT_EQ(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (274877906945,)}"),
            "h.npy: shape (274877906945,) of float32 is more than the 1099511627776 bytes "
            "(1 TiB) stride reads");
  EXPECT_EQ(header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (274877906944,)}"),
            "h.npy: truncated: shape (274877906944,) of float32 needs 1099511627776 bytes of "
            "data but only 0 are present");
  // The element count overflows 64 bits.
  EXPECT_NE(header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, "
                         "4294967296, 4294967296)}")
                .find("is more than the 1099511627776 bytes"),
            std::string::npos);
  // A zero dimension makes any other dimension harmless.
  const Array empty =
      parse_npy(npy_with_header(
                    "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 9223372036854775807)}"),
                "h.npy");
  EXPECT_EQ(empty.size(), 0);
  // Also where the dimensions before the zero overflow 64 bits (found by
  // fuzz_npy): it parses, holds nothing, converts and round-trips.
  const Array overflowing_empty =
      parse_npy(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                "(9223372036854775807, 2, 0)}"),
                "h.npy");
  EXPECT_EQ(overflowing_empty.size(), 0);
  EXPECT_TRUE(overflowing_empty.to_float().empty());
  EXPECT_EQ(parse_npy(serialize_npy(overflowing_empty), "again.npy"), overflowing_empty);
}

TEST(Npy, DataMustMatchTheShape) {
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(header_error(dict, std::string(20, '\0')),
            "h.npy: truncated: shape (2, 3) of float32 needs 24 bytes of data but only 20 are "
            "present");
  EXPECT_EQ(header_error(dict, std::string(30, '\0')),
            "h.npy: 6 bytes follow the 24 bytes of data of shape (2, 3) of float32 (several "
            "arrays in one file?); stride reads one array per .npy");
  EXPECT_EQ(header_error(dict, std::string(24, '\0')), "");
}

TEST(Npy, BadPreambles) {
  const auto error = [](const std::string& bytes) {
    return located_error([&] { parse_npy(bytes, "p.npy"); });
  };
  EXPECT_EQ(error(""), "p.npy: truncated: 0 bytes, too short for a .npy file");
  EXPECT_EQ(error("\x93NUM"), "p.npy: truncated: 4 bytes, too short for a .npy file");
  EXPECT_EQ(error("hello world"), "p.npy: not a .npy file: it does not start with \\x93NUMPY");
  EXPECT_EQ(error(slurp(fixture("savez.npz"))),
            "p.npy: this is a zip archive (an .npz?), not a .npy file");
  EXPECT_EQ(error(std::string("\x93NUMPY\x04\x00\x10\x00", 10)),
            "p.npy: unsupported .npy format version 4.0 (stride reads 1.0, 2.0 and 3.0)");
  EXPECT_EQ(error(std::string("\x93NUMPY\x01\x01\x10\x00", 10)),
            "p.npy: unsupported .npy format version 1.1 (stride reads 1.0, 2.0 and 3.0)");
  EXPECT_EQ(error(std::string("\x93NUMPY\x02\x00\x10\x00", 10)),
            "p.npy: truncated: 10 bytes, shorter than the 12-byte .npy preamble");
  EXPECT_EQ(error(std::string("\x93NUMPY\x01\x00\xff\xff{}\n", 13)),
            "p.npy: the header length 65535 goes beyond the end of the file (13 bytes): "
            "truncated or not a .npy file");
  EXPECT_EQ(error(std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff{}\n", 15)),
            "p.npy: the header length 4294967295 goes beyond the end of the file (15 bytes): "
            "truncated or not a .npy file");
}

// A header too long for version 1.0's 16-bit length field needs 2.0; NumPy
// never gets there (at most 32 or 64 dims), but the rule is NumPy's.
TEST(Npy, LongHeadersUseVersion2) {
  Array a;
  a.dtype = DType::kUInt8;
  a.shape = Shape(30000, 1);
  a.shape[0] = 3;
  a.bytes = {1, 2, 3};
  const std::string bytes = serialize_npy(a);
  ASSERT_EQ(bytes[6], 2);
  std::uint32_t header_length;
  std::memcpy(&header_length, bytes.data() + 8, 4);
  EXPECT_EQ((12 + header_length) % 64, 0u);
  EXPECT_EQ(bytes[12 + header_length - 1], '\n');
  EXPECT_EQ(parse_npy(bytes, "long.npy"), a);
}

TEST(Npy, InconsistentArraysAreRefused) {
  Array a;
  a.shape = {2, 3};
  a.bytes.resize(20);
  EXPECT_EQ(located_error([&] { serialize_npy(a); }),
            "<input>: the array of shape (2, 3) of float32 holds 20 bytes, not the 6 x 4 it "
            "needs");
  EXPECT_THROW(a.to_float(), Error);
  a.shape = {2, -3};
  EXPECT_THROW(a.size(), Error);
  a.shape = {Dim{1} << 40, Dim{1} << 40};
  EXPECT_THROW(a.size(), Error);
}

class NpyFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stride_npy_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, ec);
    fs::remove_all(dir_, ec);
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string temp_name(const std::string& target) const {
    return target + ".tmp." + std::to_string(::getpid());
  }
  fs::path dir_;
  const Array array_ = read_npy(fixture("i32_2x2x2.npy"));
};

TEST_F(NpyFiles, WriteThenReadGivesTheSameArray) {
  const std::string path = (dir_ / "a.npy").string();
  write_npy(path, array_);
  EXPECT_EQ(read_npy(path), array_);
  EXPECT_EQ(slurp(path), slurp(fixture("i32_2x2x2.npy")));
  EXPECT_EQ(entries(), std::vector<std::string>{"a.npy"});  // no temporary file left
  // Overwriting replaces the file.
  write_npy(path, read_npy(fixture("u8_2x3.npy")));
  EXPECT_EQ(slurp(path), slurp(fixture("u8_2x3.npy")));
}

TEST_F(NpyFiles, ReadErrorsNameTheFile) {
  const std::string missing = (dir_ / "missing.npy").string();
  EXPECT_EQ(located_error([&] { read_npy(missing); }), missing + ": no such file");
  EXPECT_EQ(located_error([&] { read_npy(dir_.string()); }),
            dir_.string() + ": is a directory, not a file");
}

TEST_F(NpyFiles, WriteIntoAMissingDirectoryLeavesNothing) {
  const std::string path = (dir_ / "no" / "a.npy").string();
  const std::string error = located_error([&] { write_npy(path, array_); });
  EXPECT_EQ(error, path + ": cannot write: cannot create the temporary file " + temp_name(path) +
                       ": No such file or directory");
  EXPECT_TRUE(entries().empty());
}

// The temporary file cannot be created (its name is taken by a directory):
// the existing target keeps its bytes.
TEST_F(NpyFiles, FailedWriteLeavesTheTargetIntact) {
  const std::string path = (dir_ / "a.npy").string();
  std::ofstream(path) << "precious";
  fs::create_directory(temp_name(path));
  EXPECT_THROW(write_npy(path, array_), Error);
  EXPECT_EQ(slurp(path), "precious");
}

// Renaming over a directory fails after the temporary file was written:
// the temporary file is removed.
TEST_F(NpyFiles, FailedRenameRemovesTheTemporaryFile) {
  const std::string path = (dir_ / "target").string();
  fs::create_directories(dir_ / "target" / "inside");
  const std::string error = located_error([&] { write_npy(path, array_); });
  EXPECT_NE(error.find(": cannot write: renaming " + temp_name(path) + " to " + path + ": "),
            std::string::npos)
      << error;
  EXPECT_EQ(entries(), std::vector<std::string>{"target"});
}

TEST_F(NpyFiles, ReadOnlyDirectory) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes into read-only directories";
  const std::string path = (dir_ / "a.npy").string();
  std::ofstream(path) << "precious";
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THROW(write_npy(path, array_), Error);
  fs::permissions(dir_, fs::perms::owner_all);
  EXPECT_EQ(slurp(path), "precious");
  EXPECT_EQ(entries(), std::vector<std::string>{"a.npy"});
}

}  // namespace
}  // namespace stride
