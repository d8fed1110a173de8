// Data sets: Fashion-MNIST from Debian's dataset-fashion-mnist package
// (facts checked with numpy on the same files, the one-liner beside each),
// .npy pairs written here, and Keras's validation_split.
#include "stride/dataset.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>

namespace stride {
namespace {

namespace fs = std::filesystem;

template <class Fn>
std::string located_error(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.located();
  }
  return "";
}

// The package is part of the set-up (scripts/deps.sh): a missing one fails
// here with the install hint rather than skipping.
const Dataset& fashion(bool train) {
  static std::array<Dataset, 2> loaded;
  Dataset& d = loaded[train];
  if (d.size() == 0) {
    try {
      d = load_fashion_mnist(train);
    } catch (const Error& e) {
      ADD_FAILURE() << e.located();
      throw;
    }
  }
  return d;
}

// The raw byte a pixel scaled to [0, 1] came from.
std::int64_t raw(float scaled) {
  return static_cast<std::int64_t>(scaled * 255.0f + 0.5f);
}

std::int64_t raw_sum(const Tensor& t, Dim begin, Dim end) {
  std::int64_t sum = 0;
  for (Dim i = begin; i < end; ++i) sum += raw(t[i]);
  return sum;
}

// The Python lines read the files as keras.datasets.fashion_mnist does, with
// D = '/usr/share/datasets/fashion-mnist/' and
//   y = lambda s: np.frombuffer(gzip.open(D+s+'-labels-idx1-ubyte.gz').read(), np.uint8, offset=8)
//   x = lambda s: np.frombuffer(gzip.open(D+s+'-images-idx3-ubyte.gz').read(), np.uint8,
//                               offset=16).reshape(-1, 28, 28)
TEST(DatasetFashionMnist, TrainingSet) {
  const Dataset& d = fashion(true);
  EXPECT_EQ(d.size(), 60000);
  EXPECT_EQ(d.x.shape(), (Shape{60000, 28, 28, 1}));
  EXPECT_EQ(d.y.shape(), Shape{60000});
  const auto [lo, hi] = std::minmax_element(d.x.begin(), d.x.end());
  EXPECT_EQ(*lo, 0.0f);
  EXPECT_EQ(*hi, 1.0f);
  // y('train')[:5] -> [9 0 0 3 0]
  EXPECT_EQ(std::vector<float>(d.y.begin(), d.y.begin() + 5), (std::vector<float>{9, 0, 0, 3, 0}));
  // np.bincount(y('train')) -> 6000 of each class 0..9
  std::array<int, 10> per_class{};
  for (float label : d.y) ++per_class.at(static_cast<std::size_t>(label));
  EXPECT_EQ(per_class,
            (std::array<int, 10>{6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000}));
  // x('train')[0, 14, 14] -> 217, and (x.astype('float32') / 255)[0, 14, 14] == float32(217 / 255)
  EXPECT_EQ(d.x[14 * 28 + 14], 217.0f / 255.0f);
  // int(x('train')[0].sum()) -> 76247; int(x('train')[-1].sum()) -> 16684
  EXPECT_EQ(raw_sum(d.x, 0, 784), 76247);
  EXPECT_EQ(raw_sum(d.x, 59999 * 784, 60000 * 784), 16684);
  // int(x('train').sum()) -> 3431114169
  EXPECT_EQ(raw_sum(d.x, 0, d.x.size()), 3431114169);
}

TEST(DatasetFashionMnist, TestSet) {
  const Dataset& d = fashion(false);
  EXPECT_EQ(d.x.shape(), (Shape{10000, 28, 28, 1}));
  EXPECT_EQ(d.y.shape(), Shape{10000});
  // y('t10k')[:5] -> [9 2 1 1 6]
  EXPECT_EQ(std::vector<float>(d.y.begin(), d.y.begin() + 5), (std::vector<float>{9, 2, 1, 1, 6}));
  // int(x('t10k')[0].sum()) -> 33456; int(x('t10k')[-1].sum()) -> 24390
  EXPECT_EQ(raw_sum(d.x, 0, 784), 33456);
  EXPECT_EQ(raw_sum(d.x, 9999 * 784, 10000 * 784), 24390);
  // int(x('t10k').sum()) -> 573469082
  EXPECT_EQ(raw_sum(d.x, 0, d.x.size()), 573469082);
}

TEST(DatasetFashionMnist, UnscaledPixelsAreTheBytes) {
  const Dataset d = load_fashion_mnist(false, DatasetOptions{.scale = false});
  EXPECT_EQ(*std::max_element(d.x.begin(), d.x.end()), 255.0f);
  double first = 0;
  for (Dim i = 0; i < 784; ++i) first += d.x[i];
  EXPECT_EQ(first, 33456);  // as above
  EXPECT_EQ(d.y[4], 6.0f);
}

// Compact storage keeps the bytes and converts batches to exactly the values
// the float32 form holds.
TEST(DatasetFashionMnist, CompactBatchesEqualTheFloatExamples) {
  const Dataset floats = load_fashion_mnist(false);
  const Dataset compact = load_fashion_mnist(false, {.compact = true});
  EXPECT_TRUE(compact.x.empty());
  ASSERT_TRUE(compact.pixels);
  EXPECT_EQ(compact.pixels->bytes->size(), std::size_t{10000 * 784});  // a byte per pixel
  EXPECT_EQ(compact.size(), 10000);
  EXPECT_EQ(compact.x_shape(), (Shape{10000, 28, 28, 1}));
  EXPECT_EQ(compact.y.values(), floats.y.values());
  const std::vector<Dim> order = {9999, 0, 4, 5000, 1};
  const Tensor batch = compact.x_batch(order, 1, 4);  // examples 0, 4, 5000, 1
  EXPECT_EQ(batch.shape(), (Shape{4, 28, 28, 1}));
  EXPECT_EQ(batch.values(), floats.x_batch(order, 1, 4).values());
  for (Dim i = 0; i < 784; ++i) ASSERT_EQ(batch[784 + i], floats.x[4 * 784 + i]) << i;
  // The validation split is a view of the same bytes.
  const auto [train, val] = split_validation(compact, 0.1);
  EXPECT_EQ(train.size(), 9000);
  EXPECT_EQ(val.x_shape(), (Shape{1000, 28, 28, 1}));
  EXPECT_EQ(val.pixels->bytes, compact.pixels->bytes);
  EXPECT_EQ(val.x_batch({0, 999}, 0, 2).values(), floats.x_batch({9000, 9999}, 0, 2).values());
}

// A hand-made store too small for its shape, or an example out of range, is
// an error rather than a read past the bytes.
TEST(DatasetCompact, InconsistentStoresAndIndicesAreErrors) {
  auto store = std::make_shared<PixelStore>();
  store->bytes = std::make_shared<const std::vector<unsigned char>>(5, 1);
  store->shape = {3, 2};
  const Dataset d{Tensor(), Tensor({3}), store};
  EXPECT_THROW(d.x_batch({0}, 0, 1), Error);
  auto fine = std::make_shared<PixelStore>(*store);
  fine->bytes = std::make_shared<const std::vector<unsigned char>>(6, 1);
  const Dataset ok{Tensor(), Tensor({3}), fine};
  EXPECT_EQ(ok.x_batch({2}, 0, 1).values(), (std::vector<float>{1, 1}));
  EXPECT_THROW(ok.x_batch({3}, 0, 1), Error);
  const Dataset floats{Tensor({3, 2}), Tensor({3})};
  EXPECT_THROW(floats.x_batch({-1}, 0, 1), Error);
}

class DatasetFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stride_dataset_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // An array of `dtype` from little-endian bytes.
  static Array array(DType dtype, Shape shape, std::vector<unsigned char> bytes) {
    return Array{dtype, std::move(shape), std::move(bytes)};
  }
  // A plain IDX uint8 file of this shape, every byte `fill`.
  void write_idx_u8(const std::string& name, const std::vector<std::uint32_t>& dims,
                    unsigned char fill, std::size_t index = 0, unsigned char at_index = 0) {
    std::string out{'\0', '\0', '\x08', static_cast<char>(dims.size())};
    std::size_t count = 1;
    for (std::uint32_t d : dims) {
      for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(d >> shift & 0xff);
      count *= d;
    }
    std::string data(count, static_cast<char>(fill));
    if (index < count) data[index] = static_cast<char>(at_index);
    std::ofstream(path(name), std::ios::binary) << out << data;
  }
  fs::path dir_;
};

