// Conv1DTranspose, Conv2DTranspose, Conv3DTranspose (reference §1.3, §2.1):
// output sizes from deconv_output_length, kernel stored as (k..., filters, C_in).
#include <fmt/format.h>

#include <optional>

#include "compute.hpp"
#include "conv_common.hpp"
#include "families.hpp"
#include "kernels/conv.hpp"

namespace stride::layers {

namespace {

Signature conv_transpose_signature(std::size_t rank) {
  const Json ones = Json(std::vector<int>(rank, 1));
  return {
      {"filters", nullptr, true},
      {"kernel_size", nullptr, true},
      {"strides", ones},
      {"padding", "valid"},
      {"output_padding", nullptr},
      {"data_format", nullptr},
      {"dilation_rate", ones},
      {"activation", nullptr},
      {"use_bias", true},
      {"kernel_initializer", "glorot_uniform"},
      {"bias_initializer", "zeros"},
      {"kernel_regularizer", nullptr},
      {"bias_regularizer", nullptr},
      {"activity_regularizer", nullptr},
      {"kernel_constraint", nullptr},
      {"bias_constraint", nullptr},
      // Not a Keras parameter of these layers; see accept_only_one_group.
      {"groups", 1},
  };
}

class ConvTranspose : public Layer {
 public:
  ConvTranspose(Config config, std::size_t rank) : Layer(std::move(config)), rank_(rank) {
    const Config& c = this->config();
    filters_ = c.positive_integer("filters");
    window_ = read_conv_window(c, rank, /*allow_causal=*/false);
    channels_first_ = c.channels_first();
    use_bias_ = c.boolean("use_bias");
    activation_ = c.activation();
    Json& j = mutable_config();
    if (!c.is_null("output_padding")) {
      output_padding_ = c.int_tuple("output_padding", rank, /*min_value=*/0);
      for (std::size_t i = 0; i < rank; ++i)
        if (output_padding_[i] >= window_.strides[i])
          c.fail("output_padding",
                 fmt::format("`output_padding` must be strictly less than `strides` for all "
                             "dimensions. At dimension {}, `output_padding` is {} but `strides` "
                             "is {}. Received: output_padding={}, strides={}",
                             i, output_padding_[i], window_.strides[i], tuple_text(output_padding_),
                             tuple_text(window_.strides)));
      j["output_padding"] = output_padding_;
    }
    accept_only_one_group(c, j);
    normalize_conv_config(j, window_, channels_first_, activation_);
  }

  Shape compute_output_shape(const Shape& input) const override {
    require_rank(input, rank_ + 2);
    known_input_channels(*this, input, channels_first_);
    const std::vector<Dim> in = spatial_dims(input, channels_first_);
    std::vector<Dim> out;
    for (std::size_t i = 0; i < rank_; ++i) {
      const Dim o =
          deconv_output_length(in[i], window_.kernel[i], window_.padding, output_padding(i),
                               window_.strides[i], window_.dilation[i]);
      // Only padding='same' with an explicit output_padding can reach 0:
      // (1 - 1)*s + k_eff % 2 + 0 for an even kernel on a length-1 input.
      if (o != kNone && o <= 0)
        fail(
            fmt::format("Computed output size would be zero or negative: {} {} for input {} "
                        "(input shape {}), kernel_size={}, strides={}, padding='{}', "
                        "output_padding={}",
                        axis_name(i, rank_), o, in[i], shape_to_python(input),
                        tuple_text(window_.kernel), tuple_text(window_.strides),
                        padding_name(window_.padding), tuple_text(output_padding_)));
      out.push_back(o);
    }
    return make_shape(input[0], out, filters_, channels_first_);
  }

  void explain(Explanation& out) const override {
    const std::vector<Dim> in = spatial_dims(input_shape(), channels_first_);
    const std::vector<Dim> result = spatial_dims(output_shape(), channels_first_);
    for (std::size_t i = 0; i < rank_; ++i) explain_axis(out, i, in[i], result[i]);
    const Dim cin = channel_dim(input_shape(), channels_first_);
    out.add(fmt::format("channels: {} in -> {} out (one per filter)", cin, filters_));
    // The kernel is stored (k..., filters, C_in) but counts the same as a
    // convolution's: every filter has k... * C_in weights (+ 1 bias).
    const std::string k = product_text(window_.kernel);
    if (use_bias_)
      out.add(fmt::format("params: ({}*{} + 1) * {} = {} (kernel {}*{}*{} + bias {})", k, cin,
                          filters_, count_params(), k, filters_, cin, filters_));
    else
      out.add(fmt::format("params: {}*{}*{} = {} (kernel only, no bias)", k, filters_, cin,
                          count_params()));
  }

 protected:
  std::vector<WeightSpec> make_weights(const Shape& input) const override {
    std::vector<Dim> kshape = window_.kernel;
    kshape.push_back(filters_);
    kshape.push_back(channel_dim(input, channels_first_));
    std::vector<WeightSpec> w{{"kernel", kshape}};
    if (use_bias_) w.push_back({"bias", {filters_}});
    return w;
  }

