// stride predict MODEL [--weights W] --input X.npy [--output Y.npy]
#include <fmt/format.h>

#include "cli.hpp"

namespace stride::cli {

namespace {

// One line per sample, its values flattened, %g-style with float precision.
std::string format_rows(const Tensor& y) {
  std::string out;
  const Dim count = y.rank() ? y.dim(0) : 0;
  const Dim per_row = count ? y.size() / count : 0;
  for (Dim r = 0; r < count; ++r) {
    for (Dim i = 0; i < per_row; ++i)
      out += fmt::format("{}{:.7g}", i ? " " : "", y[r * per_row + i]);
    out += '\n';
  }
  return out;
}

}  // namespace

Sequential load_model_and_weights(const std::string& model_path, const std::string& weights,
                                  std::uint64_t seed, bool weights_required) {
  ModelFile file = read_model_file(model_path);
  Sequential& model = file.model;
  if (weights_required && weights.empty() && !file.has_weights)
    throw UsageError(
        "--weights is required: the model file holds no weights (only .keras and .h5 model files "
        "bring their own)");
  model.build();
  // --weights overrides the weights a .keras / .h5 model brings.
  if (!weights.empty())
    model.load_weights(weights);
  else if (!file.has_weights)
    model.initialize_weights(seed);
  return std::move(file.model);
}

Tensor read_input_tensor(const std::string& path) {
  const Array x = read_npy(path);
  try {
    return Tensor(x.shape, x.to_float());
  } catch (Error& e) {
    e.set_loc_if_unknown(SourceLoc{path});
    throw;
  }
}

std::string run_predict(const PredictArgs& args) {
  Sequential model = load_model_and_weights(args.model, args.weights, args.seed);
  const Tensor input = read_input_tensor(args.input);
  Tensor y;
  try {
    if (args.reference)
      y = model.call(input, {.training = false, .path = ComputePath::kReference});
    else
      y = model.predict(input, args.batch_size);
  } catch (Error& e) {
    // Shape mismatches concern the input file; layer errors keep their place.
    e.set_loc_if_unknown(SourceLoc{args.input});
    throw;
  }
  if (args.output.empty()) return format_rows(y);
  write_npy(args.output, Array::from_float(y.shape(), y.data()));
  return "";
}

}  // namespace stride::cli
