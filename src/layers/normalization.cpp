// BatchNormalization, LayerNormalization. (Not written yet: registers nothing.)
#include "families.hpp"

namespace stride::layers {

void register_normalization(LayerRegistry&) {}

}  // namespace stride::layers
