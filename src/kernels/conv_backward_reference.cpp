// Reference gradients of convolution and transposed convolution: the
// formulas of conv.hpp as plain loops over every (output, tap) pair,
// accumulated in double and rounded to float once.
#include <vector>

#include "kernels/internal.hpp"

namespace stride::kernels::detail {

namespace {

void round_into(const std::vector<double>& sum, float* out) {
  for (std::size_t i = 0; i < sum.size(); ++i) out[i] = float(sum[i]);
}

// Calls visit(x_index, y_index, tap) for every pair of an input pixel
// x = o*s + k*d - pad_before and an output pixel o of batch item b that lie
// inside their grids; x_index and y_index count pixels of the whole batch.
// The forward formulas of conv.hpp run over exactly these pairs.
template <typename Visit>
void for_each_window_pair(const ConvGeometry& g, Visit visit) {
  const Spatial &in = g.input, &out = g.output, &k = g.kernel, &s = g.strides, &d = g.dilation,
                &pad = g.pad_before;
  for (Dim b = 0; b < g.batch; ++b) {
    for (Dim o = 0; o < volume(out); ++o) {
      const Spatial op = grid_position(out, o);
      for (Dim tap = 0; tap < volume(k); ++tap) {
        const Spatial kp = grid_position(k, tap);
        const Dim id = op[0] * s[0] + kp[0] * d[0] - pad[0];
        const Dim ih = op[1] * s[1] + kp[1] * d[1] - pad[1];
        const Dim iw = op[2] * s[2] + kp[2] * d[2] - pad[2];
        if (!inside(id, in[0]) || !inside(ih, in[1]) || !inside(iw, in[2])) continue;
        visit(b * volume(in) + grid_index(in, id, ih, iw), b * volume(out) + o, tap);
      }
    }
  }
}

}  // namespace

// in_grad[x, group*Cg + c] += out_grad[o, f] * K[tap, c, f] for f in the group.
void conv_backward_input_reference(const ConvGeometry& g, const float* output_grad,
                                   const float* kernel, float* input_grad) {
  const Dim cin = g.in_channels, f_count = g.out_channels;
  const Dim cg = cin / g.groups, fg = f_count / g.groups;
  std::vector<double> sum(g.batch * volume(g.input) * cin, 0.0);
  for_each_window_pair(g, [&](Dim x, Dim o, Dim tap) {
    for (Dim f = 0; f < f_count; ++f) {
      const Dim group = f / fg;
      for (Dim c = 0; c < cg; ++c) {
        sum[x * cin + group * cg + c] +=
            double(output_grad[o * f_count + f]) * double(kernel[(tap * cg + c) * f_count + f]);
      }
    }
  });
  round_into(sum, input_grad);
}

// K_grad[tap, c, f] += in[x, group*Cg + c] * out_grad[o, f].
void conv_backward_kernel_reference(const ConvGeometry& g, const float* input,
                                    const float* output_grad, float* kernel_grad) {
  const Dim cin = g.in_channels, f_count = g.out_channels;
  const Dim cg = cin / g.groups, fg = f_count / g.groups;
  std::vector<double> sum(volume(g.kernel) * cg * f_count, 0.0);
  for_each_window_pair(g, [&](Dim x, Dim o, Dim tap) {
    for (Dim f = 0; f < f_count; ++f) {
      const Dim group = f / fg;
      for (Dim c = 0; c < cg; ++c) {
        sum[(tap * cg + c) * f_count + f] +=
            double(input[x * cin + group * cg + c]) * double(output_grad[o * f_count + f]);
      }
    }
  });
  round_into(sum, kernel_grad);
}

// The transposed convolution's input i and output y = i*s + k*d - pad_before
// are the convolution's output and input: the same pairs with the roles
// swapped. in_grad[i, c] += out_grad[y, f] * K[tap, f, c].
void conv_transpose_backward_input_reference(const ConvGeometry& g, const float* output_grad,
                                             const float* kernel, float* input_grad) {
  const Dim cin = g.in_channels, f_count = g.out_channels;
  ConvGeometry swapped = g;
  std::swap(swapped.input, swapped.output);
  std::vector<double> sum(g.batch * volume(g.input) * cin, 0.0);
  for_each_window_pair(swapped, [&](Dim y, Dim i, Dim tap) {
    for (Dim f = 0; f < f_count; ++f) {
      for (Dim c = 0; c < cin; ++c) {
        sum[i * cin + c] +=
            double(output_grad[y * f_count + f]) * double(kernel[(tap * f_count + f) * cin + c]);
      }
    }
  });
  round_into(sum, input_grad);
}

// K_grad[tap, f, c] += out_grad[y, f] * in[i, c].
void conv_transpose_backward_kernel_reference(const ConvGeometry& g, const float* input,
                                              const float* output_grad, float* kernel_grad) {
  const Dim cin = g.in_channels, f_count = g.out_channels;
  ConvGeometry swapped = g;
  std::swap(swapped.input, swapped.output);
  std::vector<double> sum(volume(g.kernel) * f_count * cin, 0.0);
  for_each_window_pair(swapped, [&](Dim y, Dim i, Dim tap) {
    for (Dim f = 0; f < f_count; ++f) {
      for (Dim c = 0; c < cin; ++c) {
        sum[(tap * f_count + f) * cin + c] +=
            double(output_grad[y * f_count + f]) * double(input[i * cin + c]);
      }
    }
  });
  round_into(sum, kernel_grad);
}

}  // namespace stride::kernels::detail
