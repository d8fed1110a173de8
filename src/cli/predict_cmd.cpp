// stride predict MODEL [--weights W.npz] --input X.npy [--output Y.npy]
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

std::string run_predict(const PredictArgs& args) {
  Sequential model = load_model(args.model);
  model.build();
  if (args.weights.empty())
    model.initialize_weights(args.seed);
  else
    model.load_weights(args.weights);
  const Array x = read_npy(args.input);
  const Tensor input(x.shape, x.to_float());
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
