// Training checkpoints: everything fit needs to continue a run exactly where
// a finished epoch left it (array names in checkpoint_keys.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stride/train.hpp"

namespace stride {

// What a checkpoint records about the run besides weights and optimizer
// state; resuming with other settings would not replay the same epochs.
struct RunSettings {
  std::uint64_t seed = 0;
  Dim batch_size = 0;
  bool shuffle = true;
  Dim samples = 0;  // training examples (after any validation split)
};

// Writes checkpoint_path(dir, history.size()) atomically, creating `dir`.
void write_checkpoint(const std::string& dir, const Sequential& model, const Optimizer& optimizer,
                      const RunSettings& settings, const std::vector<Logs>& history);

// Loads the checkpoint at `path` into `model` and `optimizer` and returns its
// history (one Logs per finished epoch). Settings that differ from `settings`
// are an error naming the file, and leave the model untouched.
std::vector<Logs> read_checkpoint(const std::string& path, Sequential& model, Optimizer& optimizer,
                                  const RunSettings& settings);

}  // namespace stride
