// model.fit and model.evaluate: the loops around Sequential::compute_gradients
// and Optimizer::apply.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>

#include "stride/random.hpp"
#include "stride/train.hpp"
#include "train/checkpoint.hpp"
#include "train/epoch_metrics.hpp"

namespace stride {

namespace {

// Stream ids under the run's seed (Random::stream(seed, id, epoch)); weight
// initialization uses (seed, layer, weight) with small layer numbers.
constexpr std::uint64_t kShuffleStream = 0x5348'5546'464C'4500;  // "SHUFFLE"
constexpr std::uint64_t kDropoutStream = 0x4452'4F50'4F55'5400;  // "DROPOUT"

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Rows order[start, start + n) of t, copied into one batch.
Tensor gather_rows(const Tensor& t, const std::vector<Dim>& order, Dim start, Dim n) {
  Shape shape = t.shape();
  shape[0] = n;
  Tensor batch(shape);
  const Dim row = t.dim(0) ? t.size() / t.dim(0) : 0;
  for (Dim i = 0; i < n; ++i)
    std::memcpy(batch.data() + i * row, t.data() + order[start + i] * row,
                static_cast<std::size_t>(row) * sizeof(float));
  return batch;
}

void check_dataset(const Dataset& d, const char* what) {
  if (d.x_shape().empty() || d.y.rank() == 0 || d.size() != d.y.dim(0))
    throw Error(fmt::format("{}: examples {} and labels {} must share their first dimension", what,
                            shape_to_python(d.x_shape()), shape_to_python(d.y.shape())));
}

// Fisher-Yates over 0..n-1 from the epoch's own stream.
void shuffle_order(std::vector<Dim>& order, std::uint64_t seed, Dim epoch) {
  Random random = Random::stream(seed, kShuffleStream, static_cast<std::uint64_t>(epoch));
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[random.below(i)]);
}

}  // namespace

Logs evaluate(Sequential& model, const Loss& loss, const Dataset& data,
              const EvaluateOptions& options) {
  check_dataset(data, "evaluate");
  if (options.batch_size < 1)
    throw Error(fmt::format("batch size must be positive, got {}", options.batch_size));
  EpochMetrics metrics(options.metrics);
  const Dim n = data.size();
  const Dim steps = (n + options.batch_size - 1) / options.batch_size;
  std::vector<Dim> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Dim{0});
  const Clock::time_point start = Clock::now();
  for (Dim step = 0; step < steps; ++step) {
    const Dim first = step * options.batch_size, count = std::min(options.batch_size, n - first);
    const Tensor x = data.x_batch(order, first, count);
    const Tensor y = gather_rows(data.y, order, first, count);
    const Tensor prediction = model.call(x, {.training = false, .path = options.path});
    metrics.add_batch(loss.compute(y, prediction).value, y, prediction);
    if (options.predictions) {
      if (step == 0) {
        Shape shape = prediction.shape();
        shape[0] = n;
        *options.predictions = Tensor(shape);
      }
      std::copy(prediction.begin(), prediction.end(),
                options.predictions->data() + first * (prediction.size() / count));
    }
    if (options.on_batch_end)
      options.on_batch_end({.step = step + 1,
                            .steps = steps,
                            .seconds = seconds_since(start),
                            .logs = metrics.logs()});
  }
  return metrics.logs();
}

