// Flatten, Reshape, Permute. (Not written yet: registers nothing.)
#include "families.hpp"

namespace stride::layers {

void register_reshaping(LayerRegistry&) {}

}  // namespace stride::layers
