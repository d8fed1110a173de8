// The array names of a training checkpoint (.npz), shared by the writer
// (train/checkpoint.cpp) and by Sequential::load_weights, which reads a
// checkpoint as its weights.
#pragma once

namespace stride {

inline constexpr const char* kCheckpointWeightsPrefix = "weights/";  // + "<layer>/<weight>"
inline constexpr const char* kCheckpointOptimizerPrefix =
    "optimizer/";                                                     // + Optimizer::state() keys
inline constexpr const char* kCheckpointHistoryPrefix = "history/";   // + metric: float64 (epochs,)
inline constexpr const char* kCheckpointEpochKey = "training/epoch";  // int64: epochs finished
inline constexpr const char* kCheckpointSeedKey = "training/seed";    // int64 bits of the seed
inline constexpr const char* kCheckpointBatchSizeKey = "training/batch_size";
inline constexpr const char* kCheckpointShuffleKey = "training/shuffle";
inline constexpr const char* kCheckpointSamplesKey = "training/samples";  // training set size

}  // namespace stride
