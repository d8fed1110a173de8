// One colour per layer family, shared by the pictures of a model so that a
// Conv2D looks the same in the layer boxes and in the volumes.
#pragma once

#include <string_view>

namespace stride::plot {

// A fill colour ("#4e79a7") for a Keras class name; "InputLayer" included.
const char* layer_color(std::string_view class_name);

}  // namespace stride::plot
