// Dropout, SpatialDropout1D/2D/3D. (Not written yet: registers nothing.)
#include "families.hpp"

namespace stride::layers {

void register_dropout(LayerRegistry&) {}

}  // namespace stride::layers