TEST_F(DatasetFiles, FashionMnistMissingGivesTheInstallHint) {
  EXPECT_EQ(located_error([&] { load_fashion_mnist(true, {}, dir_.string()); }),
            path("train-images-idx3-ubyte.gz") + ": Fashion-MNIST not found in " + dir_.string() +
                ": install Debian's dataset-fashion-mnist package (apt-get install "
                "dataset-fashion-mnist)");
}

// Uncompressed files with the same names are read too, and checked.
TEST_F(DatasetFiles, FashionMnistFilesAreChecked) {
  write_idx_u8("t10k-labels-idx1-ubyte", {3}, 0);
  EXPECT_EQ(located_error([&] { load_fashion_mnist(false, {}, dir_.string()); }),
            path("t10k-images-idx3-ubyte.gz") + ": Fashion-MNIST not found in " + dir_.string() +
                ": install Debian's dataset-fashion-mnist package (apt-get install "
                "dataset-fashion-mnist)");
  write_idx_u8("t10k-images-idx3-ubyte", {1, 28, 28}, 0);
  EXPECT_EQ(located_error([&] { load_fashion_mnist(false, {}, dir_.string()); }),
            path("t10k-labels-idx1-ubyte") +
                ": not Fashion-MNIST's test labels: expected shape (10000,) of uint8, found shape "
                "(3,) of uint8");
  write_idx_u8("t10k-labels-idx1-ubyte", {10000}, 9, 5, 10);
  EXPECT_EQ(located_error([&] { load_fashion_mnist(false, {}, dir_.string()); }),
            path("t10k-labels-idx1-ubyte") +
                ": label 10 of example 5 is not one of Fashion-MNIST's classes 0..9");
  write_idx_u8("t10k-labels-idx1-ubyte", {10000}, 9);
  EXPECT_EQ(located_error([&] { load_fashion_mnist(false, {}, dir_.string()); }),
            path("t10k-images-idx3-ubyte") +
                ": not Fashion-MNIST's test images: expected shape (10000, 28, 28) of uint8, found "
                "shape (1, 28, 28) of uint8");
  write_idx_u8("t10k-images-idx3-ubyte", {10000, 28, 28}, 51, 784, 255);
  const Dataset d = load_fashion_mnist(false, {}, dir_.string());
  EXPECT_EQ(d.x.shape(), (Shape{10000, 28, 28, 1}));
  EXPECT_EQ(d.x[0], 0.2f);  // 51 / 255 in float32
  EXPECT_EQ(d.x[784], 1.0f);
  EXPECT_EQ(d.y[9999], 9.0f);
}

