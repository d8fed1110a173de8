// ZeroPadding1D/2D/3D. (Not written yet: registers nothing.)
#include "families.hpp"

namespace stride::layers {

void register_zero_padding(LayerRegistry&) {}

}  // namespace stride::layers
