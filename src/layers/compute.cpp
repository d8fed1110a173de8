#include "compute.hpp"

#include <algorithm>

#include "kernels/activation.hpp"

namespace stride::layers {

Shape channels_last_shape(const Shape& s) {
  Shape out{s[0]};
  out.insert(out.end(), s.begin() + 2, s.end());
  out.push_back(s[1]);
  return out;
}

kernels::Spatial spatial3(const std::vector<Dim>& dims, Dim fill) {
  kernels::Spatial s{fill, fill, fill};
  std::copy(dims.begin(), dims.end(), s.begin() + (3 - dims.size()));
  return s;
}

kernels::ConvGeometry conv_geometry(const Shape& input, const Shape& output, const Window& window) {
  const std::size_t rank = window.kernel.size();
  kernels::ConvGeometry g;
  g.batch = input[0];
  g.input = spatial3(spatial_dims(input, false), 1);
  g.output = spatial3(spatial_dims(output, false), 1);
  g.kernel = spatial3(window.kernel, 1);
  g.strides = spatial3(window.strides, 1);
  g.dilation = spatial3(window.dilation, 1);
  std::vector<Dim> pad(rank, 0);
  for (std::size_t i = 0; i < rank; ++i) {
    const Dim in = input[1 + i];
    if (window.padding == Padding::kSame)
      pad[i] = same_padding(in, window.kernel[i], window.strides[i], window.dilation[i]).before;
    else if (window.padding == Padding::kCausal)
      pad[i] = effective_kernel(window.kernel[i], window.dilation[i]) - 1;
  }
  g.pad_before = spatial3(pad, 0);
  g.in_channels = input.back();
  g.out_channels = output.back();
  return g;
}

kernels::PoolGeometry pool_geometry(const Shape& input, const Shape& output, const Window& window) {
  const kernels::ConvGeometry c = conv_geometry(input, output, window);
  kernels::PoolGeometry g;
  g.batch = c.batch;
  g.channels = c.in_channels;
  g.input = c.input;
  g.output = c.output;
  g.window = c.kernel;
  g.strides = c.strides;
  g.pad_before = c.pad_before;
  return g;
}

Tensor convolve(const Layer& layer, const Tensor& input, const Window& window, Dim filters,
                Dim groups, const float* kernel, const float* bias, ComputePath path, bool relu) {
  // conv_forward writes every output value.
  Tensor output = Tensor::uninitialized(
      make_shape(input.dim(0), windowed_dims(layer, input.shape(), false, window), filters, false));
  kernels::ConvGeometry g = conv_geometry(input.shape(), output.shape(), window);
  g.groups = groups;
  kernels::conv_forward(path, g, input.data(), kernel, bias, output.data(), relu);
  return output;
}

namespace {

// Copies a box of `extent` spatial positions (all channels) from `source` at
// `from` to `target` at `to`, both channels_last.
void copy_box(const Tensor& source, Tensor& target, const std::vector<Dim>& from,
              const std::vector<Dim>& to, const std::vector<Dim>& extent) {
  const kernels::Spatial in = spatial3(spatial_dims(source.shape(), false), 1);
  const kernels::Spatial out = spatial3(spatial_dims(target.shape(), false), 1);
  const kernels::Spatial f = spatial3(from, 0), t = spatial3(to, 0), e = spatial3(extent, 1);
  const Dim channels = source.shape().back(), batch = source.dim(0);
  for (Dim b = 0; b < batch; ++b)
    for (Dim z = 0; z < e[0]; ++z)
      for (Dim y = 0; y < e[1]; ++y) {
        const float* src =
            source.data() + (((b * in[0] + f[0] + z) * in[1] + f[1] + y) * in[2] + f[2]) * channels;
        float* dst = target.data() +
                     (((b * out[0] + t[0] + z) * out[1] + t[1] + y) * out[2] + t[2]) * channels;
        std::copy(src, src + e[2] * channels, dst);
      }
}

}  // namespace

Tensor pad_spatial(const Tensor& input, const std::vector<SidePair>& pads, bool channels_first) {
  return in_channels_last(input, channels_first, [&](const Tensor& x) {
    const std::vector<Dim> in = spatial_dims(x.shape(), false);
    std::vector<Dim> out, before;
    for (std::size_t i = 0; i < pads.size(); ++i) {
      before.push_back(pads[i].before);
      out.push_back(in[i] + pads[i].before + pads[i].after);
    }
    Tensor y(make_shape(x.dim(0), out, x.shape().back(), false));  // zeros
    copy_box(x, y, std::vector<Dim>(pads.size(), 0), before, in);
    return y;
  });
}

Tensor crop_spatial(const Tensor& input, const std::vector<SidePair>& crops, bool channels_first) {
  return in_channels_last(input, channels_first, [&](const Tensor& x) {
    const std::vector<Dim> in = spatial_dims(x.shape(), false);
    std::vector<Dim> out, before;
    for (std::size_t i = 0; i < crops.size(); ++i) {
      before.push_back(crops[i].before);
      out.push_back(in[i] - crops[i].before - crops[i].after);
    }
    Tensor y(make_shape(x.dim(0), out, x.shape().back(), false));
    copy_box(x, y, before, std::vector<Dim>(crops.size(), 0), out);
    return y;
  });
}

AxesLast move_axes_last(const Tensor& input, const std::vector<std::size_t>& axes) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < input.rank(); ++i)
    if (std::find(axes.begin(), axes.end(), i) == axes.end()) order.push_back(i);
  order.insert(order.end(), axes.begin(), axes.end());
  Dim row = 1;
  for (std::size_t a : axes) row *= input.dim(a);
  AxesLast out;
  bool identity = true;
  for (std::size_t i = 0; i < order.size(); ++i) identity = identity && order[i] == i;
  const Tensor moved = identity ? input : kernels::transpose(input, order);
  out.moved_shape = moved.shape();
  out.rows = moved.reshaped({row ? moved.size() / row : 0, row});
  if (!identity) {
    out.restore.resize(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) out.restore[order[i]] = i;
  }
  return out;
}

