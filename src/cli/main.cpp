// stride: Keras's shape arithmetic, parameter counts and model.summary() on
// the command line. Exit status 0 on success, 2 on any error, which is
// reported as exactly one line "error: ..." on stderr.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "cli.hpp"

#ifndef STRIDE_VERSION
#define STRIDE_VERSION "unknown"
#endif

namespace {

constexpr int kExitError = 2;

const char* const kExamples = R"EX(Examples:
  stride summary examples/mnist_convnet.txt
  stride summary --style keras3 examples/mnist_convnet.txt
  stride summary --json model.json
  cat model.txt | stride summary -
  stride explain examples/seed2_conv.txt
  stride explain --input 11,11,1 "MaxPooling2D(2, strides=2)"
  stride explain --input 28,28,1 "Conv2D(32, 3, strides=2, padding='same')" "Flatten()"
  stride predict examples/mnist_convnet.txt --weights W.npz --input X.npy --output Y.npy
  stride train examples/mnist_convnet.txt --dataset fashion-mnist --epochs 5 --save W.npz
  stride train model.txt --data X.npy --labels Y.npy --validation-split 0.1 --checkpoint ckpt
  stride train model.txt --data X.npy --labels Y.npy --checkpoint ckpt --resume --epochs 10
  stride evaluate examples/mnist_convnet.txt --weights W.npz --dataset fashion-mnist
  stride layers
  stride layers Conv2D
  stride plot examples/mnist_convnet.txt -o model.svg
  stride plot examples/mnist_convnet.txt --volumes -o volumes.svg
  stride plot --history history.csv -o curves.svg
  stride featuremaps model.txt --weights W.npz --input X.npy --layer conv2d -o maps.png
  stride featuremaps model.txt --weights W.npz --filters -o filters.png
  stride convert model.txt model.keras --weights W.npz
  stride convert model.keras model.h5
  stride predict model.keras --input X.npy
  stride train model.keras --data X.npy --labels Y.npy --save trained.keras

MODEL is a file of Keras Python lines (model.add(...), keras.Sequential([...])),
Keras JSON (model.to_json()), a Keras 3 .keras archive or a Keras .h5 model
file (these two bring their weights); '-' reads standard input (text only).)EX";

// One line: CLI11 messages and what() texts may carry newlines.
std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

int report(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "error: %s\n", one_line(message).c_str());
  return kExitError;
}

int usage_error(const std::string& message) {
  return report(message + " (run 'stride --help' for usage)");
}

// Writes everything at once; a closed pipe (stride ... | head -1) ends the
// process by SIGPIPE as for any filter.
int print(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    return kExitError;
  return 0;
}

void add_data_options(CLI::App* cmd, stride::cli::DataArgs& data) {
  cmd->add_option("--dataset", data.dataset,
                  "A known dataset: fashion-mnist (Debian's dataset-fashion-mnist)");
  cmd->add_option("--dataset-dir", data.dataset_dir,
                  "Where the dataset's files are (default: where its package puts them)");
  cmd->add_option("--data", data.data, "Examples .npy, batch first");
  cmd->add_option("--labels", data.labels, "Labels .npy: class indices, one-hot rows or targets");
  cmd->add_flag("--no-scale", data.no_scale, "Keep uint8 pixels in 0..255 (default: / 255)");
}

void add_loss_options(CLI::App* cmd, std::string& loss, bool& from_logits,
                      std::vector<std::string>& metrics) {
  cmd->add_option("--loss", loss,
                  "Keras loss name (default: sparse_categorical_crossentropy for class "
                  "indices, categorical_crossentropy for one-hot rows)");
  cmd->add_flag("--from-logits", from_logits, "The model outputs logits (crossentropy losses)");
  cmd->add_option("--metrics", metrics, "Metrics (default: accuracy for crossentropy losses)")
      ->delimiter(',');
}

}  // namespace

