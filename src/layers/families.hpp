// One register function per layer family file. Adding a layer touches its
// family file; adding a family adds one line here and one in registry.cpp.
#pragma once

#include "stride/layer.hpp"

namespace stride::layers {

void register_input(LayerRegistry& r);
void register_conv(LayerRegistry& r);

}  // namespace stride::layers
