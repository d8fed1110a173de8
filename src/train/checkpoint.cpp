// Checkpoint files (.npz) and Keras CSVLogger history files.
#include "train/checkpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <string_view>

#include "io/binary_file.hpp"
#include "train/checkpoint_keys.hpp"

namespace stride {

namespace fs = std::filesystem;

namespace {

// A checkpoint is "epoch-" + 4 or more digits + ".npz". (Matched by hand:
// GCC 12 warns inside <regex> in sanitizer builds.)
constexpr std::string_view kEpochPrefix = "epoch-", kNpzSuffix = ".npz";

// A name "epoch-<digits>.npz<rest>" cut into its digits and rest.
struct CheckpointName {
  std::string_view digits, rest;
};
std::optional<CheckpointName> split_checkpoint_name(std::string_view name) {
  if (!name.starts_with(kEpochPrefix)) return std::nullopt;
  name.remove_prefix(kEpochPrefix.size());
  const std::size_t digits = std::min(name.find_first_not_of("0123456789"), name.size());
  if (digits < 4 || !name.substr(digits).starts_with(kNpzSuffix)) return std::nullopt;
  return CheckpointName{name.substr(0, digits), name.substr(digits + kNpzSuffix.size())};
}

// What write_file_atomically left of a checkpoint when the process died mid-write.
bool is_temporary(std::string_view name) {
  const std::optional<std::string_view> target = atomic_write_target(name);
  if (!target) return false;
  const std::optional<CheckpointName> parts = split_checkpoint_name(*target);
  return parts && parts->rest.empty();
}

const Array* find(const NamedArrays& arrays, const std::string& key) {
  for (const auto& [name, array] : arrays)
    if (name == key) return &array;
  return nullptr;
}

std::int64_t int_entry(const NamedArrays& arrays, const std::string& key, const std::string& path) {
  const Array* a = find(arrays, key);
  if (!a) throw Error(SourceLoc{path}, fmt::format("not a stride checkpoint: no '{}'", key));
  try {
    return a->as_int64_scalar("'" + key + "'");
  } catch (Error& e) {
    throw Error(SourceLoc{path}, e.what());
  }
}

// A setting of the checkpointed run that this run must share.
void check_same(const std::string& path, const char* what, std::int64_t checkpoint,
                std::int64_t now) {
  if (checkpoint != now)
    throw Error(SourceLoc{path},
                fmt::format("the checkpoint was written with {} {}, this run has {}; resume with "
                            "the same settings (or start a new checkpoint directory)",
                            what, checkpoint, now));
}

}  // namespace

std::string checkpoint_path(const std::string& dir, Dim epochs_done) {
  return (fs::path(dir) / fmt::format("epoch-{:04d}.npz", epochs_done)).string();
}

std::optional<std::string> latest_checkpoint(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::nullopt;
  std::optional<std::string> best;
  long long best_epoch = -1;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::optional<CheckpointName> parts = split_checkpoint_name(name);
    if (!parts || !parts->rest.empty() || parts->digits.size() > 12) continue;
    const long long epoch = std::stoll(std::string(parts->digits));
    if (epoch > best_epoch) {
      best_epoch = epoch;
      best = entry.path().string();
    }
  }
  if (ec) throw Error(SourceLoc{dir}, "cannot list the checkpoint directory: " + ec.message());
  return best;
}

void write_checkpoint(const std::string& dir, const Sequential& model, const Optimizer& optimizer,
                      const RunSettings& settings, const std::vector<Logs>& history) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(SourceLoc{dir}, "cannot create the checkpoint directory: " + ec.message());
  NamedArrays arrays;
  for (auto& [key, array] : model.weight_arrays())
    arrays.emplace_back(kCheckpointWeightsPrefix + key, std::move(array));
  for (auto& [key, array] : optimizer.state())
    arrays.emplace_back(kCheckpointOptimizerPrefix + key, std::move(array));
  arrays.emplace_back(kCheckpointEpochKey, Array::int64_scalar(static_cast<Dim>(history.size())));
  arrays.emplace_back(kCheckpointSeedKey,
                      Array::int64_scalar(std::bit_cast<std::int64_t>(settings.seed)));
  arrays.emplace_back(kCheckpointBatchSizeKey, Array::int64_scalar(settings.batch_size));
  arrays.emplace_back(kCheckpointShuffleKey, Array::int64_scalar(settings.shuffle ? 1 : 0));
  arrays.emplace_back(kCheckpointSamplesKey, Array::int64_scalar(settings.samples));
  std::set<std::string> keys;
  for (const Logs& logs : history)
    for (const auto& [key, value] : logs) keys.insert(key);
  for (const std::string& key : keys) {
    std::vector<double> values;
    for (const Logs& logs : history) {
      auto it = logs.find(key);
      values.push_back(it == logs.end() ? std::numeric_limits<double>::quiet_NaN() : it->second);
    }
    arrays.emplace_back(kCheckpointHistoryPrefix + key,
                        Array::from_double({static_cast<Dim>(values.size())}, values.data()));
  }
  write_npz(checkpoint_path(dir, static_cast<Dim>(history.size())), arrays, false);
  // Temporary files of writes that a killed run left: never read, removed now.
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec))
    if (is_temporary(entry.path().filename().string())) fs::remove(entry.path(), ec);
}

