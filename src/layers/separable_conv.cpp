// SeparableConv1D, SeparableConv2D (reference §2.1): a depthwise convolution
// (C_in * m channels) followed by a 1x1 pointwise one mixing them into
// `filters` channels.
#include <fmt/format.h>

#include "compute.hpp"
#include "conv_common.hpp"
#include "families.hpp"

namespace stride::layers {

namespace {

Signature separable_signature(std::size_t rank) {
  const Json ones = Json(std::vector<int>(rank, 1));
  return {
      {"filters", nullptr, true},
      {"kernel_size", nullptr, true},
      {"strides", ones},
      {"padding", "valid"},
      {"data_format", nullptr},
      {"dilation_rate", ones},
      {"depth_multiplier", 1},
      {"activation", nullptr},
      {"use_bias", true},
      {"depthwise_initializer", "glorot_uniform"},
      {"pointwise_initializer", "glorot_uniform"},
      {"bias_initializer", "zeros"},
      {"depthwise_regularizer", nullptr},
      {"pointwise_regularizer", nullptr},
      {"bias_regularizer", nullptr},
      {"activity_regularizer", nullptr},
      {"depthwise_constraint", nullptr},
      {"pointwise_constraint", nullptr},
      {"bias_constraint", nullptr},
      // Not a Keras parameter of these layers; see accept_only_one_group.
      {"groups", 1},
  };
}

class SeparableConv : public Layer {
 public:
  SeparableConv(Config config, std::size_t rank) : Layer(std::move(config)), rank_(rank) {
    const Config& c = this->config();
    filters_ = c.positive_integer("filters");
    // SeparableConv1D is the one other layer Keras lets be causal.
    window_ = read_conv_window(c, rank, /*allow_causal=*/rank == 1);
    multiplier_ = c.positive_integer("depth_multiplier");
    channels_first_ = c.channels_first();
    use_bias_ = c.boolean("use_bias");
    activation_ = c.activation();
    Json& j = mutable_config();
    accept_only_one_group(c, j);
    normalize_conv_config(j, window_, channels_first_, activation_);
  }

  Shape compute_output_shape(const Shape& input) const override {
    require_rank(input, rank_ + 2);
    const Dim channels = known_input_channels(*this, input, channels_first_);
    (void)checked_mul(channels, multiplier_, display_name() + " depthwise output channels");
    return make_shape(input[0], windowed_dims(*this, input, channels_first_, window_), filters_,
                      channels_first_);
  }

  void explain(Explanation& out) const override {
    explain_window(out, input_shape(), channels_first_, window_);
    const Dim cin = channel_dim(input_shape(), channels_first_);
    const Dim mid = cin * multiplier_;  // checked in compute_output_shape
    out.add(
        fmt::format("channels: {} in -> depthwise {} * {} = {} -> pointwise 1x1 -> {} out "
                    "(one per filter)",
                    cin, cin, multiplier_, mid, filters_));
    const std::string k = product_text(window_.kernel);
    std::string line = fmt::format("params: depthwise {}*{}*{} + pointwise {}*{}*{}", k, cin,
                                   multiplier_, cin, multiplier_, filters_);
    line += use_bias_ ? fmt::format(" + bias {} = {}", filters_, count_params())
                      : fmt::format(" = {} (no bias)", count_params());
    out.add(line);
  }

 protected:
  std::vector<WeightSpec> make_weights(const Shape& input) const override {
    const Dim channels = channel_dim(input, channels_first_);
    std::vector<Dim> depthwise = window_.kernel;
    depthwise.push_back(channels);
    depthwise.push_back(multiplier_);
    std::vector<Dim> pointwise(rank_, 1);
    pointwise.push_back(checked_mul(channels, multiplier_, "pointwise kernel size"));
    pointwise.push_back(filters_);
    std::vector<WeightSpec> w{{"depthwise_kernel", depthwise}, {"pointwise_kernel", pointwise}};
    if (use_bias_) w.push_back({"bias", {filters_}});
    return w;
  }

  // Depthwise (strides and padding apply here), then a 1x1 convolution.
  Tensor forward(const Tensor& input, const CallOptions& options) const override {
    Tensor output = in_channels_last(input, channels_first_, [&](const Tensor& x) {
      const Dim channels = x.shape().back();
      const Tensor mid = convolve(*this, x, window_, channels * multiplier_, channels,
                                  weight("depthwise_kernel").data(), nullptr, options.path);
      if (options.tape) options.tape->saved.push_back(mid);
      return convolve(*this, mid, pointwise_window(), filters_, 1,
                      weight("pointwise_kernel").data(),
                      use_bias_ ? weight("bias").data() : nullptr, options.path);
    });
    return activated(activation_, std::move(output), options);
  }

 public:
  // Back through the 1x1 convolution (to the saved depthwise output), then
  // through the depthwise one.
  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>& weight_grads,
                  ComputePath path) const override {
    const Tensor dz = activation_grad(activation_, tape, output_grad, path);
    return in_channels_last(
        tape.input, dz, channels_first_, [&](const Tensor& x, const Tensor& dy) {
          const Tensor dmid = convolve_backward(
              tape.saved.at(0), dy, pointwise_window(), 1, weight("pointwise_kernel").data(),
              weight_grads.at(1).data(), use_bias_ ? weight_grads.at(2).data() : nullptr, path);
          return convolve_backward(x, dmid, window_, x.shape().back(),
                                   weight("depthwise_kernel").data(), weight_grads.at(0).data(),
                                   nullptr, path);
        });
  }

 private:
  Window pointwise_window() const {
    Window w;
    w.kernel = w.strides = w.dilation = std::vector<Dim>(rank_, 1);
    return w;
  }

  std::size_t rank_;
  Dim filters_ = 0, multiplier_ = 1;
  Window window_;
  bool channels_first_ = false, use_bias_ = true;
  std::string activation_;
};

}  // namespace

void register_separable_conv(LayerRegistry& r) {
  r.add({"SeparableConv1D",
         separable_signature(1),
         make_ranked<SeparableConv, 1>,
         {"SeparableConvolution1D"}});
  r.add({"SeparableConv2D",
         separable_signature(2),
         make_ranked<SeparableConv, 2>,
         {"SeparableConvolution2D"}});
}

}  // namespace stride::layers
