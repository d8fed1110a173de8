// Conv1D, Conv2D, Conv3D: Keras's convolution family (reference §1.1, §2.1).
#include <fmt/format.h>

#include "compute.hpp"
#include "conv_common.hpp"
#include "families.hpp"
#include "kernels/activation.hpp"

namespace stride::layers {

namespace {

Signature conv_signature(std::size_t rank) {
  const Json ones = Json(std::vector<int>(rank, 1));
  return {
      {"filters", nullptr, true},
      {"kernel_size", nullptr, true},
      {"strides", ones},
      {"padding", "valid"},
      {"data_format", nullptr},
      {"dilation_rate", ones},
      {"groups", 1},
      {"activation", nullptr},
      {"use_bias", true},
      {"kernel_initializer", "glorot_uniform"},
      {"bias_initializer", "zeros"},
      {"kernel_regularizer", nullptr},
      {"bias_regularizer", nullptr},
      {"activity_regularizer", nullptr},
      {"kernel_constraint", nullptr},
      {"bias_constraint", nullptr},
  };
}

class Conv : public Layer {
 public:
  Conv(Config config, std::size_t rank) : Layer(std::move(config)), rank_(rank) {
    const Config& c = this->config();
    filters_ = c.positive_integer("filters");
    // Only Conv1D may be causal (base_conv.py, _validate_init).
    window_ = read_conv_window(c, rank, /*allow_causal=*/rank == 1);
    channels_first_ = c.channels_first();
    groups_ = c.positive_integer("groups");
    use_bias_ = c.boolean("use_bias");
    activation_ = c.activation();
    if (filters_ % groups_ != 0)
      c.fail("groups", fmt::format("The number of filters must be evenly divisible by the number "
                                   "of groups. Received: groups={}, filters={}.",
                                   groups_, filters_));
    normalize_conv_config(mutable_config(), window_, channels_first_, activation_);
  }

  Shape compute_output_shape(const Shape& input) const override {
    require_rank(input, rank_ + 2);
    const Dim channels = known_input_channels(*this, input, channels_first_);
    if (channels % groups_ != 0)
      fail(
          fmt::format("The number of input channels must be evenly divisible by the number of "
                      "groups. Received groups={}, but the input has {} channels (full input "
                      "shape is {}).",
                      groups_, channels, shape_to_python(input)));
    return make_shape(input[0], windowed_dims(*this, input, channels_first_, window_), filters_,
                      channels_first_);
  }

  void explain(Explanation& out) const override {
    explain_window(out, input_shape(), channels_first_, window_);
    const Dim cin = channel_dim(input_shape(), channels_first_);
    out.add(fmt::format("channels: {} in -> {} out (one per filter)", cin, filters_));
    // Each filter sees C_in / groups channels (the kernel's next-to-last dim).
    const Dim cin_g = cin / groups_;
    const std::string k = product_text(window_.kernel);
    const std::string groups_note =
        groups_ > 1 ? fmt::format(" (groups={}: each filter sees {}/{} = {} channels)", groups_,
                                  cin, groups_, cin_g)
                    : std::string();
    if (use_bias_)
      out.add(fmt::format("params: ({}*{} + 1) * {} = {}{}", k, cin_g, filters_, count_params(),
                          groups_note));
    else
      out.add(fmt::format("params: {}*{} * {} = {} (no bias){}", k, cin_g, filters_, count_params(),
                          groups_note));
  }

 protected:
  std::vector<WeightSpec> make_weights(const Shape& input) const override {
    std::vector<Dim> kshape = window_.kernel;
    kshape.push_back(channel_dim(input, channels_first_) / groups_);
    kshape.push_back(filters_);
    std::vector<WeightSpec> w{{"kernel", kshape}};
    if (use_bias_) w.push_back({"bias", {filters_}});
    return w;
  }

  Tensor forward(const Tensor& input, const CallOptions& options) const override {
    // relu goes into the convolution's own pass over the output (oneDNN's
    // post-op); it keeps no copy of its input for the gradient anyway.
    const bool fused_relu = activation_ == "relu";
    Tensor output = in_channels_last(input, channels_first_, [&](const Tensor& x) {
      return convolve(*this, x, window_, filters_, groups_, weight("kernel").data(),
                      use_bias_ ? weight("bias").data() : nullptr, options.path, fused_relu);
    });
    return fused_relu ? output : activated(activation_, std::move(output), options);
  }

  // Conv2D (relu or no activation) and the MaxPooling2D after it, both
  // channels_last, the pool unpadded, in one pass that never writes this
  // layer's output (kernels::conv_max_pool_forward takes first layers). In
  // inference; and in training for a first layer with relu whose backward
  // backward_with_next takes (the pass records the pooling's winners).
  Tensor forward_with_next(const Tensor& input, const Layer& next, const CallOptions& options,
                           Tape* next_tape) const override {
    const bool plain = rank_ == 2 && !channels_first_ && groups_ == 1 &&
                       (activation_ == "relu" || activation_ == "linear");
    const bool training = options.tape != nullptr;
    if (!plain || options.training != training || options.path != ComputePath::kFast ||
        next.class_name() != "MaxPooling2D" || next.config().channels_first())
      return Tensor();
    if (training && (options.tape->input_grad_needed || activation_ != "relu")) return Tensor();
    const Window pool = pool_window(next.config(), 2);
    if (pool.padding != Padding::kValid) return Tensor();
    const Shape conv_shape = compute_output_shape(input.shape());
    Tensor output = Tensor::uninitialized(next.compute_output_shape(conv_shape));  // overwritten
    Tensor taps = training ? max_pool_taps_storage(output.size()) : Tensor();      // the winners
    const kernels::ConvGeometry g = conv_geometry(input.shape(), conv_shape, window_);
    if (!kernels::conv_max_pool_forward(
            g, pool_geometry(conv_shape, output.shape(), pool), input.data(),
            weight("kernel").data(), use_bias_ ? weight("bias").data() : nullptr,
            activation_ == "relu", output.data(), training ? tap_bytes(taps) : nullptr))
      return Tensor();
    if (training) next_tape->saved.push_back(taps);
    return output;
  }

