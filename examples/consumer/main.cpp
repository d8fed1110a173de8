// The second seed's question, answered through an installed stride: what comes
// out of Conv2D(5, 3, strides=2) on a 10x8x16x3 batch, with how many
// parameters, and the layer really run on it.
#include <iostream>
#include <stride/stride.hpp>

int main() {
  stride::Sequential model;
  model.input({8, 16, 3}).add("Conv2D(5, kernel_size=3, strides=2, activation='relu')");
  std::cout << model.summary();

  model.initialize_weights(/*seed=*/0);
  stride::Tensor batch({10, 8, 16, 3});
  for (stride::Dim i = 0; i < batch.size(); ++i) batch[i] = 1.0f;
  const stride::Tensor out = model.predict(batch);
  std::cout << "output " << stride::shape_to_python(out.shape()) << ", params "
            << model.count_params() << "\n";
  return 0;
}
