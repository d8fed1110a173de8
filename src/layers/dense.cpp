// Dense. (Not written yet: registers nothing.)
#include "families.hpp"

namespace stride::layers {

void register_dense(LayerRegistry&) {}

}  // namespace stride::layers
