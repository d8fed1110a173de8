// Keras JSON reader. (Not written yet.)
#include "stride/model.hpp"

namespace stride {

Sequential read_keras_json(std::string_view, const std::string& file) {
  throw Error(SourceLoc{file, 1, 1}, "the Keras JSON reader is not written yet");
}

}  // namespace stride
