// Models shared by the model tests: the Keras MNIST convnet and the first
// seed's model, built through the registry as a reader would.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "test_util.hpp"

namespace stride::test {

// keras-io examples/vision/mnist_convnet: 34,826 parameters.
inline Sequential mnist_convnet() {
  Sequential m;
  m.input({28, 28, 1});
  m.add(make("Conv2D", {32}, {{"kernel_size", Json::array({3, 3})}, {"activation", "relu"}}));
  m.add(make("MaxPooling2D", {}, {{"pool_size", Json::array({2, 2})}}));
  m.add(make("Conv2D", {64}, {{"kernel_size", Json::array({3, 3})}, {"activation", "relu"}}));
  m.add(make("MaxPooling2D", {}, {{"pool_size", Json::array({2, 2})}}));
  m.add(make("Flatten"));
  m.add(make("Dropout", {0.5}));
  m.add(make("Dense", {10}, {{"activation", "softmax"}}));
  return m;
}

// The first seed: Conv2D(5, kernel_size=3, activation='relu',
// input_shape=(32, 32, 3)), MaxPooling2D(pool_size=(2, 2)).
inline Sequential seed_model() {
  Sequential m;
  m.add(make(
      "Conv2D", {5},
      {{"kernel_size", 3}, {"activation", "relu"}, {"input_shape", Json::array({32, 32, 3})}}));
  m.add(make("MaxPooling2D", {}, {{"pool_size", Json::array({2, 2})}}));
  return m;
}

inline std::string golden(const std::string& name) {
  std::ifstream in(std::string(STRIDE_SOURCE_DIR) + "/tests/golden/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing golden file " << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace stride::test
