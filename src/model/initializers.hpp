// Keras's weight initializers (reference §7.6): the names and dict forms
// that Keras 2 and 3 configs hold.
#pragma once

#include "stride/config.hpp"
#include "stride/tensor.hpp"
#include "stride/random.hpp"

namespace stride {

// Fills `value` per `spec`: a name ("glorot_uniform", "GlorotUniform",
// "zeros"), or a {"class_name", "config"} object. Throws an Error naming the
// initializer when it is unknown.
void initialize(const Json& spec, Tensor& value, Random& random);

}  // namespace stride
