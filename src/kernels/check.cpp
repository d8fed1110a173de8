// Geometry checks shared by the convolution and pooling kernels.
#include <fmt/format.h>

#include "kernels/internal.hpp"
#include "stride/error.hpp"

namespace stride::kernels::detail {

namespace {
// The message is formatted only on failure: these checks run on every kernel
// call, and formatting them eagerly cost ~4% of a batch-1 inference.
template <typename... Args>
void require(bool ok, const char* kernel_name, fmt::format_string<Args...> what, Args&&... args) {
  if (!ok)
    throw Error(fmt::format("internal error in the {} kernel: {}", kernel_name,
                            fmt::format(what, std::forward<Args>(args)...)));
}

void check_spatial(const Spatial& s, Dim min, const char* kernel_name, const char* name) {
  require(s[0] >= min && s[1] >= min && s[2] >= min, kernel_name, "{} ({}, {}, {}) must be >= {}",
          name, s[0], s[1], s[2], min);
}
}  // namespace

void check_conv_geometry(const ConvGeometry& g, const char* kernel_name) {
  require(g.batch >= 0, kernel_name, "batch {} is negative", g.batch);
  check_spatial(g.input, 0, kernel_name, "input size");
  check_spatial(g.output, 0, kernel_name, "output size");
  check_spatial(g.kernel, 1, kernel_name, "kernel size");
  check_spatial(g.strides, 1, kernel_name, "strides");
  check_spatial(g.dilation, 1, kernel_name, "dilation");
  check_spatial(g.pad_before, 0, kernel_name, "padding");
  require(g.in_channels >= 1 && g.out_channels >= 1, kernel_name, "channels {} -> {} must be >= 1",
          g.in_channels, g.out_channels);
  require(g.groups >= 1 && g.in_channels % g.groups == 0 && g.out_channels % g.groups == 0,
          kernel_name, "groups {} must divide the channels {} -> {}", g.groups, g.in_channels,
          g.out_channels);
}

void check_conv_transpose_geometry(const ConvGeometry& g) {
  const char* name = "transposed convolution";
  check_conv_geometry(g, name);
  require(g.groups == 1, name, "groups {} is not supported", g.groups);
}

void check_pool_geometry(const PoolGeometry& g) {
  const char* name = "pooling";
  require(g.batch >= 0, name, "batch {} is negative", g.batch);
  require(g.channels >= 1, name, "channels {} must be >= 1", g.channels);
  check_spatial(g.input, 0, name, "input size");
  check_spatial(g.output, 0, name, "output size");
  check_spatial(g.window, 1, name, "pool size");
  check_spatial(g.strides, 1, name, "strides");
  check_spatial(g.pad_before, 0, name, "padding");
}

}  // namespace stride::kernels::detail
