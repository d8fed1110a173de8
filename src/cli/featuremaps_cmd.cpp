// stride featuremaps MODEL --input X.npy --layer NAME [--index I] -o maps.png
// stride featuremaps MODEL --filters [--layer NAME] -o filters.png
#include <fmt/format.h>

#include "cli.hpp"

namespace stride::cli {

namespace {

std::string size_text(const Image& image) {
  return fmt::format("{}x{} pixels", image.width, image.height);
}

}  // namespace

std::string run_featuremaps(const FeaturemapsArgs& args) {
  if (args.filters && !args.input.empty())
    throw UsageError("featuremaps: --filters draws kernels and takes no --input");
  if (!args.filters && (args.input.empty() || args.layer.empty()))
    throw UsageError("featuremaps: give --input X.npy and --layer NAME (or --filters)");
  const GridOptions options{args.global_scale ? TileScale::kGlobal : TileScale::kPerTile};
  Sequential model = load_model_and_weights(args.model, args.weights, args.seed);
  // Layer names belong to the model file.
  const auto in_model = [&](auto&& fn) {
    try {
      return fn();
    } catch (Error& e) {
      e.set_loc_if_unknown(SourceLoc{args.model});
      throw;
    }
  };
  if (args.filters) {
    const Tensor& kernel =
        in_model([&]() -> const Tensor& { return conv2d_kernel(model, args.layer); });
    const Image grid = filter_grid(kernel, options);
    write_png(args.output, grid);
    return fmt::format("{}: {} filter{} {} of kernel {}, {}\n", args.output, kernel.dim(3),
                       kernel.dim(3) == 1 ? "" : "s", dims_to_x({kernel.dim(0), kernel.dim(1)}),
                       shape_to_python(kernel.shape()), size_text(grid));
  }
  in_model([&] { return &model.layer(args.layer); });
  const Tensor batch = read_input_tensor(args.input);
  Tensor maps;
  try {
    maps = feature_maps(model, batch, args.index, args.layer);
  } catch (Error& e) {
    // Shape and index problems concern the input file; layer errors keep their place.
    e.set_loc_if_unknown(SourceLoc{args.input});
    throw;
  }
  const Image grid = featuremap_grid(maps, options);
  write_png(args.output, grid);
  return fmt::format("{}: {} feature maps {} of layer '{}' for sample {}, {}\n", args.output,
                     maps.dim(2), dims_to_x({maps.dim(0), maps.dim(1)}), args.layer, args.index,
                     size_text(grid));
}

}  // namespace stride::cli
