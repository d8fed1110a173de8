// stride plot MODEL [--volumes] [-o OUT.svg] | stride plot --history H.csv [-o OUT.svg]
#include "cli.hpp"

namespace stride::cli {

std::string run_plot(const PlotArgs& args) {
  if (args.model.empty() == args.history.empty())
    throw UsageError("plot: give a MODEL file or --history H.csv (one of them)");
  if (!args.history.empty() && args.volumes)
    throw UsageError("plot: --volumes draws a model, not a --history");
  std::string svg;
  if (!args.history.empty()) {
    svg = plot_history_svg(read_history_csv(args.history));
  } else {
    const Sequential model = load_model(args.model);
    svg = args.volumes ? plot_volumes_svg(model) : plot_model_svg(model);
  }
  if (args.output.empty()) return svg;
  write_svg(args.output, svg);
  return "";
}

}  // namespace stride::cli
