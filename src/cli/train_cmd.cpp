// stride train MODEL (--dataset NAME | --data X.npy --labels Y.npy) [...]
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>

#include "cli.hpp"
#include "progress.hpp"
#include "training_setup.hpp"

namespace stride::cli {

namespace {

std::atomic<bool> stop_requested{false};

// The first Ctrl-C asks training to stop after the current batch; the
// handler then steps aside, so a second one ends the process at once.
extern "C" void request_stop(int) {
  stop_requested.store(true);
  std::signal(SIGINT, SIG_DFL);
}

// Installs request_stop for its lifetime.
class StopOnInterrupt {
 public:
  StopOnInterrupt() {
    stop_requested.store(false);
    struct sigaction action {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~StopOnInterrupt() { sigaction(SIGINT, &previous_, nullptr); }
  StopOnInterrupt(const StopOnInterrupt&) = delete;
  StopOnInterrupt& operator=(const StopOnInterrupt&) = delete;

 private:
  struct sigaction previous_ {};
};

// An output file whose directory is missing or read-only would be found
// out only after training; check before.
void check_writable(const std::string& path, const char* option) {
  if (path.empty()) return;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  const std::string where = dir.empty() ? "." : dir.string();
  std::error_code ec;
  if (!std::filesystem::is_directory(where, ec) || access(where.c_str(), W_OK) != 0)
    throw Error(SourceLoc{path},
                fmt::format("cannot write {} here: directory '{}' {}", option, where,
                            std::filesystem::exists(where, ec) ? "is not a writable directory"
                                                               : "does not exist"));
}

void check_args(const TrainArgs& args) {
  check_writable(args.save, "--save");
  check_writable(args.history, "--history");
  if (args.save.ends_with(".json"))
    throw UsageError(
        "--save writes weights: .keras, .h5, .weights.h5 or .npz, not .json (use "
        "stride convert for the model's JSON)");
  if (args.resume && args.checkpoint.empty())
    throw UsageError("--resume needs --checkpoint DIR (where the run's checkpoints are)");
  if (!args.validation_data.empty() && args.validation_split > 0)
    throw UsageError("give either --validation-split or --validation-data, not both");
}

}  // namespace

std::string run_train(const TrainArgs& args, bool& interrupted) {
  check_args(args);
  Sequential model = load_model_and_weights(args.model, args.weights, args.seed);

  Dataset train = load_data(args.data, true);
  const std::string labels_name = labels_source(args.data);
  std::unique_ptr<Loss> loss =
      choose_loss(args.loss, args.from_logits, train.y, model.output_shape(), labels_name);
  FitOptions options{.epochs = args.epochs,
                     .batch_size = args.batch_size,
                     .shuffle = !args.no_shuffle,
                     .seed = args.seed,
                     .validation_split = args.validation_split,
                     .metrics = choose_metrics(args.metrics, *loss),
                     .path = args.reference ? ComputePath::kReference : ComputePath::kFast,
                     .checkpoint_dir = args.checkpoint,
                     .resume = args.resume,
                     .stop_requested = &stop_requested};
  if (!args.validation_data.empty()) {
    options.validation_data = load_validation_data(args.validation_data, args.data);
    encode_like(*loss, options.validation_data->y, model.output_shape());
  }
  OptimizerOptions optimizer_options;
  optimizer_options.learning_rate = args.learning_rate;
  std::unique_ptr<Optimizer> optimizer = make_optimizer(args.optimizer, optimizer_options);

  if (args.resume)
    if (const std::optional<std::string> path = latest_checkpoint(args.checkpoint))
      fmt::print("Resuming from {}\n", *path);

  ProgressPrinter printer = ProgressPrinter::for_stdout();
  options.callbacks.on_epoch_begin = [&](const Progress& p) { printer.epoch_begin(p); };
  options.callbacks.on_batch_end = [&](const Progress& p) { printer.batch_end(p); };
  options.callbacks.on_epoch_end = [&](const Progress& p) {
    printer.epoch_end(p);
    if (!args.history.empty()) write_history_csv(args.history, *p.history);
  };

  History history;
  {
    StopOnInterrupt stop_on_interrupt;
    try {
      history = fit(model, *loss, *optimizer, train, options);
    } catch (Error& e) {
      e.set_loc_if_unknown(SourceLoc{labels_name});
      throw;
    }
  }
  interrupted = history.interrupted;
  // The form follows the name: .keras, .h5, .weights.h5, else .npz.
  if (!args.save.empty()) save_model(model, args.save);

  std::string out;
  const Dim trained = static_cast<Dim>(history.epochs.size()) - history.initial_epoch;
  if (history.samples_trained > 0)
    out += fmt::format(
        "Trained {} examples in {:.1f} s: {:.0f} examples/s\n", history.samples_trained,
        history.seconds_training,
        static_cast<double>(history.samples_trained) / std::max(history.seconds_training, 1e-9));
  else if (trained == 0 && history.initial_epoch > 0 && history.initial_epoch >= args.epochs)
    out += fmt::format("Nothing to train: the checkpoint has {} of {} epochs\n",
                       history.initial_epoch, args.epochs);
  if (interrupted) {
    out += fmt::format("Interrupted in epoch {} after {} batches", history.epochs.size() + 1,
                       history.interrupted_at_step);
    out += args.save.empty() ? "; no --save given, weights not saved\n"
                             : fmt::format("; weights saved to {}\n", args.save);
    if (!history.last_checkpoint.empty())
      out += fmt::format("Last complete checkpoint: {} (continue with --resume)\n",
                         history.last_checkpoint);
    return out;
  }
  if (!args.data.dataset.empty()) {
    Dataset test = load_data(args.data, false);
    encode_like(*loss, test.y, model.output_shape());
    const Logs logs =
        evaluate(model, *loss, test,
                 {.batch_size = args.batch_size, .metrics = options.metrics, .path = options.path});
    out += fmt::format("Test ({} examples): {}\n", test.size(), format_logs(logs));
  }
  if (!args.save.empty()) out += fmt::format("Saved weights to {}\n", args.save);
  return out;
}

}  // namespace stride::cli
