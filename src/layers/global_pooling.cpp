// GlobalMaxPooling1D/2D/3D, GlobalAveragePooling1D/2D/3D: one value per
// channel over all spatial positions (reference §1.7, §2.5). No weights.
#include <fmt/format.h>

#include "compute.hpp"
#include "families.hpp"
#include "kernels/pool.hpp"
#include "window.hpp"

namespace stride::layers {

namespace {

// Keras 2's 1D variants default to channels_last explicitly; the others None.
Signature global_pooling_signature(std::size_t rank) {
  return {
      {"data_format", rank == 1 ? Json("channels_last") : Json(nullptr)},
      {"keepdims", false},
  };
}

class GlobalPooling : public Layer {
 public:
  GlobalPooling(Config config, std::size_t rank, bool max)
      : Layer(std::move(config)), rank_(rank), max_(max) {
    const Config& c = this->config();
    channels_first_ = c.channels_first();
    keepdims_ = c.boolean("keepdims");
    mutable_config()["data_format"] = channels_first_ ? "channels_first" : "channels_last";
  }

  Shape compute_output_shape(const Shape& input) const override {
    require_rank(input, rank_ + 2);
    const Dim channels = channel_dim(input, channels_first_);
    if (!keepdims_) return {input[0], channels};
    // keepdims: every spatial axis stays, with size 1.
    return make_shape(input[0], std::vector<Dim>(rank_, 1), channels, channels_first_);
  }

  void explain(Explanation& out) const override {
    const Dim channels = channel_dim(input_shape(), channels_first_);
    out.add(fmt::format("{} over {} positions per channel -> {}", max_ ? "max" : "mean",
                        dims_to_x(spatial_dims(input_shape(), channels_first_)),
                        shape_to_python(output_shape())));
    out.add(fmt::format("channels: {} (one value each){}",
                        channels == kNone ? std::string("None") : std::to_string(channels),
                        keepdims_ ? "; keepdims=True keeps the spatial axes with size 1" : ""));
    out.add("params: 0 (pooling has no weights)");
  }

 protected:
  // One pooling window covering every position; with the spatial axes at
  // size 1 the channels_last result has the memory order of either format.
  Tensor forward(const Tensor& input, const CallOptions& options) const override {
    const Tensor x = channels_first_ ? kernels::to_channels_last(input) : input;
    Tensor y(compute_output_shape(input.shape()));  // any format: the spatial axes are 1
    kernels::pool_forward(options.path, kind(), geometry(x.shape()), x.data(), y.data());
    return y;
  }

 public:
  // The output gradient has the memory order of (batch, 1..., channels)
  // in either format, so only the input needs moving to channels_last.
  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>&,
                  ComputePath path) const override {
    return in_channels_last(tape.input, channels_first_, [&](const Tensor& x) {
      Tensor dx(x.shape());
      kernels::pool_backward(path, kind(), geometry(x.shape()), x.data(), output_grad.data(),
                             dx.data());
      return dx;
    });
  }

 private:
  kernels::PoolKind kind() const {
    return max_ ? kernels::PoolKind::kMax : kernels::PoolKind::kAverage;
  }

  kernels::PoolGeometry geometry(const Shape& channels_last_input) const {
    kernels::PoolGeometry g;
    g.batch = channels_last_input[0];
    g.channels = channels_last_input.back();
    g.input = g.window = spatial3(spatial_dims(channels_last_input, false), 1);
    return g;
  }

  std::size_t rank_;
  bool max_;
  bool channels_first_ = false, keepdims_ = false;
};

template <std::size_t Rank, bool Max>
std::unique_ptr<Layer> make_global_pooling(const Config& c) {
  return std::make_unique<GlobalPooling>(c, Rank, Max);
}

}  // namespace

void register_global_pooling(LayerRegistry& r) {
  r.add({"GlobalMaxPooling1D",
         global_pooling_signature(1),
         make_global_pooling<1, true>,
         {"GlobalMaxPool1D"}});
  r.add({"GlobalMaxPooling2D",
         global_pooling_signature(2),
         make_global_pooling<2, true>,
         {"GlobalMaxPool2D"}});
  r.add({"GlobalMaxPooling3D",
         global_pooling_signature(3),
         make_global_pooling<3, true>,
         {"GlobalMaxPool3D"}});
  r.add({"GlobalAveragePooling1D",
         global_pooling_signature(1),
         make_global_pooling<1, false>,
         {"GlobalAvgPool1D"}});
  r.add({"GlobalAveragePooling2D",
         global_pooling_signature(2),
         make_global_pooling<2, false>,
         {"GlobalAvgPool2D"}});
  r.add({"GlobalAveragePooling3D",
         global_pooling_signature(3),
         make_global_pooling<3, false>,
         {"GlobalAvgPool3D"}});
}

}  // namespace stride::layers
