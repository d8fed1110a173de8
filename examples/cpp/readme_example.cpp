#include <iostream>
#include <stride/stride.hpp>

int main() {
  stride::Sequential model;
  model.input({28, 28, 1}).add("Conv2D(32, kernel_size=3, activation='relu')");
  model.add("MaxPooling2D(pool_size=2)").add("Flatten()").add("Dense(10, activation='softmax')");
  std::cout << model.summary();  // Keras's model.summary(), byte for byte
  std::cout << stride::shape_to_python(model.output_shape()) << " " << model.count_params() << "\n";

  model.initialize_weights(/*seed=*/1);   // Keras's initializers, or model.load_weights("w.npz")
  stride::Tensor images({4, 28, 28, 1});  // four blank images (zeros)
  stride::Tensor probabilities = model.predict(images);
  // Zero images meet zero biases: every class gets 1/10.
  std::cout << stride::shape_to_python(probabilities.shape()) << " " << probabilities[0] << "\n";
  return 0;
}
