#include <iostream>
#include <stride/stride.hpp>

int main() {
  stride::Sequential model;
  model.input({28, 28, 1}).add("Conv2D(32, kernel_size=3, activation='relu')");
  model.add("MaxPooling2D(pool_size=2)").add("Flatten()").add("Dense(10, activation='softmax')");
  std::cout << model.summary();  // Keras's model.summary(), byte for byte
  std::cout << stride::shape_to_python(model.output_shape()) << " " << model.count_params() << "\n";
  return 0;
}
