// DepthwiseConv1D, DepthwiseConv2D. (Not written yet: registers nothing.)
#include "families.hpp"

namespace stride::layers {

void register_depthwise_conv(LayerRegistry&) {}

}  // namespace stride::layers
