// DepthwiseConv1D, DepthwiseConv2D (reference §2.1): one k... kernel per input
// channel and per depth_multiplier, so C_in * m output channels.
#include <fmt/format.h>

#include "compute.hpp"
#include "conv_common.hpp"
#include "families.hpp"

namespace stride::layers {

namespace {

Signature depthwise_signature(std::size_t rank) {
  const Json ones = Json(std::vector<int>(rank, 1));
  return {
      {"kernel_size", nullptr, true},
      {"strides", ones},
      {"padding", "valid"},
      {"depth_multiplier", 1},
      {"data_format", nullptr},
      {"dilation_rate", ones},
      {"activation", nullptr},
      {"use_bias", true},
      {"depthwise_initializer", "glorot_uniform"},
      {"bias_initializer", "zeros"},
      {"depthwise_regularizer", nullptr},
      {"bias_regularizer", nullptr},
      {"activity_regularizer", nullptr},
      {"depthwise_constraint", nullptr},
      {"bias_constraint", nullptr},
      // Not a Keras parameter of these layers; see accept_only_one_group.
      {"groups", 1},
  };
}

class DepthwiseConv : public Layer {
 public:
  DepthwiseConv(Config config, std::size_t rank) : Layer(std::move(config)), rank_(rank) {
    const Config& c = this->config();
    // Keras refuses causal here: DepthwiseConv1D is not a Conv1D.
    window_ = read_conv_window(c, rank, /*allow_causal=*/false);
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
    const Dim out_channels =
        checked_mul(channels, multiplier_, display_name() + " output channels");
    return make_shape(input[0], windowed_dims(*this, input, channels_first_, window_), out_channels,
                      channels_first_);
  }

  void explain(Explanation& out) const override {
    explain_window(out, input_shape(), channels_first_, window_);
    const Dim cin = channel_dim(input_shape(), channels_first_);
    out.add(
        fmt::format("channels: {} in -> {} * {} = {} out (depth_multiplier={} per input "
                    "channel)",
                    cin, cin, multiplier_, cin * multiplier_, multiplier_));
    const std::string k = product_text(window_.kernel);
    if (use_bias_)
      out.add(fmt::format("params: {}*{}*{} + {}*{} = {} (depthwise_kernel + bias)", k, cin,
                          multiplier_, cin, multiplier_, count_params()));
    else
      out.add(fmt::format("params: {}*{}*{} = {} (depthwise_kernel only, no bias)", k, cin,
                          multiplier_, count_params()));
  }

 protected:
  std::vector<WeightSpec> make_weights(const Shape& input) const override {
    const Dim channels = channel_dim(input, channels_first_);
    std::vector<Dim> kshape = window_.kernel;
    kshape.push_back(channels);
    kshape.push_back(multiplier_);
    std::vector<WeightSpec> w{{"depthwise_kernel", kshape}};
    if (use_bias_) w.push_back({"bias", {checked_mul(channels, multiplier_, "bias size")}});
    return w;
  }

  // Keras's (k..., C, m) kernel is a grouped convolution's (k..., 1, C*m):
  // one group per input channel.
  Tensor forward(const Tensor& input, const CallOptions& options) const override {
    Tensor output = in_channels_last(input, channels_first_, [&](const Tensor& x) {
      const Dim channels = x.shape().back();
      return convolve(*this, x, window_, channels * multiplier_, channels,
                      weight("depthwise_kernel").data(),
                      use_bias_ ? weight("bias").data() : nullptr, options.path);
    });
    return activated(activation_, std::move(output), options);
  }

 public:
  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>& weight_grads,
                  ComputePath path) const override {
    const Tensor dz = activation_grad(activation_, tape, output_grad, path);
    return in_channels_last(
        tape.input, dz, channels_first_, [&](const Tensor& x, const Tensor& dy) {
          return convolve_backward(x, dy, window_, x.shape().back(),
                                   weight("depthwise_kernel").data(), weight_grads.at(0).data(),
                                   use_bias_ ? weight_grads.at(1).data() : nullptr, path);
        });
  }

 private:
  std::size_t rank_;
  Dim multiplier_ = 1;
  Window window_;
  bool channels_first_ = false, use_bias_ = true;
  std::string activation_;
};

}  // namespace

void register_depthwise_conv(LayerRegistry& r) {
  r.add({"DepthwiseConv1D", depthwise_signature(1), make_ranked<DepthwiseConv, 1>, {}});
  r.add({"DepthwiseConv2D", depthwise_signature(2), make_ranked<DepthwiseConv, 2>, {}});
}

}  // namespace stride::layers
