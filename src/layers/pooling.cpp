// MaxPooling1D/2D/3D, AveragePooling1D/2D/3D. (Not written yet: registers nothing.)
#include "families.hpp"

namespace stride::layers {

void register_pooling(LayerRegistry&) {}

}  // namespace stride::layers
