// The Layer interface, after Keras 3 (build, compute_output_shape,
// get_config) and Caffe (one class per layer, a registry by name). Each layer
// family lives in one file under src/layers/ that holds its signature, shape
// rule, weights, explanation and registration.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stride/config.hpp"
#include "stride/shape.hpp"
#include "stride/tensor.hpp"

namespace stride {

// A weight as Keras creates it in build(): name, shape, trainable or not.
struct WeightSpec {
  std::string name;
  std::vector<Dim> shape;
  bool trainable = true;
  Dim size() const;  // product of the dims
};

class Random;

// What a training call keeps for backward(): the input and the output, and
// whatever else the layer needs (a dropout mask, batch statistics, values
// before the activation).
struct Tape {
  Tensor input, output;
  std::vector<Tensor> saved;
  // False for the model's first layer: nobody reads dL/dinput there, so
  // backward() may skip it and return an empty Tensor().
  bool input_grad_needed = true;
};

// How a layer runs: inference or training, and which kernel implementation.
struct CallOptions {
  bool training = false;
  ComputePath path = ComputePath::kFast;
  Random* random = nullptr;  // draws dropout masks when training
  Tape* tape = nullptr;      // when set, call() records what backward() needs
};

// What `stride explain` prints for one layer: lines of arithmetic with the
// numbers filled in.
struct Explanation {
  std::vector<std::string> lines;
  void add(std::string line) { lines.push_back(std::move(line)); }
};

class Layer {
 public:
  explicit Layer(Config config);
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& class_name() const { return config_.class_name(); }
  const std::string& name() const { return name_; }
  void set_name(std::string name);
  const Config& config() const { return config_; }
  // The config as Keras's get_config() lists it (name included).
  Json get_config() const;
  // Where the layer was written; errors from build() are reported there.
  const SourceLoc& loc() const { return loc_; }
  void set_loc(SourceLoc loc) { loc_ = std::move(loc); }

  // Keras's output-shape rule. Pure: does not need build(). Throws an Error
  // naming the layer and the shapes when the input does not fit.
  virtual Shape compute_output_shape(const Shape& input) const = 0;

  // Checks the input, computes the output shape and the weights.
  void build(const Shape& input_shape);
  bool built() const { return built_; }
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }
  const std::vector<WeightSpec>& weights() const { return weights_; }
  Dim count_params() const;
  Dim trainable_params() const;
  Dim non_trainable_params() const;

  // Keras's call(): runs the built layer on a batch whose shape fits the
  // built input shape (any batch size). Weights must be bound.
  Tensor call(const Tensor& input, const CallOptions& options = {}) const;
  // This layer and `next` (the layer it feeds) in one pass, where this layer
  // has a kernel for the pair (Conv2D then MaxPooling2D on the fast path):
  // next.call(call(input)) up to the kernels' rounding, or an empty Tensor
  // where there is none. Sequential models use it. With options.tape
  // (training), next_tape must be given: the pass records this layer's tape
  // (its input; its output is never computed and stays empty, and
  // input_grad_needed is kept as the caller set it) and next's (its output
  // and what its backward needs), and is taken only where
  // backward_with_next will take the backward pass.
  Tensor call_with_next(const Tensor& input, const Layer& next, const CallOptions& options = {},
                        Tape* next_tape = nullptr) const;
  // Gradients of the call recorded in `tape`, given dL/d(output): writes
  // dL/d(weight) into weight_grads (shaped as the weights, in weights()
  // order) and returns dL/d(input).
  virtual Tensor backward(const Tape& tape, const Tensor& output_grad,
                          std::vector<Tensor>& weight_grads, ComputePath path) const;
  // backward() through this layer and `next` at once, where this layer has a
  // kernel for the pair: writes this layer's weight gradients from next's
  // output gradient and tape, skipping next's own backward pass, and returns
  // true (next has no weights); where tape.input_grad_needed, dL/d(input)
  // goes to *input_grad (declined without one). False, computing nothing,
  // elsewhere; the default. Conv2D with relu then MaxPooling2D has one.
  virtual bool backward_with_next(const Tape& tape, const Layer& next, const Tape& next_tape,
                                  const Tensor& next_output_grad, std::vector<Tensor>& weight_grads,
                                  ComputePath path, Tensor* input_grad = nullptr) const;

