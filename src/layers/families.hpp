// One register function per layer family file. Adding a layer touches its
// family file; adding a family adds one line here and one in registry.cpp.
#pragma once

#include "stride/layer.hpp"

namespace stride::layers {

// The factory of a layer class whose constructor takes (Config, rank): one
// class serves its 1D, 2D and 3D variants.
template <class RankedLayer, std::size_t Rank>
std::unique_ptr<Layer> make_ranked(const Config& config) {
  return std::make_unique<RankedLayer>(config, Rank);
}

void register_input(LayerRegistry& r);
void register_conv(LayerRegistry& r);
void register_conv_transpose(LayerRegistry& r);
void register_depthwise_conv(LayerRegistry& r);
void register_separable_conv(LayerRegistry& r);
void register_pooling(LayerRegistry& r);
void register_global_pooling(LayerRegistry& r);
void register_dense(LayerRegistry& r);
void register_reshaping(LayerRegistry& r);
void register_dropout(LayerRegistry& r);
void register_activation(LayerRegistry& r);
void register_normalization(LayerRegistry& r);
void register_zero_padding(LayerRegistry& r);
void register_cropping(LayerRegistry& r);
void register_upsampling(LayerRegistry& r);

}  // namespace stride::layers
