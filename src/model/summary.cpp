// model.summary() in Keras 2 and Keras 3 forms, and as JSON. (Not written yet.)
#include "stride/model.hpp"

namespace stride {

std::string Sequential::summary(const SummaryOptions&) const {
  throw Error("summary is not written yet");
}

Json Sequential::summary_json() const { throw Error("summary is not written yet"); }

}  // namespace stride
