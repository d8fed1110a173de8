// GlobalMax/GlobalAveragePooling1D/2D/3D. (Not written yet: registers nothing.)
#include "families.hpp"

namespace stride::layers {

void register_global_pooling(LayerRegistry&) {}

}  // namespace stride::layers