  Tensor forward(const Tensor& input, const CallOptions& options) const override {
    Tensor output = in_channels_last(input, channels_first_, [&](const Tensor& x) {
      const kernels::ConvGeometry g = geometry(x.shape());
      const std::vector<Dim> out(g.output.end() - rank_, g.output.end());
      Tensor y(make_shape(x.dim(0), out, filters_, false));
      kernels::conv_transpose_forward(options.path, g, x.data(), weight("kernel").data(),
                                      use_bias_ ? weight("bias").data() : nullptr, y.data());
      return y;
    });
    return activated(activation_, std::move(output), options);
  }

 public:
  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>& weight_grads,
                  ComputePath path) const override {
    const Tensor dz = activation_grad(activation_, tape, output_grad, path);
    return in_channels_last(
        tape.input, dz, channels_first_, [&](const Tensor& x, const Tensor& dy) {
          const kernels::ConvGeometry g = geometry(x.shape());
          Tensor dx(x.shape());
          kernels::conv_transpose_backward_input(path, g, dy.data(), weight("kernel").data(),
                                                 dx.data());
          kernels::conv_transpose_backward_kernel(path, g, x.data(), dy.data(),
                                                  weight_grads.at(0).data(),
                                                  use_bias_ ? weight_grads.at(1).data() : nullptr);
          return dx;
        });
  }

 private:
  // The kernels' geometry for a channels_last input: output lengths from
  // deconv_output_length; SAME pads as the forward convolution that maps the
  // output back to the input (reference §7.1).
  kernels::ConvGeometry geometry(const Shape& input) const {
    const std::vector<Dim> in = spatial_dims(input, false);
    std::vector<Dim> out, pad(rank_, 0);
    for (std::size_t i = 0; i < rank_; ++i) {
      const Dim k_eff = effective_kernel(window_.kernel[i], window_.dilation[i]);
      out.push_back(deconv_output_length(in[i], window_.kernel[i], window_.padding,
                                         output_padding(i), window_.strides[i],
                                         window_.dilation[i]));
      if (window_.padding == Padding::kSame)
        pad[i] = std::max<Dim>((in[i] - 1) * window_.strides[i] + k_eff - out[i], 0) / 2;
    }
    kernels::ConvGeometry g =
        conv_geometry(input, make_shape(input[0], out, filters_, false), window_);
    g.pad_before = spatial3(pad, 0);
    return g;
  }

  std::optional<Dim> output_padding(std::size_t i) const {
    if (output_padding_.empty()) return std::nullopt;
    return output_padding_[i];
  }

  // One spatial axis: the deconv formula with its numbers.
  void explain_axis(Explanation& out, std::size_t i, Dim in, Dim result) const {
    const std::string axis = axis_name(i, rank_);
    const Dim k = window_.kernel[i], s = window_.strides[i], d = window_.dilation[i];
    const Dim k_eff = effective_kernel(k, d);
    if (in == kNone) {
      out.add(fmt::format("{}: unknown (None) in, unknown out", axis));
      return;
    }
    if (d > 1)
      out.add(fmt::format("{}: dilated kernel = (k - 1) * d + 1 = ({} - 1) * {} + 1 = {}", axis, k,
                          d, k_eff));
    const bool same = window_.padding == Padding::kSame;
    const std::string head = fmt::format("{}: padding='{}'", axis, padding_name(window_.padding));
    if (!output_padding(i)) {
      if (same) {
        out.add(fmt::format("{}: out = in * s = {} * {} = {}", head, in, s, result));
        out.add(
            "  'same' keeps exactly in * s: the kernel's overhang past the last step is cropped");
      } else {
        out.add(fmt::format("{}: out = in * s + max(k - s, 0) = {} * {} + max({} - {}, 0) = {}",
                            head, in, s, k_eff, s, result));
        out.add(
            "  each input step moves the output by s, and the kernel at the last step "
            "reaches max(k - s, 0) further");
      }
      return;
    }
    const Dim p = *output_padding(i);
    if (same) {
      // pad = k_eff // 2 is cropped from each side.
      out.add(
          fmt::format("{}, output_padding={}: out = (in - 1) * s + k - 2 * (k // 2) + "
                      "output_padding = ({} - 1) * {} + {} - 2 * {} + {} = {}",
                      head, p, in, s, k_eff, k_eff / 2, p, result));
    } else {
      out.add(
          fmt::format("{}, output_padding={}: out = (in - 1) * s + k + output_padding = "
                      "({} - 1) * {} + {} + {} = {}",
                      head, p, in, s, k_eff, p, result));
    }
    out.add(
        fmt::format("  output_padding={} lengthens the output by {} at the end (it must be "
                    "less than the stride, {})",
                    p, p, s));
  }

  std::size_t rank_;
  Dim filters_ = 0;
  Window window_;
  std::vector<Dim> output_padding_;  // empty: None (inferred)
  bool channels_first_ = false, use_bias_ = true;
  std::string activation_;
};

}  // namespace

void register_conv_transpose(LayerRegistry& r) {
  r.add({"Conv1DTranspose",
         conv_transpose_signature(1),
         make_ranked<ConvTranspose, 1>,
         {"Convolution1DTranspose"}});
  r.add({"Conv2DTranspose",
         conv_transpose_signature(2),
         make_ranked<ConvTranspose, 2>,
         {"Convolution2DTranspose"}});
  r.add({"Conv3DTranspose",
         conv_transpose_signature(3),
         make_ranked<ConvTranspose, 3>,
         {"Convolution3DTranspose"}});
}

}  // namespace stride::layers
