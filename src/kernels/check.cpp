// Geometry checks shared by the convolution and pooling kernels.
#include <fmt/format.h>

#include "kernels/internal.hpp"
#include "stride/error.hpp"

namespace stride::kernels::detail {

namespace {
void require(bool ok, const char* kernel_name, const std::string& what) {
  if (!ok) throw Error(fmt::format("internal error in the {} kernel: {}", kernel_name, what));
}

void check_spatial(const Spatial& s, Dim min, const char* kernel_name, const char* name) {
  require(s[0] >= min && s[1] >= min && s[2] >= min, kernel_name,
          fmt::format("{} ({}, {}, {}) must be >= {}", name, s[0], s[1], s[2], min));
}
}  // namespace

void check_conv_geometry(const ConvGeometry& g, const char* kernel_name) {
  require(g.batch >= 0, kernel_name, fmt::format("batch {} is negative", g.batch));
  check_spatial(g.input, 0, kernel_name, "input size");
  check_spatial(g.output, 0, kernel_name, "output size");
  check_spatial(g.kernel, 1, kernel_name, "kernel size");
  check_spatial(g.strides, 1, kernel_name, "strides");
  check_spatial(g.dilation, 1, kernel_name, "dilation");
  check_spatial(g.pad_before, 0, kernel_name, "padding");
  require(g.in_channels >= 1 && g.out_channels >= 1, kernel_name,
          fmt::format("channels {} -> {} must be >= 1", g.in_channels, g.out_channels));
  require(g.groups >= 1 && g.in_channels % g.groups == 0 && g.out_channels % g.groups == 0,
          kernel_name,
          fmt::format("groups {} must divide the channels {} -> {}", g.groups, g.in_channels,
                      g.out_channels));
}

void check_conv_transpose_geometry(const ConvGeometry& g) {
  const char* name = "transposed convolution";
  check_conv_geometry(g, name);
  require(g.groups == 1, name, fmt::format("groups {} is not supported", g.groups));
}

void check_pool_geometry(const PoolGeometry& g) {
  const char* name = "pooling";
  require(g.batch >= 0, name, fmt::format("batch {} is negative", g.batch));
  require(g.channels >= 1, name, fmt::format("channels {} must be >= 1", g.channels));
  check_spatial(g.input, 0, name, "input size");
  check_spatial(g.output, 0, name, "output size");
  check_spatial(g.window, 1, name, "pool size");
  check_spatial(g.strides, 1, name, "strides");
  check_spatial(g.pad_before, 0, name, "padding");
}

}  // namespace stride::kernels::detail