 public:
  // A Conv2D with relu and the max pooling after it (disjoint windows,
  // recorded winners): the pooling's output gradient is routed through its
  // winners and relu's derivative at once, so the pooling's input gradient
  // is never written nor this layer's output read. A first layer takes its
  // kernel and bias gradients straight from the routing
  // (kernels::conv_backward_kernel_relu_pooled: dz is never written either);
  // others get dz whole (kernels::relu_max_pool_backward), the bias
  // gradient summed from the pooled gradients, and the convolution's
  // gradients from dz.
  bool backward_with_next(const Tape& tape, const Layer& next, const Tape& next_tape,
                          const Tensor& next_output_grad, std::vector<Tensor>& weight_grads,
                          ComputePath path, Tensor* input_grad) const override {
    const std::uint8_t* taps = recorded_max_pool_taps(next, next_tape);
    if (!taps || activation_ != "relu" || channels_first_ || groups_ != 1 ||
        path != ComputePath::kFast || (tape.input_grad_needed && !input_grad))
      return false;
    // The output shape by the rule: a fused forward never computed the output.
    const Shape conv_shape = compute_output_shape(tape.input.shape());
    kernels::ConvGeometry g = conv_geometry(tape.input.shape(), conv_shape, window_);
    const kernels::PoolGeometry pool =
        pool_geometry(conv_shape, next_tape.output.shape(), pool_window(next.config(), rank_));
    float* bias_grad = use_bias_ ? weight_grads.at(1).data() : nullptr;
    if (!tape.input_grad_needed)
      return kernels::conv_backward_kernel_relu_pooled(
          g, pool, tape.input.data(), taps, next_tape.output.data(), next_output_grad.data(),
          weight_grads.at(0).data(), bias_grad);
    Tensor dz = Tensor::uninitialized(conv_shape);  // overwritten
    if (!kernels::relu_max_pool_backward(pool, taps, next_tape.output.data(),
                                         next_output_grad.data(), dz.data(), bias_grad))
      return false;
    *input_grad = convolve_backward(tape.input, dz, window_, groups_, weight("kernel").data(),
                                    weight_grads.at(0).data(), nullptr, path, true);
    return true;
  }

  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>& weight_grads,
                  ComputePath path) const override {
    float* bias_grad = use_bias_ ? weight_grads.at(1).data() : nullptr;
    const bool fast_relu = activation_ == "relu" && !channels_first_ && path == ComputePath::kFast;
    if (fast_relu && !tape.input_grad_needed) {
      // A first layer: the kernel gradient reads the output gradient once,
      // relu's derivative and the bias sums applied on the way, and dz is
      // never written (it was three passes over the layer's largest tensor).
      kernels::ConvGeometry g = conv_geometry(tape.input.shape(), output_grad.shape(), window_);
      g.groups = groups_;
      if (kernels::conv_backward_kernel_relu(g, tape.input.data(), tape.output.data(),
                                             output_grad.data(), weight_grads.at(0).data(),
                                             bias_grad))
        return Tensor();
    }
    Tensor dz;
    if (bias_grad && fast_relu) {
      // The bias gradient sums dz: one pass over the output gradient, not two.
      dz = Tensor::uninitialized(output_grad.shape());  // overwritten
      kernels::relu_backward_channel_sums(tape.output.data(), output_grad.data(), dz.data(),
                                          dz.size() / filters_, filters_, bias_grad);
      bias_grad = nullptr;
    } else {
      dz = activation_grad(activation_, tape, output_grad, path);
    }
    return in_channels_last(
        tape.input, dz, channels_first_, [&](const Tensor& x, const Tensor& dy) {
          return convolve_backward(x, dy, window_, groups_, weight("kernel").data(),
                                   weight_grads.at(0).data(), bias_grad, path,
                                   tape.input_grad_needed);
        });
  }

 private:
  std::size_t rank_;
  Dim filters_ = 0, groups_ = 1;
  Window window_;
  bool channels_first_ = false, use_bias_ = true;
  std::string activation_;
};

}  // namespace

void register_conv(LayerRegistry& r) {
  r.add({"Conv1D", conv_signature(1), make_ranked<Conv, 1>, {"Convolution1D"}});
  r.add({"Conv2D", conv_signature(2), make_ranked<Conv, 2>, {"Convolution2D"}});
  r.add({"Conv3D", conv_signature(3), make_ranked<Conv, 3>, {"Convolution3D"}});
}

}  // namespace stride::layers