History fit(Sequential& model, const Loss& loss, Optimizer& optimizer, const Dataset& data,
            const FitOptions& options) {
  if (options.epochs < 0) throw Error(fmt::format("epochs must be >= 0, got {}", options.epochs));
  if (options.batch_size < 1)
    throw Error(fmt::format("batch size must be positive, got {}", options.batch_size));
  if (!(options.validation_split >= 0 && options.validation_split < 1))
    throw Error(
        fmt::format("validation_split must be in [0, 1), got {}", options.validation_split));
  if (options.resume && options.checkpoint_dir.empty())
    throw Error("resume needs a checkpoint directory");
  check_dataset(data, "training data");

  Dataset train = data;
  std::optional<Dataset> validation = options.validation_data;
  if (validation) {
    check_dataset(*validation, "validation data");
  } else if (options.validation_split > 0) {
    std::tie(train, validation) = split_validation(data, options.validation_split);
    if (train.size() == 0)
      throw Error(fmt::format("validation_split {} leaves no training examples out of {}",
                              options.validation_split, data.size()));
  }
  (void)EpochMetrics{options.metrics};  // unknown names fail before any work
  model.build();

  const RunSettings settings{.seed = options.seed,
                             .batch_size = options.batch_size,
                             .shuffle = options.shuffle,
                             .samples = train.size()};
  History history;
  if (options.resume) {
    if (const std::optional<std::string> path = latest_checkpoint(options.checkpoint_dir)) {
      history.epochs = read_checkpoint(*path, model, optimizer, settings);
      history.initial_epoch = static_cast<Dim>(history.epochs.size());
      history.last_checkpoint = *path;
    }
  }

  std::vector<Variable> variables = model.trainable_variables();
  const Dim n = train.size();
  const Dim steps = (n + options.batch_size - 1) / options.batch_size;
  std::vector<Dim> order(static_cast<std::size_t>(n));
  auto stop_requested = [&] { return options.stop_requested && options.stop_requested->load(); };

  for (Dim epoch = history.initial_epoch; epoch < options.epochs; ++epoch) {
    if (stop_requested()) {
      history.interrupted = true;
      break;
    }
    std::iota(order.begin(), order.end(), Dim{0});
    if (options.shuffle) shuffle_order(order, options.seed, epoch);
    Random dropout =
        Random::stream(options.seed, kDropoutStream, static_cast<std::uint64_t>(epoch));
    EpochMetrics metrics(options.metrics);
    Progress progress{.epoch = epoch, .epochs = options.epochs, .steps = steps};
    if (options.callbacks.on_epoch_begin) options.callbacks.on_epoch_begin(progress);

    const Clock::time_point start = Clock::now();
    for (Dim step = 0; step < steps; ++step) {
      const Dim first = step * options.batch_size;
      const Dim count = std::min(options.batch_size, n - first);
      const Tensor x = train.x_batch(order, first, count);
      const Tensor y = gather_rows(train.y, order, first, count);
      Tensor prediction;
      const double batch_loss =
          model.compute_gradients(x, y, loss, dropout, options.path, &prediction);
      if (!std::isfinite(batch_loss))
        throw Error(
            fmt::format("the loss became {} in epoch {}, batch {}; training stopped (try "
                        "a lower learning rate)",
                        batch_loss, epoch + 1, step + 1));
      optimizer.apply(variables);
      metrics.add_batch(batch_loss, y, prediction);
      history.samples_trained += count;
      progress.step = step + 1;
      progress.seconds = seconds_since(start);
      progress.logs = metrics.logs();
      if (options.callbacks.on_batch_end) options.callbacks.on_batch_end(progress);
      if (stop_requested() && step + 1 < steps) {
        history.interrupted = true;
        history.interrupted_at_step = step + 1;
        history.seconds_training += seconds_since(start);
        return history;
      }
    }
    history.seconds_training += seconds_since(start);

    if (validation) {
      for (const auto& [key, value] : evaluate(model, loss, *validation,
                                               {.batch_size = options.batch_size,
                                               .metrics = options.metrics,
                                               .path = options.path}))
        progress.logs["val_" + key] = value;
    }
    history.epochs.push_back(progress.logs);
    if (!options.checkpoint_dir.empty()) {
      write_checkpoint(options.checkpoint_dir, model, optimizer, settings, history.epochs);
      history.last_checkpoint = checkpoint_path(options.checkpoint_dir, epoch + 1);
    }
    progress.seconds = seconds_since(start);
    progress.history = &history.epochs;
    if (options.callbacks.on_epoch_end) options.callbacks.on_epoch_end(progress);
  }
  return history;
}

Tensor one_hot(const Tensor& labels, Dim classes) {
  const bool column = labels.rank() == 2 && labels.dim(1) == 1;
  if (labels.rank() != 1 && !column)
    throw Error(fmt::format("one-hot encoding needs class indices of shape (N,) or (N, 1), got {}",
                            shape_to_python(labels.shape())));
  if (classes < 1) throw Error(fmt::format("one-hot encoding needs classes >= 1, got {}", classes));
  const Dim n = labels.dim(0);
  Tensor out({n, classes});
  for (Dim i = 0; i < n; ++i) {
    const float label = labels[i];
    if (!(label >= 0 && label < static_cast<float>(classes)) || label != std::floor(label))
      throw Error(
          fmt::format("label {} of example {} is not a class index in [0, {})", label, i, classes));
    out[i * classes + static_cast<Dim>(label)] = 1.0f;
  }
  return out;
}

}  // namespace stride
