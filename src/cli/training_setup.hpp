// What `train` and `evaluate` share: reading the data they are given and
// choosing the loss and metrics Keras users would compile with.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli.hpp"

namespace stride::cli {

// The examples of --dataset (its training or test split) or of --data/--labels.
Dataset load_data(const DataArgs& args, bool training_split);
// A --validation-data X.npy Y.npy pair.
Dataset load_validation_data(const std::vector<std::string>& paths, const DataArgs& args);

// The loss named by --loss, or the natural one for these labels: class
// indices -> sparse_categorical_crossentropy (binary_crossentropy for a
// one-output model), one-hot rows -> categorical_crossentropy. Anything else
// needs --loss. Class indices given to categorical_crossentropy are one-hot
// encoded (what keras.utils.to_categorical does in Keras's examples); `y`
// is replaced then.
std::unique_ptr<Loss> choose_loss(const std::string& name, bool from_logits, Tensor& y,
                                  const Shape& model_output, const std::string& labels_name);
// Applies the encoding choose_loss chose for the training labels to other
// labels (validation, test).
void encode_like(const Loss& loss, Tensor& y, const Shape& model_output);

// --metrics, or "accuracy" for the crossentropy losses and nothing else.
std::vector<std::string> choose_metrics(const std::vector<std::string>& given, const Loss& loss);

// A name for the labels in messages: the labels file or the dataset.
std::string labels_source(const DataArgs& args);

// Class names of a known dataset ("T-shirt/top", ...), or empty.
std::vector<std::string> class_names(const DataArgs& args);

}  // namespace stride::cli
