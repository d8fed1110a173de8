// Keras lines reader. (Not written yet.)
#include "stride/model.hpp"

namespace stride {

LayerCall parse_layer_call(std::string_view, const std::string& file) {
  throw Error(SourceLoc{file, 1, 1}, "the Keras lines reader is not written yet");
}

Sequential read_keras_lines(std::string_view, const std::string& file) {
  throw Error(SourceLoc{file, 1, 1}, "the Keras lines reader is not written yet");
}

}  // namespace stride