int main(int argc, char** argv) {
  using namespace stride::cli;
  CLI::App app{
      "stride: Keras layers in C++: shapes, parameters, summaries, explain, predict, train",
      "stride"};
  const stride::BuildInfo build = stride::build_info();
  app.set_version_flag("--version",
                       fmt::format("stride {} ({}{}, gemm kernel {}, {} thread{})", STRIDE_VERSION,
                                   build.optimized ? "optimized" : "NOT optimized",
                                   build.assertions ? ", assertions on" : "", build.gemm_kernel,
                                   build.threads, build.threads == 1 ? "" : "s"));
  app.footer(kExamples);
  app.require_subcommand(1);

  SummaryArgs summary;
  CLI::App* summary_cmd = app.add_subcommand("summary", "Print model.summary() for a model file");
  summary_cmd->add_option("MODEL", summary.model, "Model file, or - for standard input")
      ->required();
  summary_cmd->add_option("--style", summary.style,
                          fmt::format("Summary format: {} (default keras2: Keras <= 2.6)",
                                      fmt::join(summary_style_names(), ", ")));
  summary_cmd->add_flag("--json", summary.json, "Print the summary as JSON");
  summary_cmd->footer(R"EX(Examples:
  stride summary examples/mnist_convnet.txt            Keras <= 2.6 table
  stride summary --style keras3 examples/mnist_convnet.txt
  stride summary --json model.json                      names, shapes, params as JSON
  cat model.txt | stride summary -)EX");
  summary_cmd
      ->add_option("--line-length", summary.line_length,
                   "Table width (default: Keras's; keras3: min(88, columns - 4))")
      ->check(CLI::Range(1, 10000));

  ExplainArgs explain;
  CLI::App* explain_cmd = app.add_subcommand(
      "explain", "Show each layer's shape and parameter arithmetic, numbers filled in");
  CLI::Option* input_opt =
      explain_cmd->add_option("--input", explain.input,
                              "Input shape without the batch dimension, e.g. 11,11,1; then "
                              "the operands are layer calls");
  explain_cmd->add_option("MODEL_OR_LAYERS", explain.operands,
                          "Model file (or -), or with --input: layer calls like "
                          "\"MaxPooling2D(2, strides=2)\"");
  explain_cmd->footer(R"EX(Examples:
  stride explain examples/seed2_conv.txt
  stride explain --input 11,11,1 "MaxPooling2D(2, strides=2)"
  stride explain --input 28,28,1 "Conv2D(32, 3, strides=2, padding='same')" "Flatten()")EX");

  PredictArgs predict;
  CLI::App* predict_cmd =
      app.add_subcommand("predict", "Run a model on a .npy batch (Keras's model.predict)");
  predict_cmd->add_option("MODEL", predict.model, "Model file, or - for standard input")
      ->required();
  predict_cmd->add_option("--weights", predict.weights,
                          "Weights: .npz with arrays named <layer>/<weight>, or a Keras .h5, "
                          ".weights.h5 or .keras file (default: the weights MODEL brings, else "
                          "Keras initialization from --seed)");
  predict_cmd->add_option("--input", predict.input, "Input .npy, batch first")->required();
  predict_cmd->add_option("--output", predict.output,
                          "Output .npy, written whole or not at all (default: print the "
                          "values, one sample per line)");
  predict_cmd->add_option("--batch-size", predict.batch_size, "Samples per batch (default 32)")
      ->check(CLI::Range(stride::Dim{1}, stride::Dim{1} << 40));
  predict_cmd->add_option("--seed", predict.seed, "Seed of the initial weights without --weights");
  predict_cmd->add_flag(
      "--reference", predict.reference,
      "Compute with the reference kernels (plain loops) instead of the fast ones");
  predict_cmd->footer(R"EX(Examples:
  stride predict examples/mnist_convnet.txt --input examples/mnist_convnet_input.npy
  stride predict examples/mnist_convnet.txt --weights W.npz --input X.npy --output Y.npy)EX");

  TrainArgs train;
  CLI::App* train_cmd = app.add_subcommand(
      "train", "Train a model (Keras's compile + fit); Ctrl-C stops after the current batch");
  train_cmd->add_option("MODEL", train.model, "Model file, or - for standard input")->required();
  add_data_options(train_cmd, train.data);
  train_cmd->add_option("--epochs", train.epochs, "Epochs to train up to (default 1)")
      ->check(CLI::Range(stride::Dim{0}, stride::Dim{1} << 40));
  train_cmd->add_option("--batch-size", train.batch_size, "Examples per batch (default 32)")
      ->check(CLI::Range(stride::Dim{1}, stride::Dim{1} << 40));
  train_cmd->add_option("--optimizer", train.optimizer,
                        "sgd, adam, adamw, rmsprop or adagrad (default adam)");
  train_cmd
      ->add_option("--learning-rate", train.learning_rate,
                   "Learning rate (default: the optimizer's Keras default)")
      ->check(CLI::PositiveNumber);
  add_loss_options(train_cmd, train.loss, train.from_logits, train.metrics);
  train_cmd
      ->add_option("--validation-split", train.validation_split,
                   "Fraction of the data (the last examples) kept for validation")
      ->check(CLI::Range(0.0, 0.999999));
  train_cmd
      ->add_option("--validation-data", train.validation_data,
                   "Validation examples and labels: X.npy Y.npy")
      ->expected(2);
  train_cmd->add_option("--seed", train.seed,
                        "Seed of the initial weights, the shuffling and dropout (default 0)");
  train_cmd->add_option("--weights", train.weights,
                        "Initial weights: .npz or a Keras .h5 / .weights.h5 / .keras file "
                        "(default: those MODEL brings, else Keras initialization from --seed)");
  train_cmd->add_option("--save", train.save,
                        "Write the trained model: .keras, .h5 (legacy), .weights.h5, or else a "
                        ".npz of the weights");
  train_cmd->add_option("--checkpoint", train.checkpoint,
                        "Directory for a checkpoint after every epoch (epoch-NNNN.npz)");
  train_cmd->add_flag("--resume", train.resume,
                      "Continue from the newest checkpoint in --checkpoint, if any");
  train_cmd->add_flag("--no-shuffle", train.no_shuffle, "Keep the examples in file order");
  train_cmd->add_option("--history", train.history,
                        "Write per-epoch loss and metrics as CSV (Keras's CSVLogger)");
  train_cmd->add_flag("--reference", train.reference,
                      "Compute with the reference kernels instead of the fast ones");
  train_cmd->footer(R"EX(Examples:
  stride train examples/mnist_convnet.txt --dataset fashion-mnist --epochs 5 --save W.npz
  stride train model.txt --data X.npy --labels Y.npy --validation-split 0.1 --history h.csv
  stride train model.txt --data X.npy --labels Y.npy --checkpoint ckpt --epochs 10
  stride train model.txt --data X.npy --labels Y.npy --checkpoint ckpt --resume --epochs 10)EX");

  EvaluateArgs evaluate;
  CLI::App* evaluate_cmd = app.add_subcommand(
      "evaluate", "Loss, metrics and confusion matrix of a trained model (Keras's evaluate)");
  evaluate_cmd->add_option("MODEL", evaluate.model, "Model file, or - for standard input")
      ->required();
  evaluate_cmd->add_option("--weights", evaluate.weights,
                           "Trained weights: .npz, a checkpoint, or a Keras .h5 / .weights.h5 / "
                           ".keras file (default: those MODEL brings)");
  add_data_options(evaluate_cmd, evaluate.data);
  evaluate_cmd->add_option("--batch-size", evaluate.batch_size, "Examples per batch (default 32)")
      ->check(CLI::Range(stride::Dim{1}, stride::Dim{1} << 40));
  add_loss_options(evaluate_cmd, evaluate.loss, evaluate.from_logits, evaluate.metrics);
  evaluate_cmd->add_flag("--reference", evaluate.reference,
                         "Compute with the reference kernels instead of the fast ones");
  evaluate_cmd->footer(R"EX(Examples:
  stride evaluate examples/mnist_convnet.txt --weights W.npz --dataset fashion-mnist
  stride evaluate model.txt --weights ckpt/epoch-0005.npz --data X.npy --labels Y.npy)EX");

  ConvertArgs convert;
  CLI::App* convert_cmd = app.add_subcommand(
      "convert", "Write a model and its weights as .keras, .h5, .weights.h5, .npz or .json");
  convert_cmd->add_option("IN", convert.input, "Model file (any form stride reads), or -")
      ->required();
  convert_cmd->add_option("OUT", convert.output, "Output file; its form follows its name")
      ->required();
  convert_cmd->add_option("--weights", convert.weights,
                          "Weights (.npz, .h5, .weights.h5 or .keras); default: those IN brings");
  convert_cmd->footer(R"EX(Examples:
  stride convert model.txt model.keras --weights W.npz     Keras lines + .npz -> Keras 3 archive
  stride convert model.keras model.h5                      -> Keras 2 legacy HDF5
  stride convert model.h5 weights.npz                      the weights alone, as NumPy arrays
  stride convert model.keras model.json                    the architecture as Keras 3 JSON)EX");

  // Computing commands take --threads (default: every CPU the process may use).
  int threads = 0;
  for (CLI::App* cmd : {predict_cmd, train_cmd, evaluate_cmd})
    cmd->add_option("--threads", threads,
                    "Threads to compute with (default: all CPUs; results are the same for any "
                    "count)")
        ->check(CLI::Range(1, 256));

  LayersArgs layers;
  CLI::App* layers_cmd = app.add_subcommand("layers", "List the supported layer classes");
  layers_cmd->add_option("NAME", layers.names, "Show these layers' arguments and defaults");
  layers_cmd->footer(R"EX(Examples:
  stride layers              every supported layer class
  stride layers Conv2D Dense their arguments, in Keras's order, with defaults)EX");

  PlotArgs plot;
  CLI::App* plot_cmd = app.add_subcommand(
      "plot", "Draw a model (as Keras's plot_model, or --volumes) or a --history as SVG");
  plot_cmd->add_option("MODEL", plot.model, "Model file, or - for standard input");
  plot_cmd->add_option("--history", plot.history,
                       "Draw the curves of a history CSV (stride train --history) instead");
  plot_cmd->add_flag("--volumes", plot.volumes,
                     "Draw the feature maps as volumes to scale instead of the layer boxes");
  plot_cmd->add_option("-o,--output", plot.output, "SVG file to write (default: standard output)");
  plot_cmd->footer(R"EX(Examples:
  stride plot examples/mnist_convnet.txt -o model.svg        boxes, as Keras's plot_model
  stride plot examples/mnist_convnet.txt --volumes -o volumes.svg
  stride plot --history history.csv -o curves.svg            from stride train --history)EX");

  FeaturemapsArgs featuremaps;
  CLI::App* featuremaps_cmd = app.add_subcommand(
      "featuremaps", "Draw one layer's activations for one input (or --filters) as a PNG grid");
  featuremaps_cmd->add_option("MODEL", featuremaps.model, "Model file, or - for standard input")
      ->required();
  featuremaps_cmd->add_option("--weights", featuremaps.weights,
                              "Weights: .npz, a checkpoint, or a Keras .h5 / .weights.h5 / .keras "
                              "file (default: those MODEL brings, else Keras initialization from "
                              "--seed)");
  featuremaps_cmd->add_option("--seed", featuremaps.seed,
                              "Seed of the initial weights without --weights");
  featuremaps_cmd->add_option("--input", featuremaps.input, "Input .npy, batch first");
  featuremaps_cmd->add_option("--index", featuremaps.index, "Which sample of --input (default 0)")
      ->check(CLI::Range(stride::Dim{0}, stride::Dim{1} << 40));
  featuremaps_cmd->add_option("--layer", featuremaps.layer,
                              "The layer whose outputs are drawn (with --filters: the Conv2D, "
                              "default the first)");
  featuremaps_cmd->add_flag("--filters", featuremaps.filters,
                            "Draw a Conv2D layer's kernels, one tile per filter");
  featuremaps_cmd->add_flag("--global-scale", featuremaps.global_scale,
                            "One gray scale for all tiles (default: each tile from its own "
                            "minimum, black, to its maximum, white)");
  featuremaps_cmd->add_option("-o,--output", featuremaps.output, "PNG file to write")->required();
  featuremaps_cmd->footer(R"EX(Examples:
  stride featuremaps model.txt --weights W.npz --input X.npy --layer conv2d -o maps.png
  stride featuremaps model.txt --weights W.npz --input X.npy --layer conv2d --index 3 -o maps.png
  stride featuremaps model.txt --weights W.npz --filters -o filters.png)EX");

  // CLI11 would call an unknown command a missing one.
  std::vector<std::string> commands;
  for (const CLI::App* cmd : app.get_subcommands([](const CLI::App*) { return true; }))
    commands.push_back(cmd->get_name());
  const std::string first = argc > 1 ? argv[1] : "";
  if (!first.empty() && first[0] != '-' &&
      std::find(commands.begin(), commands.end(), first) == commands.end())
    return usage_error(
        fmt::format("unknown command '{}' (commands: {})", argv[1], fmt::join(commands, ", ")));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return print(app.help());
  } catch (const CLI::CallForAllHelp&) {
    return print(app.help("", CLI::AppFormatMode::All));
  } catch (const CLI::CallForVersion& v) {
    return print(std::string(v.what()) + "\n");
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  if (threads > 0) stride::set_num_threads(threads);
  // libhdf5 loops forever on some corrupt files: give up on one after 30 s
  // (STRIDE_HDF5_TIMEOUT_S overrides), with the usual one-line error.
  const char* hdf5_timeout = std::getenv("STRIDE_HDF5_TIMEOUT_S");
  const int hdf5_seconds =
      hdf5_timeout && std::atoi(hdf5_timeout) > 0 ? std::atoi(hdf5_timeout) : 30;
  stride::set_hdf5_watchdog(std::chrono::seconds(hdf5_seconds), [hdf5_seconds](
                                                                    const std::string& file) {
    std::fflush(stdout);
    std::fprintf(stderr,
                 "error: %s: reading its HDF5 data did not finish in %d s; the file is probably "
                 "damaged (libhdf5 loops on some corrupt files)\n",
                 file.c_str(), hdf5_seconds);
    std::fflush(stderr);
    std::_Exit(kExitError);
  });
  // Computing from a debug build is a common, silent 10-50x loss: say so
  // (STRIDE_NO_BUILD_WARNING=1 silences it, as the tests of such builds do).
  const char* quiet = std::getenv("STRIDE_NO_BUILD_WARNING");
  if ((*predict_cmd || *train_cmd || *evaluate_cmd || *featuremaps_cmd) && !(quiet && *quiet))
    if (const std::string warning = stride::unoptimized_build_warning(); !warning.empty())
      std::fprintf(stderr, "warning: %s\n", warning.c_str());
  try {
    std::string out;
    if (*summary_cmd) {
      out = run_summary(summary);
    } else if (*explain_cmd) {
      explain.has_input = input_opt->count() > 0;
      out = run_explain(explain);
    } else if (*predict_cmd) {
      out = run_predict(predict);
    } else if (*layers_cmd) {
      out = run_layers(layers);
    } else if (*train_cmd) {
      bool interrupted = false;
      out = run_train(train, interrupted);
      if (interrupted) {
        print(out);
        return kExitInterrupted;
      }
    } else if (*evaluate_cmd) {
      out = run_evaluate(evaluate);
    } else if (*plot_cmd) {
      out = run_plot(plot);
    } else if (*featuremaps_cmd) {
      out = run_featuremaps(featuremaps);
    } else if (*convert_cmd) {
      out = run_convert(convert);
    }
    if (!out.empty() && out.back() != '\n') out += '\n';
    return print(out);
  } catch (const UsageError& e) {
    return e.hint_help() ? usage_error(e.what()) : report(e.what());
  } catch (const stride::Error& e) {
    return report(e.located());
  } catch (const std::bad_alloc&) {
    return report("out of memory");
  } catch (const std::exception& e) {
    return report(e.what());
  }
}
