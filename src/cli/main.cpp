// stride: Keras's shape arithmetic, parameter counts and model.summary() on
// the command line. Exit status 0 on success, 2 on any error, which is
// reported as exactly one line "error: ..." on stderr.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
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
  stride layers
  stride layers Conv2D

MODEL is a file of Keras Python lines (model.add(...), keras.Sequential([...]))
or Keras JSON (model.to_json()); '-' reads standard input.)EX";

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

}  // namespace

int main(int argc, char** argv) {
  using namespace stride::cli;
  CLI::App app{"stride: Keras layers in C++: shapes, parameters, summaries, explain, predict",
               "stride"};
  app.set_version_flag("--version", std::string("stride ") + STRIDE_VERSION);
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

  PredictArgs predict;
  CLI::App* predict_cmd =
      app.add_subcommand("predict", "Run a model on a .npy batch (Keras's model.predict)");
  predict_cmd->add_option("MODEL", predict.model, "Model file, or - for standard input")
      ->required();
  predict_cmd->add_option("--weights", predict.weights,
                          "Weights .npz with arrays named <layer>/<weight> (default: Keras "
                          "initialization from --seed)");
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

  LayersArgs layers;
  CLI::App* layers_cmd = app.add_subcommand("layers", "List the supported layer classes");
  layers_cmd->add_option("NAME", layers.names, "Show these layers' arguments and defaults");

  // CLI11 would call an unknown command a missing one.
  const std::string first = argc > 1 ? argv[1] : "";
  if (!first.empty() && first[0] != '-' && first != "summary" && first != "explain" &&
      first != "layers" && first != "predict")
    return usage_error(
        fmt::format("unknown command '{}' (commands: summary, explain, predict, layers)", argv[1]));

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
