// Conv1DTranspose, Conv2DTranspose, Conv3DTranspose. (Not written yet: registers nothing.)
#include "families.hpp"

namespace stride::layers {

void register_conv_transpose(LayerRegistry&) {}

}  // namespace stride::layers
