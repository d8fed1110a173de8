#include "training_setup.hpp"

#include <fmt/format.h>

#include <cmath>

namespace stride::cli {

namespace {

constexpr const char* kFashionMnist = "fashion-mnist";

bool integral_column(const Tensor& y) {
  if (!(y.rank() == 1 || (y.rank() == 2 && y.dim(1) == 1))) return false;
  for (float v : y)
    if (!(v >= 0) || v != std::floor(v)) return false;
  return true;
}

bool one_hot_rows(const Tensor& y, Dim classes) {
  if (y.rank() != 2 || y.dim(1) != classes || classes < 2) return false;
  for (Dim r = 0; r < y.dim(0); ++r) {
    int ones = 0;
    for (Dim c = 0; c < classes; ++c) {
      const float v = y[r * classes + c];
      if (v == 1.0f)
        ++ones;
      else if (v != 0.0f)
        return false;
    }
    if (ones != 1) return false;
  }
  return true;
}

Dim output_classes(const Shape& model_output) {
  return model_output.empty() ? 0 : model_output.back();
}

}  // namespace

Dataset load_data(const DataArgs& args, bool training_split) {
  // uint8 examples stay bytes until a batch is drawn: a quarter of the memory.
  const DatasetOptions options{.scale = !args.no_scale, .compact = true};
  if (!args.dataset.empty()) {
    if (!args.data.empty() || !args.labels.empty())
      throw UsageError("give either --dataset or --data and --labels, not both");
    if (args.dataset != kFashionMnist)
      throw UsageError(
          fmt::format("unknown dataset '{}' (known: {})", args.dataset, kFashionMnist));
    return load_fashion_mnist(training_split, options,
                              args.dataset_dir.empty() ? kFashionMnistDir : args.dataset_dir);
  }
  if (args.data.empty() || args.labels.empty())
    throw UsageError("no data: give --dataset fashion-mnist, or --data X.npy and --labels Y.npy");
  return load_npy_dataset(args.data, args.labels, options);
}

Dataset load_validation_data(const std::vector<std::string>& paths, const DataArgs& args) {
  return load_npy_dataset(paths.at(0), paths.at(1), {.scale = !args.no_scale, .compact = true});
}

std::string labels_source(const DataArgs& args) {
  return args.dataset.empty() ? args.labels : args.dataset + " labels";
}

std::unique_ptr<Loss> choose_loss(const std::string& name, bool from_logits, Tensor& y,
                                  const Shape& model_output, const std::string& labels_name) {
  const Dim classes = output_classes(model_output);
  std::string chosen = name;
  if (chosen.empty()) {
    if (integral_column(y))
      chosen = classes == 1 ? "binary_crossentropy" : "sparse_categorical_crossentropy";
    else if (one_hot_rows(y, classes))
      chosen = "categorical_crossentropy";
    else
      throw Error(SourceLoc{labels_name},
                  fmt::format("labels of shape {} are neither class indices nor one-hot rows for "
                              "the model's output {}: choose a loss with --loss (e.g. "
                              "mean_squared_error)",
                              shape_to_python(y.shape()), shape_to_python(model_output)));
  }
  std::unique_ptr<Loss> loss = make_loss(chosen, from_logits);
  try {
    encode_like(*loss, y, model_output);
  } catch (Error& e) {
    e.set_loc_if_unknown(SourceLoc{labels_name});
    throw;
  }
  return loss;
}

void encode_like(const Loss& loss, Tensor& y, const Shape& model_output) {
  const Dim classes = output_classes(model_output);
  if (loss.name() == "categorical_crossentropy" && classes > 1 && integral_column(y))
    y = one_hot(y, classes);
}

std::vector<std::string> choose_metrics(const std::vector<std::string>& given, const Loss& loss) {
  if (!given.empty()) return given;
  if (loss.name().find("crossentropy") != std::string::npos) return {"accuracy"};
  return {};
}

std::vector<std::string> class_names(const DataArgs& args) {
  if (args.dataset == kFashionMnist)
    return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return {};
}

}  // namespace stride::cli
