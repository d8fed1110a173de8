// MaxPooling1D/2D/3D, AveragePooling1D/2D/3D: Keras's windowed pooling
// (reference §1.4, §2.5). Output sizes use the convolution rule with the pool
// as kernel and dilation 1; channels pass through unchanged; no weights.
#include <fmt/format.h>

#include <cstdint>

#include "compute.hpp"
#include "families.hpp"
#include "kernels/pool.hpp"
#include "window.hpp"

namespace stride::layers {

namespace {

// Keras 2's 1D pooling layers default to channels_last explicitly; 2D/3D take
// None (the global image_data_format, channels_last).
Signature pooling_signature(std::size_t rank) {
  const Json pool = rank == 1 ? Json(2) : Json(std::vector<int>(rank, 2));
  return {
      {"pool_size", pool},
      {"strides", nullptr},
      {"padding", "valid"},
      {"data_format", rank == 1 ? Json("channels_last") : Json(nullptr)},
  };
}

class Pooling : public Layer {
 public:
  Pooling(Config config, std::size_t rank, bool max)
      : Layer(std::move(config)), rank_(rank), max_(max) {
    const Config& c = this->config();
    window_ = pool_window(c, rank);
    channels_first_ = c.channels_first();
    // Keras's get_config lists normalized tuples.
    Json& j = mutable_config();
    j["pool_size"] = window_.kernel;
    j["strides"] = window_.strides;
    j["padding"] = padding_name(window_.padding);
    j["data_format"] = channels_first_ ? "channels_first" : "channels_last";
  }

  Shape compute_output_shape(const Shape& input) const override {
    require_rank(input, rank_ + 2);
    return make_shape(input[0], windowed_dims(*this, input, channels_first_, window_),
                      channel_dim(input, channels_first_), channels_first_);
  }

  void explain(Explanation& out) const override {
    out.add(fmt::format("{} pooling, pool {} stride {}", max_ ? "max" : "average",
                        dims_to_x(window_.kernel), dims_to_x(window_.strides)));
    explain_window(out, input_shape(), channels_first_, window_);
    if (pads_somewhere())
      out.add(max_ ? "same padding: padded positions never win the max (they count as -inf)"
                   : "same padding: padded positions are left out of the average (the divisor "
                     "counts real inputs only)");
    const Dim channels = channel_dim(input_shape(), channels_first_);
    out.add(fmt::format("channels: {} (unchanged: each channel is pooled separately)",
                        channels == kNone ? std::string("None") : std::to_string(channels)));
    out.add("params: 0 (pooling has no weights)");
  }

 protected:
  Tensor forward(const Tensor& input, const CallOptions& options) const override {
    if (records_taps(options.tape, options.path, input.shape())) {
      // Training: each output's winning tap, one byte each, kept in a float
      // tensor's storage (read back as bytes) for backward.
      Tensor y = Tensor::uninitialized(output_shape_for(input.shape()));  // overwritten
      Tensor taps = max_pool_taps_storage(y.size());
      kernels::max_pool_forward_taps(geometry(input.shape(), y.shape()), input.data(), y.data(),
                                     tap_bytes(taps));
      options.tape->saved.push_back(taps);
      return y;
    }
    return in_channels_last(input, channels_first_, [&](const Tensor& x) {
      Tensor y = Tensor::uninitialized(output_shape_for(x.shape()));  // overwritten
      kernels::pool_forward(options.path, kind(), geometry(x.shape(), y.shape()), x.data(),
                            y.data());
      return y;
    });
  }

 public:
  bool is_max() const { return max_; }

  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>&,
                  ComputePath path) const override {
    if (!tape.saved.empty()) {                                // the taps forward recorded
      Tensor dx = Tensor::uninitialized(tape.input.shape());  // overwritten
      kernels::max_pool_backward_taps(
          geometry(tape.input.shape(), output_grad.shape()),
          reinterpret_cast<const std::uint8_t*>(tape.saved.front().data()), output_grad.data(),
          dx.data());
      return dx;
    }
    return in_channels_last(tape.input, output_grad, channels_first_,
                            [&](const Tensor& x, const Tensor& dy) {
                              Tensor dx = Tensor::uninitialized(x.shape());  // overwritten
                              kernels::pool_backward(path, kind(), geometry(x.shape(), dy.shape()),
                                                     x.data(), dy.data(), dx.data());
                              return dx;
                            });
  }

 private:
  // Max pooling in training on the fast path, channels_last: the gradient
  // then routes from recorded taps instead of reading the input again.
  bool records_taps(const Tape* tape, ComputePath path, const Shape& input) const {
    return max_ && tape && path == ComputePath::kFast && !channels_first_ &&
           kernels::max_pool_taps_fit(geometry(input, output_shape_for(input)));
  }

  kernels::PoolKind kind() const {
    return max_ ? kernels::PoolKind::kMax : kernels::PoolKind::kAverage;
  }

  // Channels_last shapes throughout.
  Shape output_shape_for(const Shape& input) const {
    return make_shape(input[0], windowed_dims(*this, input, false, window_), input.back(), false);
  }

  kernels::PoolGeometry geometry(const Shape& input, const Shape& output) const {
    return pool_geometry(input, output, window_);
  }

 private:
  // Whether SAME padding adds any zeros on this input (reference §1.6 then matters).
  bool pads_somewhere() const {
    if (window_.padding != Padding::kSame) return false;
    const std::vector<Dim> in = spatial_dims(input_shape(), channels_first_);
    for (std::size_t i = 0; i < in.size(); ++i)
      if (in[i] != kNone && same_padding(in[i], window_.kernel[i], window_.strides[i]).total > 0)
        return true;
    return false;
  }

  std::size_t rank_;
  bool max_;
  Window window_;
  bool channels_first_ = false;
};

}  // namespace

Tensor max_pool_taps_storage(Dim outputs) {
  return Tensor::uninitialized({(outputs + 3) / 4});
}

const std::uint8_t* recorded_max_pool_taps(const Layer& layer, const Tape& tape) {
  const auto* pooling = dynamic_cast<const Pooling*>(&layer);
  if (!pooling || !pooling->is_max() || tape.saved.size() != 1) return nullptr;
  return reinterpret_cast<const std::uint8_t*>(tape.saved.front().data());
}

namespace {

template <std::size_t Rank, bool Max>
std::unique_ptr<Layer> make_pooling(const Config& c) {
  return std::make_unique<Pooling>(c, Rank, Max);
}

}  // namespace

void register_pooling(LayerRegistry& r) {
  r.add({"MaxPooling1D", pooling_signature(1), make_pooling<1, true>, {"MaxPool1D"}});
  r.add({"MaxPooling2D", pooling_signature(2), make_pooling<2, true>, {"MaxPool2D"}});
  r.add({"MaxPooling3D", pooling_signature(3), make_pooling<3, true>, {"MaxPool3D"}});
  r.add({"AveragePooling1D", pooling_signature(1), make_pooling<1, false>, {"AvgPool1D"}});
  r.add({"AveragePooling2D", pooling_signature(2), make_pooling<2, false>, {"AvgPool2D"}});
  r.add({"AveragePooling3D", pooling_signature(3), make_pooling<3, false>, {"AvgPool3D"}});
}

}  // namespace stride::layers
