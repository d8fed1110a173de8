// Sequential models: a list of layers with an input shape, built and
// summarized as Keras does.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stride/layer.hpp"
#include "stride/loss.hpp"
#include "stride/optimizer.hpp"
#include "stride/tensor.hpp"

namespace stride {

enum class SummaryStyle {
  kKeras2,     // Keras 2 classic table (<= 2.6), 65 columns
  kKeras3,     // Keras 3 box table rendered by rich
  kKeras2_12,  // Keras 2.7 - 2.12: rows wrap instead of being cut
  kKeras2_15,  // Keras 2.13 - 2.15: wrapping rows, footer with memory sizes
};

struct SummaryOptions {
  SummaryStyle style = SummaryStyle::kKeras2;
  // Total width; 0 = Keras's default (65 for Keras 2; for Keras 3 the smaller
  // of 88 and terminal_columns - 4).
  int line_length = 0;
  int terminal_columns = 80;  // what Python would see; 80 when not a terminal
};

class Sequential {
 public:
  explicit Sequential(std::string name = "sequential");
  Sequential(Sequential&&) = default;
  Sequential& operator=(Sequential&&) = default;

  // Sets the input shape (without the batch dimension), like keras.Input(shape=...).
  Sequential& input(const std::vector<Dim>& shape, Dim batch_size = kNone);
  // Adds a layer; it gets Keras's default name unless it has one. A layer
  // whose config carries input_shape / batch_input_shape sets the model input.
  Sequential& add(std::unique_ptr<Layer> layer);
  // Adds a layer written as a Keras call: "Conv2D(32, 3, activation='relu')".
  Sequential& add(std::string_view keras_call);

  // Infers every layer's shapes and weights. Throws an Error located at the
  // layer that does not fit. Idempotent.
  void build();
  // Infers every layer's shapes and weight specs if build() has not run yet,
  // without allocating parameters: what the const readers (summary, explain,
  // the pictures of plot.hpp) need on a model fresh from a reader. Throws
  // like build().
  void ensure_built() const;

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  bool has_input() const { return !input_shape_.empty(); }
  const Shape& input_shape() const { return input_shape_; }  // with batch dim
  const std::string& input_name() const { return input_name_; }
  void set_input_name(std::string name) { input_name_ = std::move(name); }
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
  // The layer named `name`; an Error listing the model's layer names if none is.
  const Layer& layer(std::string_view name) const;
  Shape output_shape() const;

  Dim count_params() const;
  Dim trainable_params() const;
  Dim non_trainable_params() const;

  // model.summary() text, each line ending in '\n'.
  std::string summary(const SummaryOptions& options = {}) const;
  // {"name", "layers": [...], "total_params", ...} as documented in the README.
  Json summary_json() const;
  // The arithmetic of every layer, numbers filled in.
  std::string explain() const;

  // ---- Computation --------------------------------------------------------
  // All parameters live in one buffer; each layer's weights are views into
  // it, in layer order then Keras weight order. build() allocates it and
  // initializes the weights as Keras does, from seed 0.
  Tensor& parameters() { return parameters_; }
  const Tensor& parameters() const { return parameters_; }
  // Keras's initializers (glorot_uniform kernels, zero biases, BN ones and
  // zeros, ...), drawn from a generator seeded with `seed`.
  void initialize_weights(std::uint64_t seed);
  // A .npz of arrays named "<layer name>/<weight name>" in Keras layouts. A
  // missing, extra or wrongly shaped array is an error naming it.
  // A training checkpoint (see train.hpp) is read as its weights. Keras
  // files work too, picked by content: .keras, .weights.h5 and legacy .h5
  // (model or save_weights), matched to the layers in order as Keras does.
  void load_weights(const std::string& path);
  void save_weights(const std::string& path, bool compressed = false) const;
  // Every weight as an array named "<layer name>/<weight name>", in layer
  // order then Keras weight order.
  NamedArrays weight_arrays() const;
  // Sets every weight from arrays named as weight_arrays() names them. All
  // are checked before any is written; `source` names the origin in errors.
  void set_weights(const NamedArrays& arrays, const std::string& source);
  // The whole model on one batch (Keras's model(x, training=...)).
  Tensor call(const Tensor& input, const CallOptions& options = {});
  // The output of the layer named `layer_name` (its activations) for a batch:
  // the model run up to and including that layer, as Keras's
  // keras.Model(model.inputs, model.get_layer(name).output) would compute.
  // An unknown name is an Error listing the layer names.
  Tensor call_up_to(const Tensor& input, std::string_view layer_name,
                    const CallOptions& options = {});
  // Inference over x in batches of batch_size; the input's shape after the
  // batch dim must fit the model's input shape.
  Tensor predict(const Tensor& input, Dim batch_size = 32);

