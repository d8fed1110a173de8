// stride evaluate MODEL [--weights W] (--dataset NAME | --data X --labels Y)
#include <fmt/format.h>

#include <algorithm>

#include "cli.hpp"
#include "progress.hpp"
#include "training_setup.hpp"

namespace stride::cli {

namespace {

// Rows: true class, columns: predicted class; a row label carries the class
// name when the dataset has them.
std::string format_confusion(const std::vector<std::int64_t>& counts, Dim classes,
                             const std::vector<std::string>& names) {
  std::size_t label_width = 4;
  auto row_label = [&](Dim c) {
    return c < static_cast<Dim>(names.size()) ? fmt::format("{} {}", c, names[c])
                                              : fmt::format("{}", c);
  };
  for (Dim c = 0; c < classes; ++c) label_width = std::max(label_width, row_label(c).size());
  std::size_t cell = 3;
  for (std::int64_t n : counts) cell = std::max(cell, fmt::format("{}", n).size());
  cell = std::max(cell, fmt::format("{}", classes - 1).size());

  std::string out = "Confusion matrix (rows: true class, columns: predicted class):\n";
  out += fmt::format("{:<{}}", "", label_width);
  for (Dim c = 0; c < classes; ++c) out += fmt::format(" {:>{}}", c, cell);
  out += "\n";
  for (Dim t = 0; t < classes; ++t) {
    out += fmt::format("{:<{}}", row_label(t), label_width);
    for (Dim p = 0; p < classes; ++p) out += fmt::format(" {:>{}}", counts[t * classes + p], cell);
    out += "\n";
  }
  return out;
}

}  // namespace

std::string run_evaluate(const EvaluateArgs& args) {
  Sequential model = load_model_and_weights(args.model, args.weights, 0, /*weights_required=*/true);
  Dataset data = load_data(args.data, false);
  const std::string labels_name = labels_source(args.data);
  std::unique_ptr<Loss> loss =
      choose_loss(args.loss, args.from_logits, data.y, model.output_shape(), labels_name);

  ProgressPrinter printer = ProgressPrinter::for_stdout();
  Tensor predictions;
  Logs logs;
  try {
    logs = evaluate(model, *loss, data,
                    {.batch_size = args.batch_size,
                     .metrics = choose_metrics(args.metrics, *loss),
                     .path = args.reference ? ComputePath::kReference : ComputePath::kFast,
                     .on_batch_end = [&](const Progress& p) { printer.evaluate_batch_end(p); },
                     .predictions = &predictions});
  } catch (Error& e) {
    e.set_loc_if_unknown(SourceLoc{labels_name});
    throw;
  }

  std::string out = fmt::format("{} examples\n", data.size());
  for (const auto& [name, value] : logs) out += fmt::format("{}: {:.4f}\n", name, value);
  const Dim outputs = predictions.rank() ? predictions.shape().back() : 0;
  const bool classification = loss->name().find("crossentropy") != std::string::npos;
  if (classification && predictions.rank() == 2) {
    const Dim classes = outputs == 1 ? 2 : outputs;
    out += "\n" + format_confusion(confusion_matrix(data.y, predictions, classes), classes,
                                   class_names(args.data));
  }
  return out;
}

}  // namespace stride::cli
