// .npz reading and writing: np.savez and np.savez_compressed archives
// (scripts/make_npy_fixtures.py), round trips, corrupt and hostile
// archives, and NumPy itself reading what stride writes when it is installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "stride/npy.hpp"

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

template <class Fn>
std::string located_error(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.located();
  }
  return "";
}

std::vector<std::string> keys_of(const NamedArrays& arrays) {
  std::vector<std::string> keys;
  for (const auto& [key, array] : arrays) keys.push_back(key);
  return keys;
}

// Replaces every occurrence of `from` by `to` (same length).
std::string patched(std::string bytes, const std::string& from, const std::string& to) {
  for (std::size_t at = bytes.find(from); at != std::string::npos; at = bytes.find(from, at))
    bytes.replace(at, from.size(), to);
  return bytes;
}

void put_u32(std::string& bytes, std::size_t at, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>(value >> (8 * i) & 0xff);
}

// The arrays make_npy_fixtures.py puts in savez.npz, in order.
NamedArrays savez_members() {
  return {{"a", read_npy(fixture("f32_2x3.npy"))},
          {"conv2d/kernel", read_npy(fixture("i32_2x2x2.npy"))},
          {"b", read_npy(fixture("i64_5.npy"))}};
}

class NpzArchive : public ::testing::TestWithParam<const char*> {};

TEST_P(NpzArchive, ReadsKeysInOrderAndValues) {
  const NamedArrays arrays = read_npz(fixture(GetParam()));
  ASSERT_EQ(keys_of(arrays), (std::vector<std::string>{"a", "conv2d/kernel", "b"}));
  const Array& a = arrays[0].second;
  EXPECT_EQ(a.shape, (Shape{2, 3}));
  EXPECT_EQ(a.to_float(), (std::vector<float>{-0.5f, -0.25f, 0, 0.25f, 0.5f, 0.75f}));
  const Array& kernel = arrays[1].second;
  EXPECT_EQ(kernel.dtype, DType::kInt32);
  EXPECT_EQ(kernel.shape, (Shape{2, 2, 2}));
  EXPECT_EQ(kernel.to_float(),
            (std::vector<float>{-4000, -3000, -2000, -1000, 0, 1000, 2000, 3000}));
  const Array& b = arrays[2].second;
  EXPECT_EQ(b.dtype, DType::kInt64);
  EXPECT_EQ(b.to_float(), (std::vector<float>{-0x1p41f, -0x1p40f, 0, 0x1p40f, 0x1p41f}));
}

// Every proper prefix is refused with an error, never a crash.
TEST_P(NpzArchive, EveryTruncationIsAnError) {
  const std::string bytes = slurp(fixture(GetParam()));
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THROW(parse_npz(std::string_view(bytes).substr(0, n), "t.npz"), Error) << n;
}

// Flipped bytes parse or give an error; ASan and UBSan watch for the rest.
TEST_P(NpzArchive, FlippedBytesNeverCrash) {
  const std::string bytes = slurp(fixture(GetParam()));
  int errors = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (const unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ mask);
      try {
        parse_npz(flipped, "f.npz");
      } catch (const Error&) {
        ++errors;
      }
    }
  }
  EXPECT_GT(errors, 0);
}

INSTANTIATE_TEST_SUITE_P(NumPyArchives, NpzArchive,
                         ::testing::Values("savez.npz", "savez_compressed.npz"),
                         [](const auto& info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('.'));
                         });

TEST(Npz, EmptyArchive) {
  EXPECT_TRUE(read_npz(fixture("savez_empty.npz")).empty());
  // The same 22 bytes np.savez writes.
  EXPECT_EQ(serialize_npz({}, false), slurp(fixture("savez_empty.npz")));
}

TEST(Npz, MemberErrorsNameArchiveAndMember) {
  const std::string path = fixture("big_endian_member.npz");
  EXPECT_EQ(located_error([&] { read_npz(path); }),
            path +
                ":conv2d/kernel.npy: dtype '>f4' is not supported (stride reads "
                "little-endian float32, float64, uint8, int32, int64)");
}

TEST(Npz, OnlyNpyMembers) {
  const std::string path = fixture("with_text.npz");
  EXPECT_EQ(located_error([&] { read_npz(path); }),
            path +
                ": member 'notes.txt' is not a .npy array (stride reads .npz archives of .npy "
                "members only)");
}

TEST(Npz, RoundTripsBothCompressions) {
  const NamedArrays arrays = savez_members();
  for (const bool compressed : {false, true}) {
    const std::string bytes = serialize_npz(arrays, compressed);
    EXPECT_EQ(parse_npz(bytes, "r.npz"), arrays) << compressed;
    // Deterministic: no timestamps.
    EXPECT_EQ(serialize_npz(arrays, compressed), bytes);
  }
  // Deflate pays off on zeros.
  std::vector<float> zeros(10000, 0.0f);
  const NamedArrays big = {{"zeros", Array::from_float({100, 100}, zeros.data())}};
  EXPECT_LT(serialize_npz(big, true).size(), 1000u);
  EXPECT_GT(serialize_npz(big, false).size(), 40000u);
  EXPECT_EQ(parse_npz(serialize_npz(big, true), "z.npz"), big);
}

