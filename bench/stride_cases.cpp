// The stride side of each workload, through the public API only.
#include "stride_cases.hpp"

#include <fmt/format.h>

#include <numeric>
#include <stride/stride.hpp>

#include "timing.hpp"

namespace stride::bench {

const std::vector<ConvCase>& conv_cases() {
  // {n, h, w, cin, cout, kernel, stride, same}
  static const std::vector<ConvCase> cases{
      {'a', {128, 28, 28, 1, 32, 3, 1, false}}, {'b', {128, 13, 13, 32, 64, 3, 1, false}},
      {'c', {32, 56, 56, 64, 64, 3, 1, true}},  {'d', {32, 28, 28, 128, 128, 3, 1, true}},
      {'e', {32, 56, 56, 64, 128, 3, 2, true}}, {'f', {1, 224, 224, 3, 64, 7, 2, true}},
      {'g', {10, 8, 16, 3, 5, 3, 2, false}},
  };
  return cases;
}

std::vector<std::string> workload_names() {
  std::vector<std::string> names;
  for (const ConvCase& c : conv_cases())
    for (const char* mode : {"fwd", "fwdbwd"})
      names.push_back(fmt::format("conv_{}_{}", c.id, mode));
  for (const char* name : {"mnist_train", "mnist_infer128", "mnist_latency1"})
    names.push_back(name);
  return names;
}

namespace {

constexpr Dim kMnistBatch = 128;
constexpr Dim kCheckPoints = 256;  // elements checked per output of a timed case

Tensor random_tensor(Shape shape, std::uint64_t seed) {
  Tensor t(std::move(shape));
  Random random(seed);
  for (float& v : t) v = static_cast<float>(random.uniform(-1.0, 1.0));
  return t;
}

void require(const CheckResult& result, const std::string& what) {
  if (!result.ok())
    throw Error(
        fmt::format("{}: stride's result differs from the naive loops (max relative error "
                    "{:.3g} over {} elements); not timing a wrong result",
                    what, result.max_error, result.checked));
}

// One Conv2D layer in a Sequential model. fwd: model.call in inference mode.
// fwdbwd: the layer's share of a training step, Layer::call with a tape and
// Layer::backward computing dKernel, dBias and dX.
class ConvWorkload : public Workload {
 public:
  ConvWorkload(const std::string& name, const ConvGeometry& g, bool backward, double min_seconds)
      : g_(g), backward_(backward) {
    model_.input({g.h, g.w, g.cin})
        .add(fmt::format("Conv2D({}, {}, strides={}, padding='{}')", g.cout, g.kernel, g.stride,
                         g.same ? "same" : "valid"));
    model_.build();
    model_.initialize_weights(1);
    layer_ = model_.layers().front().get();
    for (const WeightSpec& spec : layer_->weights()) grads_.emplace_back(spec.shape);
    x_ = random_tensor({g.n, g.h, g.w, g.cin}, 2);
    dy_ = random_tensor({g.n, g.out_h(), g.out_w(), g.cout}, 3);
    flops_per_call = (backward ? 3 : 1) * g.forward_flops();
    items_per_call = 1;
    verify(name);
    sampler_.calibrate(min_seconds);
    calls_per_sample = sampler_.calls();
  }

  double sample_ms() override { return sampler_.sample_ms(); }

 private:
  void run() {
    if (!backward_) {
      y_ = model_.call(x_);
      return;
    }
    Tape tape;
    y_ = layer_->call(x_, {.training = true, .tape = &tape});
    dx_ = layer_->backward(tape, dy_, grads_, ComputePath::kFast);
  }

  void verify(const std::string& name) {
    run();
    const Tensor& kernel = layer_->weight("kernel");
    const CheckResult fwd =
        check_conv_forward(g_, x_, kernel, layer_->weight("bias"), y_, kCheckPoints);
    require(fwd, name + " forward");
    check = fmt::format("forward max rel err {:.2g} ({} elements)", fwd.max_error, fwd.checked);
    if (!backward_) return;
    const CheckResult bwd =
        check_conv_backward(g_, x_, kernel, dy_, dx_, grads_[0], grads_[1], kCheckPoints);
    require(bwd, name + " backward");
    check += fmt::format("; backward max rel err {:.2g} ({} elements)", bwd.max_error, bwd.checked);
  }

