// Activation, ReLU, LeakyReLU, Softmax, ELU. (Not written yet: registers nothing.)
#include "families.hpp"

namespace stride::layers {

void register_activation(LayerRegistry&) {}

}  // namespace stride::layers
