// Trains the Keras MNIST convnet on Fashion-MNIST from C++ (run from the
// repository root; Debian's dataset-fashion-mnist package provides the data).
#include <iostream>
#include <stride/stride.hpp>

int main() {
  stride::Sequential model = stride::load_model("examples/mnist_convnet.txt");
  model.initialize_weights(/*seed=*/0);
  const stride::Dataset train = stride::load_fashion_mnist(/*train=*/true);  // pixels / 255
  const stride::Dataset test = stride::load_fashion_mnist(/*train=*/false);

  auto loss = stride::make_loss("sparse_categorical_crossentropy");
  auto optimizer = stride::make_optimizer("adam", {.learning_rate = 1e-3});
  stride::FitOptions options{.epochs = 5, .batch_size = 128, .validation_split = 0.1};
  options.checkpoint_dir = "checkpoints";  // epoch-0001.npz, ...: resume with options.resume
  options.callbacks.on_epoch_end = [](const stride::Progress& p) {
    std::cout << "epoch " << p.epoch + 1 << ": loss " << p.logs.at("loss") << ", val_accuracy "
              << p.logs.at("val_accuracy") << "\n";
  };
  stride::fit(model, *loss, *optimizer, train, options);

  const stride::Logs logs = stride::evaluate(model, *loss, test);
  std::cout << "test accuracy " << logs.at("accuracy") << "\n";
  model.save_weights("fashion_mnist.weights.npz");
  return 0;
}