TEST(Npz, DuplicateKeys) {
  NamedArrays arrays = savez_members();
  arrays[2].first = "a";
  EXPECT_EQ(located_error([&] { serialize_npz(arrays, false); }),
            "<input>: the .npz key 'a' appears twice");
  // An archive with two members of one name (renamed in place: CRCs hold).
  arrays[2].first = "c";
  const std::string twice = patched(serialize_npz(arrays, false), "c.npy", "a.npy");
  EXPECT_EQ(located_error([&] { parse_npz(twice, "d.npz"); }),
            "d.npz: not a valid .npz (zip) archive: two members have the same name");
}

TEST(Npz, NotAnArchive) {
  const auto error = [](const std::string& bytes) {
    return located_error([&] { parse_npz(bytes, "n.npz"); });
  };
  EXPECT_EQ(error(""), "n.npz: empty file, not a .npz archive");
  EXPECT_EQ(error(slurp(fixture("f32_2x3.npy"))), "n.npz: this is a .npy file, not a .npz archive");
  EXPECT_EQ(error("hello, this is text and no zip archive"),
            "n.npz: not a valid .npz (zip) archive: Not a zip archive");
}

TEST(Npz, CorruptMemberDataFailsTheCrc) {
  std::string bytes = slurp(fixture("savez.npz"));
  // The first member's data: 128 bytes of .npy header after its magic.
  const std::size_t data = bytes.find("\x93NUMPY") + 128;
  bytes[data] = static_cast<char>(bytes[data] ^ 1);
  EXPECT_EQ(located_error([&] { parse_npz(bytes, "c.npz"); }),
            "c.npz:a.npy: cannot read the member: CRC error");
}

// A deflated member that claims far more than its compressed bytes can
// give is refused before anything is inflated.
TEST(Npz, ZipBombsAreRefused) {
  std::vector<float> zeros(10000, 0.0f);
  std::string bytes = serialize_npz({{"z", Array::from_float({10000}, zeros.data())}}, true);
  // Uncompressed size: offset 22 of the local header, 24 of the central one.
  put_u32(bytes, bytes.find("PK\x03\x04") + 22, 0xfffffff0u);
  put_u32(bytes, bytes.find("PK\x01\x02") + 24, 0xfffffff0u);
  const std::string error = located_error([&] { parse_npz(bytes, "bomb.npz"); });
  EXPECT_NE(error.find("bomb.npz:z.npy: the member claims 4294967280 bytes from "),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("more than deflate can produce"), std::string::npos) << error;
}

// A member whose declared size is smaller than its data.
TEST(Npz, MemberLongerThanDeclared) {
  std::vector<float> values(100, 1.0f);
  std::string bytes = serialize_npz({{"v", Array::from_float({100}, values.data())}}, true);
  put_u32(bytes, bytes.find("PK\x03\x04") + 22, 100);
  put_u32(bytes, bytes.find("PK\x01\x02") + 24, 100);
  EXPECT_THROW(parse_npz(bytes, "long.npz"), Error);
}

class NpzFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stride_npz_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(NpzFiles, WriteThenRead) {
  const NamedArrays arrays = savez_members();
  for (const bool compressed : {false, true}) {
    const std::string path = (dir_ / (compressed ? "c.npz" : "s.npz")).string();
    write_npz(path, arrays, compressed);
    EXPECT_EQ(read_npz(path), arrays);
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);
  const std::string missing_dir = (dir_ / "no" / "w.npz").string();
  EXPECT_THROW(write_npz(missing_dir, arrays, false), Error);
  EXPECT_FALSE(fs::exists(dir_ / "no"));
  const std::string missing = (dir_ / "missing.npz").string();
  EXPECT_EQ(located_error([&] { read_npz(missing); }), missing + ": no such file");
}

// NumPy judges what stride writes, where it is installed (CI has no numpy).
TEST_F(NpzFiles, NumPyReadsWhatStrideWrites) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no /usr/bin/python3 with numpy";
  const NamedArrays arrays = savez_members();
  write_npz((dir_ / "s.npz").string(), arrays, false);
  write_npz((dir_ / "c.npz").string(), arrays, true);
  write_npy((dir_ / "u8.npy").string(), read_npy(fixture("u8_2x3.npy")));
  const std::string check =
      "import numpy as np, sys\n"
      "d = sys.argv[1]\n"
      "a = ((np.arange(6) - 2) / 4).astype('<f4').reshape(2, 3)\n"
      "k = ((np.arange(8) - 4) * 1000).astype('<i4').reshape(2, 2, 2)\n"
      "b = ((np.arange(5) - 2) * 2**40).astype('<i8')\n"
      "for name in ('s.npz', 'c.npz'):\n"
      "    with np.load(d + '/' + name) as z:\n"
      "        assert list(z.keys()) == ['a', 'conv2d/kernel', 'b'], list(z.keys())\n"
      "        for key, want in (('a', a), ('conv2d/kernel', k), ('b', b)):\n"
      "            got = z[key]\n"
      "            assert got.dtype == want.dtype and got.shape == want.shape, key\n"
      "            assert (got == want).all(), key\n"
      "u = np.load(d + '/u8.npy')\n"
      "assert u.dtype == np.uint8 and (u == np.arange(6).reshape(2, 3) * 50 + 3).all()\n";
  std::ofstream(dir_ / "check.py") << check;
  const std::string command =
      "/usr/bin/python3 " + (dir_ / "check.py").string() + " " + dir_.string();
  EXPECT_EQ(std::system(command.c_str()), 0);
}

}  // namespace
}  // namespace stride
