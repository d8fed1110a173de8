// What the layer families' forward() implementations share: data-format
// handling, kernel geometry from a Window, and activations.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "kernels/conv.hpp"
#include "kernels/pool.hpp"
#include "kernels/transpose.hpp"
#include "window.hpp"

namespace stride::layers {

// Kernels work channels_last; a channels_first layer transposes around them.
template <class ChannelsLastOp>
Tensor in_channels_last(const Tensor& input, bool channels_first, ChannelsLastOp&& op) {
  if (!channels_first) return op(input);
  return kernels::to_channels_first(op(kernels::to_channels_last(input)));
}

// The same for backward: the layer's input and the output gradient go in
// channels_last, the input gradient comes back in the layer's format.
template <class ChannelsLastOp>
Tensor in_channels_last(const Tensor& input, const Tensor& output_grad, bool channels_first,
                        ChannelsLastOp&& op) {
  if (!channels_first) return op(input, output_grad);
  Tensor input_grad = op(kernels::to_channels_last(input), kernels::to_channels_last(output_grad));
  return input_grad.rank() == 0 ? input_grad : kernels::to_channels_first(input_grad);
}

// (batch, C, spatial...) -> (batch, spatial..., C), shapes only.
Shape channels_last_shape(const Shape& channels_first);

// A 1D/2D window's values right-aligned into the kernels' 3D (depth, height,
// width), the leading entries `fill`.
kernels::Spatial spatial3(const std::vector<Dim>& dims, Dim fill);

// The geometry of a windowed op from channels_last input and output shapes:
// SAME pads per TensorFlow's split, causal pads k_eff - 1 before.
kernels::ConvGeometry conv_geometry(const Shape& input, const Shape& output, const Window& window);
// The same for a pooling window over channels_last input and output shapes.
kernels::PoolGeometry pool_geometry(const Shape& input, const Shape& output, const Window& window);
// The winners a max pooling layer recorded in `tape` for its gradient
// (training on the fast path, channels_last; pooling.cpp), one byte per
// output value; nullptr where `layer` is no max pooling or recorded none.
const std::uint8_t* recorded_max_pool_taps(const Layer& layer, const Tape& tape);
// Storage for the winning taps of `outputs` max-pooled values, one byte each,
// in a float tensor (what a tape's `saved` holds and recorded_max_pool_taps
// reads back), and its bytes.
Tensor max_pool_taps_storage(Dim outputs);
inline std::uint8_t* tap_bytes(Tensor& taps) {
  return reinterpret_cast<std::uint8_t*>(taps.data());
}

// A grouped convolution of a channels_last input (kernels::conv_forward
// documents the layouts); groups == channels is a depthwise convolution.
Tensor convolve(const Layer& layer, const Tensor& input, const Window& window, Dim filters,
                Dim groups, const float* kernel, const float* bias, ComputePath path,
                bool relu = false);

// ZeroPadding's zeros around the spatial axes, and Cropping's removal of
// them: each is the other's gradient.
Tensor pad_spatial(const Tensor& input, const std::vector<SidePair>& pads, bool channels_first);
Tensor crop_spatial(const Tensor& input, const std::vector<SidePair>& crops, bool channels_first);

// A tensor with some axes moved to the end (in the order given) and seen as
// rows of their combined size: how softmax, BatchNormalization and
// LayerNormalization work over arbitrary axes with one row loop.
struct AxesLast {
  Tensor rows;                       // (other elements, row size)
  std::vector<std::size_t> restore;  // the permutation back; empty when none was needed
  Shape moved_shape;
};
AxesLast move_axes_last(const Tensor& input, const std::vector<std::size_t>& axes);
// `rows` (shaped like a.rows) back in the original axis order.
Tensor restore_axes(const AxesLast& a, const Tensor& rows);

// The gradients of convolve(): writes dL/dkernel (and dL/dbias when
// bias_grad is set) and returns dL/dinput, all channels_last; without
// input_grad_needed it returns an empty Tensor() instead.
Tensor convolve_backward(const Tensor& input, const Tensor& output_grad, const Window& window,
                         Dim groups, const float* kernel, float* kernel_grad, float* bias_grad,
                         ComputePath path, bool input_grad_needed = true);

// Applies a Keras activation by name in place, over the last axis for softmax.
void activate(const std::string& activation, Tensor& values, const CallOptions& options);

// A layer's fused activation (Conv2D(..., activation='relu')): applies it to
// the pre-activation values z and, when training, keeps z as the last entry
// of tape.saved for activation_grad (so it is the last thing forward saves).
Tensor activated(const std::string& activation, Tensor z, const CallOptions& options);
// dL/dz from dL/d(output) through the fused activation recorded by activated().
Tensor activation_grad(const std::string& activation, const Tape& tape, const Tensor& output_grad,
                       ComputePath path);

// For each axis of `full`, the stride into a tensor of shape `part` that
// broadcasts against it (size-1 axes of `part` get stride 0); `part` may have
// fewer axes, aligned to the right, as NumPy broadcasts.
std::vector<Dim> broadcast_strides(const Shape& full, const Shape& part);
// Calls f(i, j) for every element i of `full` with j its element of `part`.
template <class F>
void for_each_broadcast(const Shape& full, const Shape& part, F&& f) {
  if (part == full) {  // the common case (Dropout's default noise shape): one plain loop
    Dim total = 1;
    for (Dim d : full) total *= d;
    for (Dim i = 0; i < total; ++i) f(i, i);
    return;
  }
  const std::vector<Dim> stride = broadcast_strides(full, part);
  std::vector<Dim> index(full.size(), 0);
  Dim total = 1;
  for (Dim d : full) total *= d;
  Dim j = 0;
  for (Dim i = 0; i < total; ++i) {
    f(i, j);
    for (std::size_t a = full.size(); a-- > 0;) {
      j += stride[a];
      if (++index[a] < full[a]) break;
      j -= stride[a] * full[a];
      index[a] = 0;
    }
  }
}

}  // namespace stride::layers
