// stride: Keras-semantics CNNs in C++: shapes, summaries, computation and training.
// The one public header.
#pragma once

#include "stride/build.hpp"
#include "stride/config.hpp"
#include "stride/dataset.hpp"
#include "stride/error.hpp"
#include "stride/layer.hpp"
#include "stride/loss.hpp"
#include "stride/metrics.hpp"
#include "stride/model.hpp"
#include "stride/npy.hpp"
#include "stride/optimizer.hpp"
#include "stride/parallel.hpp"
#include "stride/plot.hpp"
#include "stride/random.hpp"
#include "stride/shape.hpp"
#include "stride/tensor.hpp"
#include "stride/train.hpp"
