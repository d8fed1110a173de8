// SeparableConv1D, SeparableConv2D. (Not written yet: registers nothing.)
#include "families.hpp"

namespace stride::layers {

void register_separable_conv(LayerRegistry&) {}

}  // namespace stride::layers
