// stride explain: every layer's arithmetic. (Not written yet.)
#include "stride/model.hpp"

namespace stride {

std::string Sequential::explain() const { throw Error("explain is not written yet"); }

}  // namespace stride