std::vector<Logs> read_checkpoint(const std::string& path, Sequential& model, Optimizer& optimizer,
                                  const RunSettings& settings) {
  const NamedArrays arrays = read_npz(path);
  const std::int64_t epochs = int_entry(arrays, kCheckpointEpochKey, path);
  if (epochs < 0) throw Error(SourceLoc{path}, fmt::format("negative epoch count {}", epochs));
  check_same(path, "seed",
             std::bit_cast<std::int64_t>(
                 static_cast<std::uint64_t>(int_entry(arrays, kCheckpointSeedKey, path))),
             std::bit_cast<std::int64_t>(settings.seed));
  check_same(path, "batch size", int_entry(arrays, kCheckpointBatchSizeKey, path),
             settings.batch_size);
  check_same(path, "shuffle", int_entry(arrays, kCheckpointShuffleKey, path),
             settings.shuffle ? 1 : 0);
  check_same(path, "training examples", int_entry(arrays, kCheckpointSamplesKey, path),
             settings.samples);

  NamedArrays weights, state;
  std::vector<Logs> history(static_cast<std::size_t>(epochs));
  for (const auto& [key, array] : arrays) {
    const std::string_view k = key;
    if (k.starts_with(kCheckpointWeightsPrefix)) {
      weights.emplace_back(key.substr(std::string_view(kCheckpointWeightsPrefix).size()), array);
    } else if (k.starts_with(kCheckpointOptimizerPrefix)) {
      state.emplace_back(key.substr(std::string_view(kCheckpointOptimizerPrefix).size()), array);
    } else if (k.starts_with(kCheckpointHistoryPrefix)) {
      const std::string metric = key.substr(std::string_view(kCheckpointHistoryPrefix).size());
      if (array.dtype != DType::kFloat64 || array.shape != Shape{epochs})
        throw Error(SourceLoc{path},
                    fmt::format("history '{}' is {} {}, expected float64 ({},)", metric,
                                dtype_name(array.dtype), shape_to_python(array.shape), epochs));
      const double* values = reinterpret_cast<const double*>(array.bytes.data());
      for (std::int64_t e = 0; e < epochs; ++e) {
        double v;
        std::memcpy(&v, values + e, sizeof v);  // little-endian hosts only, as npy.cpp
        if (!std::isnan(v)) history[static_cast<std::size_t>(e)][metric] = v;
      }
    }
  }
  // Optimizer first: its check of the state happens now or at the first
  // step, while set_weights checks everything before writing.
  try {
    optimizer.load_state(state);
  } catch (Error& e) {
    throw Error(SourceLoc{path}, e.what());
  }
  model.set_weights(weights, path);
  return history;
}

namespace {

// Python's repr of a float, as CSVLogger writes it: shortest round trip, and
// "1.0" rather than "1".
std::string python_float(double value) {
  std::string text = fmt::format("{}", value);
  if (std::isfinite(value) && text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

}  // namespace

void write_history_csv(const std::string& path, const std::vector<Logs>& epochs) {
  std::set<std::string> keys;
  for (const Logs& logs : epochs)
    for (const auto& [key, value] : logs) keys.insert(key);
  std::string text = "epoch";
  for (const std::string& key : keys) text += "," + key;
  text += "\n";
  for (std::size_t e = 0; e < epochs.size(); ++e) {
    text += fmt::format("{}", e);
    for (const std::string& key : keys) {
      auto it = epochs[e].find(key);
      text += "," + (it == epochs[e].end() ? std::string() : python_float(it->second));
    }
    text += "\n";
  }
  write_file_atomically(path, text);
}

}  // namespace stride