TEST_F(DatasetFiles, NpyPairScalesOnlyUint8) {
  write_npy(path("x8.npy"), array(DType::kUInt8, {3, 2}, {0, 51, 102, 153, 204, 255}));
  write_npy(path("y.npy"),
            array(DType::kInt64, {3}, {2,    0,    0,    0,    0,    0,    0,    0,        //
                                       0,    0,    0,    1,    0,    0,    0,    0,        // 2^24
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));  // -1
  const Dataset scaled = load_npy_dataset(path("x8.npy"), path("y.npy"));
  EXPECT_EQ(scaled.size(), 3);
  EXPECT_EQ(scaled.x.shape(), (Shape{3, 2}));  // the shape is kept: no channel axis added
  // k / 255 for k = 0, 51, ..., 255: 0, 0.2, 0.4, 0.6, 0.8, 1 in float32.
  EXPECT_EQ(scaled.x.values(), (std::vector<float>{0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f}));
  EXPECT_EQ(scaled.y.values(), (std::vector<float>{2, 16777216, -1}));

  const Dataset raw = load_npy_dataset(path("x8.npy"), path("y.npy"), {.scale = false});
  EXPECT_EQ(raw.x.values(), (std::vector<float>{0, 51, 102, 153, 204, 255}));
  const Dataset compact = load_npy_dataset(path("x8.npy"), path("y.npy"), {.compact = true});
  EXPECT_EQ(compact.x_batch({2, 1, 0}, 0, 3).values(),
            (std::vector<float>{0.8f, 1.0f, 0.4f, 0.6f, 0.0f, 0.2f}));
  const Dataset compact_raw =
      load_npy_dataset(path("x8.npy"), path("y.npy"), {.scale = false, .compact = true});
  EXPECT_EQ(compact_raw.x_batch({1}, 0, 1).values(), (std::vector<float>{102, 153}));

  const std::vector<float> values = {-3.5f, 0.0f, 2.0f, 300.0f, 1e-3f, 7.0f};
  write_npy(path("xf.npy"), Array::from_float({3, 1, 2}, values.data()));
  const std::vector<float> one_hot = {0, 1, 1, 0, 0.5f, 0.5f};
  write_npy(path("yf.npy"), Array::from_float({3, 2}, one_hot.data()));
  const Dataset floats = load_npy_dataset(path("xf.npy"), path("yf.npy"));
  EXPECT_EQ(floats.x.shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(floats.x.values(), values);  // float32 is never scaled
  EXPECT_EQ(floats.y.shape(), (Shape{3, 2}));
  EXPECT_EQ(floats.y.values(), one_hot);
}

TEST_F(DatasetFiles, NpyPairErrors) {
  write_npy(path("x.npy"), array(DType::kUInt8, {3, 2}, {1, 2, 3, 4, 5, 6}));
  write_npy(path("y2.npy"), array(DType::kUInt8, {2}, {0, 1}));
  EXPECT_EQ(located_error([&] { load_npy_dataset(path("x.npy"), path("y2.npy")); }),
            path("y2.npy") + ": " + path("y2.npy") + " holds 2 labels but " + path("x.npy") +
                " holds 3 examples; the first dimensions must match");

  write_npy(path("y3d.npy"), array(DType::kUInt8, {3, 1, 1}, {0, 1, 2}));
  EXPECT_EQ(located_error([&] { load_npy_dataset(path("x.npy"), path("y3d.npy")); }),
            path("y3d.npy") +
                ": labels must be rank 1 (one per example) or rank 2 (one row per "
                "example), not shape (3, 1, 1) of uint8");

  // 2^24 + 1 = 0x01000001 has no float32.
  write_npy(path("ybig.npy"), array(DType::kInt32, {3}, {0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(located_error([&] { load_npy_dataset(path("x.npy"), path("ybig.npy")); }),
            path("ybig.npy") +
                ": label 16777217 (element 1) is beyond 2^24 = 16777216, past which "
                "float32 cannot hold every integer");

  write_npy(path("scalar.npy"), array(DType::kUInt8, {}, {1}));
  EXPECT_EQ(
      located_error([&] { load_npy_dataset(path("scalar.npy"), path("y2.npy")); }),
      path("scalar.npy") + ": the examples are a scalar; they need a first (batch) dimension");

  EXPECT_EQ(located_error([&] { load_npy_dataset(path("x.npy"), path("none.npy")); }),
            path("none.npy") + ": no such file");
}

// Ten examples whose values are their index.
Dataset ten() {
  std::vector<float> x, y;
  for (int i = 0; i < 10; ++i) {
    x.insert(x.end(), {float(i), float(i)});
    y.push_back(float(i));
  }
  return {Tensor({10, 2}, x), Tensor({10}, y)};
}

TEST(DatasetSplit, LastFractionIsValidation) {
  // floor(10 * (1 - 0.2)) = 8: examples 0..7 train, 8 and 9 validate.
  const auto [train, val] = split_validation(ten(), 0.2);
  EXPECT_EQ(train.x.shape(), (Shape{8, 2}));
  EXPECT_EQ(train.y.values(), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(val.x.values(), (std::vector<float>{8, 8, 9, 9}));
  EXPECT_EQ(val.y.values(), (std::vector<float>{8, 9}));
  // floor(10 * 0.75) = 7 and floor(10 * (1 - 0.01)) = floor(9.9) = 9.
  EXPECT_EQ(split_validation(ten(), 0.25).second.y.values(), (std::vector<float>{7, 8, 9}));
  EXPECT_EQ(split_validation(ten(), 0.01).second.y.values(), (std::vector<float>{9}));
}

TEST(DatasetSplit, Errors) {
  for (double fraction : {0.0, 1.0, -0.1, 1.5, std::nan("")})
    EXPECT_NE(located_error([&] {
                split_validation(ten(), fraction);
              }).find("validation_split must be between 0 and 1 (both excluded), got "),
              std::string::npos)
        << fraction;
  // floor(10 * (1 - 0.05)) = floor(9.5) = 9 is fine; floor(1 * 0.5) = 0 leaves no training data.
  const Dataset one{Tensor({1, 2}, {0, 0}), Tensor({1}, {0})};
  EXPECT_EQ(located_error([&] { split_validation(one, 0.5); }),
            "<input>: Training data contains 1 samples, which is not sufficient to split it into a "
            "validation and training set as specified by `validation_split=0.5`. Either provide "
            "more data, or a different value for the `validation_split` argument.");
  const Dataset mismatched{Tensor({3, 2}), Tensor({2})};
  EXPECT_EQ(located_error([&] { split_validation(mismatched, 0.5); }),
            "<input>: cannot split examples of shape (3, 2) with labels of shape (2,): the first "
            "dimensions must match");
}

}  // namespace
}  // namespace stride