  // ---- Training -----------------------------------------------------------
  // One batch forward in training mode, `loss` against y, and every layer's
  // backward: dL/d(parameter) lands in gradients(), a buffer laid out like
  // parameters(). Dropout masks come from `random`. Returns the batch loss;
  // `predictions`, when given, receives the model's output.
  double compute_gradients(const Tensor& x, const Tensor& y, const Loss& loss, Random& random,
                           ComputePath path = ComputePath::kFast, Tensor* predictions = nullptr);
  const Tensor& gradients() const { return gradients_; }
  // The trainable weights as an optimizer sees them ("conv2d/kernel"): views
  // into parameters() and gradients().
  std::vector<Variable> trainable_variables();

 private:
  std::string unique_default_name(const std::string& class_name);
  // The first `count` layers (default: all) in order, errors located at the
  // layer; with `tapes`, layer i records its call into (*tapes)[i].
  Tensor run_layers(const Tensor& input, CallOptions options, std::vector<Tape>* tapes,
                    std::size_t count = SIZE_MAX);
  // Views of `buffer` (laid out like parameters()) shaped like each layer's
  // weights, one list per layer.
  std::vector<std::vector<Tensor>> weight_views(const Tensor& buffer) const;
  // The same views into gradients(), allocated on first use.
  std::vector<std::vector<Tensor>> gradient_views();

  std::string name_;
  std::string input_name_;
  Shape input_shape_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::map<std::string, int> name_counts_;
  bool built_ = false;
  Tensor parameters_, gradients_;
};

// ---- Model files ----------------------------------------------------------

// Reads Keras lines (Python source of a Sequential model) or Keras JSON
// (model.to_json(), Keras 2 or 3). `file` names the source in errors.
Sequential read_keras_lines(std::string_view text, const std::string& file);
Sequential read_keras_json(std::string_view text, const std::string& file);
// Picks the reader by content: a .keras archive (zip), a Keras .h5 model
// (HDF5 with a model_config attribute), Keras JSON (starts with '{') or
// Keras lines. "-" reads stdin (text only).
Sequential load_model(const std::string& path);

// A model file and whether it brought weights: a .keras archive or a Keras
// .h5 model file comes built, with its weights set; a text model does not.
struct ModelFile {
  Sequential model;
  bool has_weights = false;
};
ModelFile read_model_file(const std::string& path);

// ---- Keras files (reference §6) ------------------------------------------

// The model as Keras 3's model.to_json() writes it (§6.2), and as Keras 2's
// legacy to_json() does (§6.1, the model_config of a legacy .h5).
std::string to_keras3_json(const Sequential& model);
std::string to_keras2_json(const Sequential& model);

// Writers, each atomic (temporary file + rename; nothing left on error):
// .keras: a zip of config.json (Keras 3 JSON), model.weights.h5 and
// metadata.json.
void save_keras(const Sequential& model, const std::string& path);
// Keras 2 legacy .h5: attributes model_config, keras_version, backend and
// the group model_weights (<layer>/<layer>/<weight>:0).
void save_keras_h5(const Sequential& model, const std::string& path);
// Keras 3 .weights.h5: layers/<snake_case class>[_n]/vars/<i>.
void save_weights_h5(const Sequential& model, const std::string& path);
// By the path's ending: .keras, .weights.h5, .h5, .json (Keras 3 JSON) or
// anything else a .npz of the weights.
void save_model(const Sequential& model, const std::string& path);
// Debian's libhdf5 1.10 can loop forever on some corrupt files. With a limit
// above zero, `on_stuck(file)` is called (on a watchdog thread) when reading
// one HDF5 file (an .h5, or the weights inside a .keras) takes longer; the
// stride CLI prints its one-line error there and exits with status 2. Off by
// default.
void set_hdf5_watchdog(std::chrono::milliseconds limit,
                       std::function<void(const std::string& file)> on_stuck);

// Parses one layer call written as Keras code ("MaxPooling2D(2, strides=2)").
LayerCall parse_layer_call(std::string_view text, const std::string& file);

}  // namespace stride