  // The weights' values, in weights() order: views into the model's
  // parameter buffer, bound by the model after build().
  void bind_weights(std::vector<Tensor> values);
  const std::vector<Tensor>& weight_values() const { return weight_values_; }
  const Tensor& weight(std::string_view name) const;

  // Appends the arithmetic behind the output shape and the parameter count.
  // Called after build(). The default says the shape is unchanged.
  virtual void explain(Explanation& out) const;

  // "Conv2D layer 'conv2d_1'" (or "Conv2D" before the layer has a name):
  // how messages name the layer.
  std::string display_name() const;
  [[noreturn]] void fail(const std::string& message) const;

 protected:
  // The weights build() creates for this input shape (Keras order:
  // trainable first, then non-trainable).
  virtual std::vector<WeightSpec> make_weights(const Shape& input) const;
  // The computation behind call(): `input` has already been checked against
  // the built input shape; the result must have compute_output_shape's shape.
  virtual Tensor forward(const Tensor& input, const CallOptions& options) const;
  // The computation behind call_with_next(), `input` checked as for
  // forward(); the default has no fused kernel and returns Tensor().
  // With options.tape it records both tapes (next's in next_tape) as
  // call_with_next says.
  virtual Tensor forward_with_next(const Tensor& input, const Layer& next,
                                   const CallOptions& options, Tape* next_tape) const;

  // Constructors write normalized values back (kernel_size=3 -> [3, 3]) so
  // that get_config() reads as Keras's.
  Json& mutable_config() { return config_.json(); }

  // Input-spec checks with messages naming the layer and the shape.
  void require_rank(const Shape& input, std::size_t rank) const;
  void require_min_rank(const Shape& input, std::size_t rank) const;
  // The parameter arithmetic line shared by explain() implementations:
  // "params: kernel 3*3*3*5 + bias 5 = 140".
  std::string param_arithmetic() const;

 private:
  Config config_;
  std::string name_;
  SourceLoc loc_;
  bool built_ = false;
  Shape input_shape_, output_shape_;
  std::vector<WeightSpec> weights_;
  std::vector<Tensor> weight_values_;
};

// ---- Registry -----------------------------------------------------------

using LayerFactory = std::unique_ptr<Layer> (*)(const Config&);

struct LayerType {
  std::string class_name;
  Signature signature;
  LayerFactory make = nullptr;
  std::vector<std::string> aliases;  // e.g. MaxPool2D for MaxPooling2D
};

class LayerRegistry {
 public:
  // All built-in layers (see src/layers/registry.cpp).
  static const LayerRegistry& builtin();
  void add(LayerType type);
  // By class name or alias; nullptr if unknown.
  const LayerType* find(std::string_view name) const;
  std::vector<std::string> class_names() const;

 private:
  std::vector<LayerType> types_;
};

// Binds a call's positional and keyword arguments against the layer's
// signature (Keras order and defaults) and constructs the layer. Errors are
// located at the call or at the offending argument.
std::unique_ptr<Layer> make_layer(const LayerCall& call);
// The same from a Keras JSON layer entry: class name and config object.
std::unique_ptr<Layer> make_layer_from_config(const std::string& class_name, const Json& config,
                                              const SourceLoc& loc);

// snake_case of a class name as Keras derives default layer names
// (Conv2D -> conv2d, ReLU -> re_lu, MaxPooling2D -> max_pooling2d).
std::string keras_snake_case(std::string_view class_name);

}  // namespace stride
