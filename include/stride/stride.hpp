// stride: Keras-semantics CNN arithmetic and summaries in C++.
// The one public header.
#pragma once

#include "stride/config.hpp"
#include "stride/error.hpp"
#include "stride/layer.hpp"
#include "stride/model.hpp"
#include "stride/npy.hpp"
#include "stride/shape.hpp"
#include "stride/tensor.hpp"