  ConvGeometry g_;
  bool backward_;
  Sequential model_;
  const Layer* layer_ = nullptr;
  Tensor x_, dy_, y_, dx_;
  std::vector<Tensor> grads_;
  Sampler sampler_{[this] { run(); }};
};

// FLOPs per image of the MNIST convnet (examples/mnist_convnet.txt), from its
// two convolutions and the dense layer (pooling, ReLU, dropout and softmax
// not counted).
double mnist_forward_flops(double conv_factor1, double conv_factor2) {
  const ConvGeometry conv1{1, 28, 28, 1, 32, 3, 1, false}, conv2{1, 13, 13, 32, 64, 3, 1, false};
  const double dense = 2.0 * 1600 * 10;
  return conv_factor1 * conv1.forward_flops() + conv_factor2 * (conv2.forward_flops() + dense);
}

Sequential mnist_model() {
  Sequential model = load_model(STRIDE_BENCH_MNIST_MODEL);
  model.build();
  model.initialize_weights(1);
  return model;
}

// Batch `index` (cycling) of `data` as a view: no copy is timed.
Tensor batch_view(const Tensor& data, Dim index, Dim batch) {
  const Dim batches = data.dim(0) / batch;
  Shape shape = data.shape();
  shape[0] = batch;
  return Tensor::view(data, (index % batches) * batch * (data.size() / data.dim(0)), shape);
}

std::unique_ptr<Optimizer> make_adam() {
  OptimizerOptions options;  // Keras's defaults: epsilon 1e-7
  options.learning_rate = 1e-3;
  return make_optimizer("adam", options);
}

// Training steps as fit() runs them: a batch drawn from the data set (uint8
// pixels kept compact, as `stride train` keeps them), compute_gradients
// (forward, sparse categorical crossentropy, backward) then Adam(1e-3).apply.
// Only the training set is loaded, so that this case's process shows
// training's RSS.
class MnistTrain : public Workload {
 public:
  explicit MnistTrain(double min_seconds)
      : data_(load_fashion_mnist(/*train=*/true, {.compact = true})) {
    order_.resize(static_cast<std::size_t>(data_.size()));
    std::iota(order_.begin(), order_.end(), Dim{0});
    variables_ = model_.trainable_variables();
    // A training step computes dX for every layer but the first: 2x forward
    // FLOPs for conv1, 3x for the rest (the count PyTorch's work follows).
    flops_per_call = kMnistBatch * mnist_forward_flops(2, 3);
    items_per_call = kMnistBatch;
    check = "training set loaded before timing";
    sampler_.calibrate(min_seconds);
    calls_per_sample = sampler_.calls();
  }
  double sample_ms() override { return sampler_.sample_ms(); }

 private:
  void step() {
    const Dim first = step_ % (data_.size() / kMnistBatch) * kMnistBatch;
    const Tensor x = data_.x_batch(order_, first, kMnistBatch),
                 y = batch_view(data_.y, step_, kMnistBatch);
    ++step_;
    model_.compute_gradients(x, y, *loss_, dropout_);
    optimizer_->apply(variables_);
  }

  Dataset data_;
  std::vector<Dim> order_;
  Sequential model_ = mnist_model();
  std::unique_ptr<Loss> loss_ = make_loss("sparse_categorical_crossentropy");
  std::unique_ptr<Optimizer> optimizer_ = make_adam();
  std::vector<Variable> variables_;
  Random dropout_{5};
  Dim step_ = 0;
  Sampler sampler_{[this] { step(); }};
};

// Inference on the test set: batches of 128 (throughput) or single images
// (latency; each call timed alone, the sample is their median).
class MnistInference : public Workload {
 public:
  MnistInference(Dim batch, double min_seconds)
      : batch_(batch), min_seconds_(min_seconds), data_(load_fashion_mnist(/*train=*/false)) {
    flops_per_call = batch * mnist_forward_flops(1, 1);
    items_per_call = static_cast<double>(batch);
    check = "test set loaded before timing";
    if (batch_ > 1) {
      sampler_.calibrate(min_seconds);
      calls_per_sample = sampler_.calls();
    } else {
      for (int i = 0; i < 20; ++i) run();  // warm-up
    }
  }

  double sample_ms() override {
    if (batch_ > 1) return sampler_.sample_ms();
    std::vector<double> latencies;
    const double start = now_seconds();
    while (latencies.size() < 50 || now_seconds() - start < min_seconds_) {
      const double t0 = now_seconds();
      run();
      latencies.push_back(1e3 * (now_seconds() - t0));
    }
    calls_per_sample = static_cast<long>(latencies.size());
    return median(latencies);
  }

 private:
  void run() { model_.call(batch_view(data_.x, index_++, batch_)); }

  Dim batch_;
  double min_seconds_;
  Dataset data_;
  Sequential model_ = mnist_model();
  Dim index_ = 0;
  Sampler sampler_{[this] { run(); }};
};

}  // namespace

std::unique_ptr<Workload> make_conv_workload(const std::string& name, const ConvGeometry& g,
                                             bool backward, double min_sample_seconds) {
  return std::make_unique<ConvWorkload>(name, g, backward, min_sample_seconds);
}

std::unique_ptr<Workload> make_workload(const std::string& name, double min_sample_seconds) {
  for (const ConvCase& c : conv_cases())
    for (bool backward : {false, true})
      if (name == fmt::format("conv_{}_{}", c.id, backward ? "fwdbwd" : "fwd"))
        return make_conv_workload(name, c.geometry, backward, min_sample_seconds);
  if (name == "mnist_train") return std::make_unique<MnistTrain>(min_sample_seconds);
  if (name == "mnist_infer128")
    return std::make_unique<MnistInference>(kMnistBatch, min_sample_seconds);
  if (name == "mnist_latency1") return std::make_unique<MnistInference>(1, min_sample_seconds);
  return nullptr;
}

}  // namespace stride::bench
