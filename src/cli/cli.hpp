// The `stride` command: each subcommand renders its whole output to a string
// (so nothing reaches stdout when an error is thrown halfway) and main prints it.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "stride/stride.hpp"

namespace stride::cli {

// A mistake in the command line itself (bad --input, unknown --style, ...):
// printed as one line "error: ..." with a hint to --help, exit status 2.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& message, bool hint_help = true)
      : std::runtime_error(message), hint_help_(hint_help) {}
  bool hint_help() const { return hint_help_; }

 private:
  bool hint_help_;
};

struct SummaryArgs {
  std::string model;  // path, or "-" for stdin
  std::string style = "keras2";
  bool json = false;
  int line_length = 0;  // 0: the style's default
};

struct ExplainArgs {
  bool has_input = false;             // --input given: the one-off form
  std::string input;                  // --input 11,11,1
  std::vector<std::string> operands;  // MODEL, or layer calls with --input
};

struct LayersArgs {
  std::vector<std::string> names;  // show these layers' signatures
};

struct PredictArgs {
  std::string model;
  std::string weights;  // .npz; empty: Keras initialization from `seed`
  std::string input;    // .npy, batch first
  std::string output;   // .npy; empty: values printed, one sample per line
  Dim batch_size = 32;
  std::uint64_t seed = 0;
  bool reference = false;  // the reference kernels instead of the fast ones
};

// Where examples and labels come from: a named dataset or a .npy pair.
struct DataArgs {
  std::string dataset;       // "fashion-mnist"
  std::string dataset_dir;   // where its files are (default: the Debian package's)
  std::string data, labels;  // .npy pair
  bool no_scale = false;     // keep uint8 pixels in 0..255
};

struct TrainArgs {
  std::string model;
  DataArgs data;
  Dim epochs = 1;
  Dim batch_size = 32;
  std::string optimizer = "adam";
  std::optional<double> learning_rate;
  std::string loss;  // empty: chosen from the labels
  bool from_logits = false;
  std::vector<std::string> metrics;  // empty: accuracy for classification losses
  double validation_split = 0;
  std::vector<std::string> validation_data;  // X.npy Y.npy
  std::uint64_t seed = 0;
  std::string weights, save, checkpoint, history;
  bool resume = false, no_shuffle = false, reference = false;
};

struct EvaluateArgs {
  std::string model;
  DataArgs data;
  std::string weights;
  Dim batch_size = 32;
  std::string loss;
  bool from_logits = false;
  std::vector<std::string> metrics;
  bool reference = false;
};

struct PlotArgs {
  std::string model;    // a model file: its layers (or --volumes: its feature maps)
  std::string history;  // or a CSVLogger file: its curves
  std::string output;   // .svg; empty: standard output
  bool volumes = false;
};

struct FeaturemapsArgs {
  std::string model;
  std::string weights;  // .npz; empty: Keras initialization from `seed`
  std::uint64_t seed = 0;
  std::string input;  // .npy batch
  Dim index = 0;      // the sample drawn
  std::string layer;  // whose maps (or with --filters: which Conv2D)
  bool filters = false;
  bool global_scale = false;  // one gray scale for all tiles
  std::string output;         // .png
};

struct ConvertArgs {
  std::string input;    // any model form stride reads
  std::string output;   // .keras, .h5, .weights.h5, .npz or .json
  std::string weights;  // overrides the weights IN brings
};

// Exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
inline constexpr int kExitInterrupted = 130;

std::string run_summary(const SummaryArgs& args);
// Train prints progress as it goes and returns the closing lines; it sets
// `interrupted` when Ctrl-C stopped it.
std::string run_train(const TrainArgs& args, bool& interrupted);
std::string run_evaluate(const EvaluateArgs& args);
std::string run_predict(const PredictArgs& args);
std::string run_explain(const ExplainArgs& args);
std::string run_layers(const LayersArgs& args);
std::string run_plot(const PlotArgs& args);
std::string run_featuremaps(const FeaturemapsArgs& args);
std::string run_convert(const ConvertArgs& args);

// The model file, built, with the weights of `weights` (a .npz, a
// checkpoint or a Keras file), else the weights a .keras / .h5 model file
// brings, else Keras's initialization from `seed`.
// With `weights_required`, a model without weights of its own needs `weights`.
Sequential load_model_and_weights(const std::string& model, const std::string& weights,
                                  std::uint64_t seed, bool weights_required = false);

// The .npy file at `path` as a tensor; every error, the tensor's own (a
// shape it refuses) included, names the file.
Tensor read_input_tensor(const std::string& path);

// The style names --style accepts, in the order --help lists them.
std::vector<std::string> summary_style_names();

// What Python's shutil.get_terminal_size() would report as columns: $COLUMNS
// if it is a positive integer, else the width of the terminal on stdout, else 80.
int terminal_columns();

// "11,11,1" or "(None, 28, 28, 1)" -> {11, 11, 1}; throws UsageError.
std::vector<Dim> parse_input_shape(const std::string& text);

}  // namespace stride::cli