Tensor restore_axes(const AxesLast& a, const Tensor& rows) {
  const Tensor moved = rows.reshaped(a.moved_shape);
  return a.restore.empty() ? moved : kernels::transpose(moved, a.restore);
}

Tensor convolve_backward(const Tensor& input, const Tensor& output_grad, const Window& window,
                         Dim groups, const float* kernel, float* kernel_grad, float* bias_grad,
                         ComputePath path, bool input_grad_needed) {
  kernels::ConvGeometry g = conv_geometry(input.shape(), output_grad.shape(), window);
  g.groups = groups;
  kernels::conv_backward_kernel(path, g, input.data(), output_grad.data(), kernel_grad, bias_grad);
  if (!input_grad_needed) return Tensor();
  Tensor input_grad = Tensor::uninitialized(input.shape());  // overwritten
  kernels::conv_backward_input(path, g, output_grad.data(), kernel, input_grad.data());
  return input_grad;
}

void activate(const std::string& activation, Tensor& values, const CallOptions& options) {
  if (activation == "linear" || values.empty()) return;
  kernels::apply_activation(options.path, kernels::activation_from_name(activation), values.data(),
                            values.size(), values.shape().back());
}

namespace {

// relu's gradient needs only its output (the tape's): no copy of z is kept.
bool keeps_pre_activation(const std::string& activation) {
  return activation != "linear" && activation != "relu";
}

}  // namespace

Tensor activated(const std::string& activation, Tensor z, const CallOptions& options) {
  if (activation == "linear") return z;
  if (options.tape && keeps_pre_activation(activation)) options.tape->saved.push_back(z.clone());
  activate(activation, z, options);
  return z;
}

Tensor activation_grad(const std::string& activation, const Tape& tape, const Tensor& output_grad,
                       ComputePath path) {
  if (activation == "linear") return output_grad;
  Tensor dz = Tensor::uninitialized(output_grad.shape());  // overwritten
  const Tensor& z = keeps_pre_activation(activation) ? tape.saved.back() : tape.output;
  if (!dz.empty())
    kernels::activation_backward(path, kernels::activation_from_name(activation), z.data(),
                                 tape.output.data(), output_grad.data(), dz.data(), dz.size(),
                                 dz.shape().back());
  return dz;
}

std::vector<Dim> broadcast_strides(const Shape& full, const Shape& part) {
  std::vector<Dim> stride(full.size(), 0);
  Dim s = 1;
  for (std::size_t k = part.size(); k-- > 0;) {
    const std::size_t a = full.size() - part.size() + k;
    stride[a] = part[k] == 1 ? 0 : s;
    s *= part[k];
  }
  return stride;
}

}  // namespace stride::layers
