// Keras's model.fit and model.evaluate for a Sequential model: batches drawn
// from a seeded shuffle, the loss and metrics averaged over the epoch as
// Keras's Mean trackers do, validation at the end of each epoch, and
// checkpoints that let an interrupted run resume bit-identically.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "stride/dataset.hpp"
#include "stride/loss.hpp"
#include "stride/model.hpp"
#include "stride/optimizer.hpp"

namespace stride {

// Metric name -> value, e.g. {"accuracy": 0.91, "loss": 0.25,
// "val_accuracy": 0.89, "val_loss": 0.31}. Sorted by name, which is the
// order Keras 3 prints them in and CSVLogger writes its columns in.
using Logs = std::map<std::string, double>;

// Where a run is, for progress displays. `logs` holds the running averages
// over the epoch so far (after the last batch of an epoch: the epoch's
// values, with val_* added once validation has run).
struct Progress {
  Dim epoch = 0;       // 0-based
  Dim epochs = 0;      // the run's total
  Dim step = 0;        // batches done in this epoch
  Dim steps = 0;       // batches per epoch
  double seconds = 0;  // since the epoch (or the evaluation) began
  Logs logs{};
  // In on_epoch_end: every finished epoch so far, resumed ones included.
  const std::vector<Logs>* history = nullptr;
};

struct TrainCallbacks {
  std::function<void(const Progress&)> on_epoch_begin;
  std::function<void(const Progress&)> on_batch_end;
  std::function<void(const Progress&)> on_epoch_end;
};

// The metrics compile(metrics=[...]) accepts here: "accuracy" (or "acc"),
// resolved from the label and output shapes as Keras does (see
// resolve_accuracy), and "sparse_top_k_categorical_accuracy" (k = 5). The
// loss is always tracked as "loss".
struct FitOptions {
  Dim epochs = 1;
  Dim batch_size = 32;  // Keras's default; the last batch may be smaller
  bool shuffle = true;  // a new permutation every epoch, drawn from `seed`
  // Shuffling and dropout draw from streams derived from (seed, epoch), so an
  // epoch replays identically whether or not the run was resumed.
  std::uint64_t seed = 0;
  double validation_split = 0;               // the last fraction, split before shuffling
  std::optional<Dataset> validation_data{};  // overrides validation_split
  std::vector<std::string> metrics{"accuracy"};
  ComputePath path = ComputePath::kFast;
  // Each finished epoch writes DIR/epoch-NNNN.npz (atomically): the weights,
  // the optimizer state, the epoch count, the seed and the history so far.
  std::string checkpoint_dir{};
  // Continue from the newest checkpoint in checkpoint_dir (if there is one):
  // weights, optimizer state and history are taken from it and training goes
  // on with the next epoch up to `epochs`.
  bool resume = false;
  // Polled after every batch (set it from a signal handler): training stops
  // there and fit returns with History::interrupted.
  const std::atomic<bool>* stop_requested = nullptr;
  TrainCallbacks callbacks{};
};

struct History {
  std::vector<Logs> epochs;     // one per finished epoch, resumed ones included
  Dim initial_epoch = 0;        // epochs already done in the checkpoint resumed from
  bool interrupted = false;     // stopped by stop_requested before `epochs`
  Dim interrupted_at_step = 0;  // batches done in the unfinished epoch
  Dim samples_trained = 0;      // in this call, over all its epochs
  double seconds_training = 0;  // wall time of those batches (validation not counted)
  std::string last_checkpoint;  // path of the newest checkpoint written or resumed from
};

// Trains `model` on `data` (labels as `loss` expects them). Errors: bad
// options, labels that do not fit the output, a non-finite loss (training
// stops: the weights would be garbage), unreadable or mismatched checkpoints.
History fit(Sequential& model, const Loss& loss, Optimizer& optimizer, const Dataset& data,
            const FitOptions& options);

struct EvaluateOptions {
  Dim batch_size = 32;
  std::vector<std::string> metrics{"accuracy"};
  ComputePath path = ComputePath::kFast;
  std::function<void(const Progress&)> on_batch_end{};
  Tensor* predictions = nullptr;  // when given: the model's outputs for all of `data`
};

// Keras's evaluate: the loss and metrics over `data` in inference mode,
// averaged over samples.
Logs evaluate(Sequential& model, const Loss& loss, const Dataset& data,
              const EvaluateOptions& options = {});

// ---- Checkpoints and history files -----------------------------------------

// "DIR/epoch-0003.npz" for the checkpoint written after 3 epochs.
std::string checkpoint_path(const std::string& dir, Dim epochs_done);
// The checkpoint with the most epochs in `dir`; nullopt when there is none
// (or no such directory). Temporary files of an interrupted write are ignored.
std::optional<std::string> latest_checkpoint(const std::string& dir);

// Keras's CSVLogger file: "epoch,<keys sorted>" then one row per epoch,
// epoch numbers from 0. Written atomically.
void write_history_csv(const std::string& path, const std::vector<Logs>& epochs);

// Classes as one-hot rows (keras.utils.to_categorical): labels (N,) or (N, 1)
// of class indices in [0, classes) -> (N, classes).
Tensor one_hot(const Tensor& labels, Dim classes);

}  // namespace stride
