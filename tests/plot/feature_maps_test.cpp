// feature_maps and conv2d_kernel on a 1x1 convolution with hand-set weights:
// filter 0 copies the input, filter 1 is 0.5 - input, so every expected map
// is written down from the input.
#include <gtest/gtest.h>

#include "stride/plot.hpp"
#include "test_util.hpp"

namespace stride::test {
namespace {

// input (3, 4, 1) (or (1, 3, 4) channels_first) -> Conv2D(2, 1) -> `more`.
Sequential one_by_one(bool channels_first, const std::vector<std::string>& more = {}) {
  Sequential model;
  model.input(channels_first ? std::vector<Dim>{1, 3, 4} : std::vector<Dim>{3, 4, 1});
  model.add(channels_first ? "Conv2D(2, 1, data_format='channels_first')" : "Conv2D(2, 1)");
  for (const std::string& layer : more) model.add(layer);
  model.build();
  // The other layers keep their initial weights.
  const float kernel[] = {1, -1}, bias[] = {0, 0.5f};
  NamedArrays weights = model.weight_arrays();
  for (auto& [name, array] : weights) {
    if (name == "conv2d/kernel") array = Array::from_float({1, 1, 1, 2}, kernel);
    if (name == "conv2d/bias") array = Array::from_float({2}, bias);
  }
  model.set_weights(weights, "test");
  return model;
}

// Two samples; sample 1 holds 0..11 row by row, sample 0 is zeros.
Tensor two_samples(bool channels_first) {
  std::vector<float> values(24, 0);
  for (int i = 0; i < 12; ++i) values[12 + i] = static_cast<float>(i);
  return channels_first ? Tensor({2, 1, 3, 4}, values) : Tensor({2, 3, 4, 1}, values);
}

void expect_maps(const Tensor& maps, bool relu) {
  ASSERT_EQ(maps.shape(), (Shape{3, 4, 2}));
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(maps[i * 2], static_cast<float>(i)) << i;
    const float second = 0.5f - static_cast<float>(i);
    EXPECT_EQ(maps[i * 2 + 1], relu ? std::max(second, 0.0f) : second) << i;
  }
}

TEST(FeatureMaps, OneSampleOfTheNamedLayerChannelsLast) {
  Sequential model = one_by_one(false);
  expect_maps(feature_maps(model, two_samples(false), 1, "conv2d"), false);
  const Tensor zeros = feature_maps(model, two_samples(false), 0, "conv2d");
  EXPECT_EQ(zeros[0], 0.0f);
  EXPECT_EQ(zeros[1], 0.5f);  // the bias alone
}

TEST(FeatureMaps, ChannelsFirstMapsComeBackChannelsLast) {
  // The ReLU has no data_format: it keeps the convolution's layout.
  Sequential model = one_by_one(true, {"Activation('relu')"});
  expect_maps(feature_maps(model, two_samples(true), 1, "conv2d"), false);
  expect_maps(feature_maps(model, two_samples(true), 1, "activation"), true);
}

TEST(FeatureMaps, StopsAtTheNamedLayer) {
  // The layers after the named one change nothing.
  Sequential model = one_by_one(false, {"Activation('relu')", "Flatten()", "Dense(3)"});
  expect_maps(feature_maps(model, two_samples(false), 1, "activation"), true);
}

TEST(FeatureMaps, Errors) {
  Sequential model = one_by_one(false, {"Flatten()"});
  const Tensor x = two_samples(false);
  EXPECT_NE(error_of([&] {
              (void)feature_maps(model, x, 0, "conv");
            }).find("no layer named 'conv' in model 'sequential' (layers: conv2d, flatten)"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              (void)feature_maps(model, x, 0, "flatten");
            }).find("Flatten layer 'flatten' outputs (None, 24): not 2-D feature maps"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              (void)feature_maps(model, x, 2, "conv2d");
            }).find("sample index 2 is out of range: the input has 2 samples"),
            std::string::npos);
  EXPECT_NE(error_of([&] { (void)feature_maps(model, x, -1, "conv2d"); }).find("out of range"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              (void)feature_maps(model, Tensor({2, 4, 3, 1}), 0, "conv2d");
            })
                .find("input of shape (2, 4, 3, 1) does not fit model 'sequential', which "
                      "expects (None, 3, 4, 1)"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              (void)feature_maps(model, Tensor({0, 3, 4, 1}), 0, "conv2d");
            }).find("the input has 0 samples"),
            std::string::npos);
}

TEST(Conv2dKernel, FirstOrNamedConv2D) {
  Sequential model = one_by_one(false, {"Conv2D(3, 2)", "Flatten()"});
  EXPECT_EQ(conv2d_kernel(model).shape(), (Shape{1, 1, 1, 2}));
  EXPECT_EQ(conv2d_kernel(model)[1], -1.0f);
  EXPECT_EQ(conv2d_kernel(model, "conv2d_1").shape(), (Shape{2, 2, 2, 3}));
  EXPECT_NE(error_of([&] {
              (void)conv2d_kernel(model, "flatten");
            }).find("Flatten layer 'flatten' is not a Conv2D layer"),
            std::string::npos);
  Sequential dense;
  dense.input({4}).add("Dense(2)");
  dense.build();
  EXPECT_NE(
      error_of([&] { (void)conv2d_kernel(dense); }).find("model 'sequential' has no Conv2D layer"),
      std::string::npos);
}

}  // namespace
}  // namespace stride::test
