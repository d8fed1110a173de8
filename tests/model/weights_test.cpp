// Model weights: one parameter buffer, Keras initializers (reference §7.6,
// limits worked out by hand below), and .npz files named <layer>/<weight>.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "cli/cli_runner.hpp"
#include "stride/model.hpp"
#include "stride/npy.hpp"

namespace stride {
namespace {

Sequential mnist_like() {
  Sequential m;
  m.input({28, 28, 1});
  m.add("Conv2D(32, kernel_size=(3, 3), activation='relu')");  // kernel (3, 3, 1, 32)
  m.add("BatchNormalization()");
  m.add("Conv2DTranspose(4, 3)");  // kernel (3, 3, 4, 32)
  m.add("Flatten()");
  m.add("Dense(10, kernel_initializer='he_normal')");
  m.build();
  return m;
}

float max_abs(const Tensor& t) {
  float m = 0;
  for (float x : t) m = std::max(m, std::abs(x));
  return m;
}

TEST(Weights, LayersViewOneParameterBuffer) {
  Sequential m = mnist_like();
  EXPECT_EQ(m.parameters().size(), m.count_params());
  // Layer order, then Keras weight order: conv2d kernel first, at offset 0.
  const Layer& conv = m.layer("conv2d");
  EXPECT_EQ(conv.weight("kernel").data(), m.parameters().data());
  EXPECT_EQ(conv.weight("bias").data(), m.parameters().data() + 3 * 3 * 1 * 32);
  m.parameters()[0] = 42.0f;
  EXPECT_EQ(conv.weight("kernel")[0], 42.0f);
}

TEST(Weights, GlorotUniformLimitsFollowKerasFans) {
  Sequential m = mnist_like();
  // Conv2D kernel (3, 3, 1, 32): fan_in = 9 * 1 = 9, fan_out = 9 * 32 = 288,
  // limit = sqrt(6 / (9 + 288)) = 0.142134.
  const Tensor& k = m.layer("conv2d").weight("kernel");
  EXPECT_LE(max_abs(k), 0.142134f);
  EXPECT_GT(max_abs(k), 0.9f * 0.142134f);  // 288 draws reach the edge
  // Conv2DTranspose kernel (3, 3, 4, 32): fan_in = 9 * 4 = 36, fan_out =
  // 9 * 32 = 288, limit = sqrt(6 / 324) = 0.136083.
  const Tensor& t = m.layer("conv2d_transpose").weight("kernel");
  EXPECT_LE(max_abs(t), 0.136083f);
  EXPECT_GT(max_abs(t), 0.9f * 0.136083f);
  EXPECT_EQ(max_abs(m.layer("conv2d").weight("bias")), 0.0f);
}

TEST(Weights, HeNormalIsTruncatedAtTwoStddevs) {
  Sequential m = mnist_like();
  // Dense kernel (3136, 10): conv 28 -> 26, transposed conv 26 -> 26 + 3 - 1 = 28,
  // so Flatten gives 28*28*4 = 3136 inputs. he_normal: fan_in 3136,
  // stddev = sqrt(2 / 3136) / 0.879626 = 0.028712; truncated at 2 stddevs = 0.057424.
  const Tensor& k = m.layer("dense").weight("kernel");
  ASSERT_EQ(k.shape(), (Shape{3136, 10}));
  EXPECT_LE(max_abs(k), 0.057425f);
  double sum_sq = 0;
  for (float x : k) sum_sq += double(x) * x;
  // A unit normal truncated to [-2, 2] has variance 0.879626^2 = 0.773742, so the
  // values' stddev is sqrt(2 / 3136) = 0.025254; 31360 draws land within 2%.
  EXPECT_NEAR(std::sqrt(sum_sq / double(k.size())), 0.025254, 0.0005);
}

TEST(Weights, BatchNormStartsAtOnesAndZeros) {
  Sequential m = mnist_like();
  const Layer& bn = m.layer("batch_normalization");
  for (const char* name : {"gamma", "moving_variance"})
    for (float x : bn.weight(name)) EXPECT_EQ(x, 1.0f) << name;
  for (const char* name : {"beta", "moving_mean"})
    for (float x : bn.weight(name)) EXPECT_EQ(x, 0.0f) << name;
}

TEST(Weights, SeedDecidesTheInitialWeights) {
  Sequential a = mnist_like(), b = mnist_like();
  a.initialize_weights(5);
  b.initialize_weights(5);
  EXPECT_EQ(a.parameters().values(), b.parameters().values());
  b.initialize_weights(6);
  EXPECT_NE(a.parameters().values(), b.parameters().values());
}

TEST(Weights, SaveAndLoadRoundTrip) {
  test::TempDir dir;
  const std::string path = (dir.path() / "w.npz").string();
  Sequential a = mnist_like(), b = mnist_like();
  a.initialize_weights(1);
  b.initialize_weights(2);
  a.save_weights(path, /*compressed=*/true);
  b.load_weights(path);
  EXPECT_EQ(a.parameters().values(), b.parameters().values());
  // Keras names and layouts in the file.
  const NamedArrays arrays = read_npz(path);
  ASSERT_EQ(arrays.size(), 2u + 4u + 2u + 2u);
  EXPECT_EQ(arrays[0].first, "conv2d/kernel");
  EXPECT_EQ(arrays[0].second.shape, (Shape{3, 3, 1, 32}));
  EXPECT_EQ(arrays[5].first, "batch_normalization/moving_variance");
  EXPECT_EQ(arrays[6].first, "conv2d_transpose/kernel");
  EXPECT_EQ(arrays[6].second.shape, (Shape{3, 3, 4, 32}));
}

// A bad file names the array and both shapes, and leaves the model as it was.
TEST(Weights, MissingExtraAndMisshapenArraysAreRefused) {
  test::TempDir dir;
  Sequential m = mnist_like();
  const std::string good = (dir.path() / "good.npz").string();
  m.save_weights(good);
  const NamedArrays arrays = read_npz(good);
  struct Case {
    NamedArrays arrays;
    std::string message;
  };
  NamedArrays missing(arrays.begin() + 1, arrays.end());
  NamedArrays extra = arrays;
  extra.emplace_back("dense/lora", Array::from_float({2}, std::vector<float>{1, 2}.data()));
  NamedArrays misshapen = arrays;
  misshapen[1].second = Array::from_float({31}, std::vector<float>(31).data());
  const std::vector<Case> cases = {
      {missing, "missing weight 'conv2d/kernel' (shape (3, 3, 1, 32)) of Conv2D layer 'conv2d'"},
      {extra,
       "array 'dense/lora' (shape (2,)) matches no weight of the model (weights are named "
       "'<layer name>/<weight name>')"},
      {misshapen, "weight 'conv2d/bias' has shape (31,) in the file, the model expects (32,)"},
  };
  for (const Case& c : cases) {
    for (float& x : m.parameters()) x = 0.5f;
    const std::vector<float> halves = m.parameters().values();
    const std::string path = (dir.path() / "bad.npz").string();
    write_npz(path, c.arrays, false);
    try {
      m.load_weights(path);
      ADD_FAILURE() << "accepted: " << c.message;
    } catch (const Error& e) {
      EXPECT_EQ(e.located(), path + ": " + c.message);
    }
    EXPECT_EQ(m.parameters().values(), halves);
  }
}

TEST(Weights, UnknownInitializerNamesLayerAndWeight) {
  Sequential m;
  m.input({4});
  m.add("Dense(2, kernel_initializer='orthogonal_random')");
  try {
    m.build();
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Dense layer 'dense': weight 'kernel': unknown "
                                         "initializer 'orthogonal_random'"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace stride
