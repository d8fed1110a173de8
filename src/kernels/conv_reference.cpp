// Reference convolution and transposed convolution: the formulas of
// conv.hpp as plain loops, accumulated in double.
#include <vector>

#include "kernels/internal.hpp"

namespace stride::kernels::detail {

void conv_forward_reference(const ConvGeometry& g, const float* input, const float* kernel,
                            const float* bias, float* output) {
  const Dim cin = g.in_channels, f_count = g.out_channels;
  const Dim cg = cin / g.groups, fg = f_count / g.groups;
  const Spatial &in = g.input, &out = g.output, &k = g.kernel, &s = g.strides, &d = g.dilation,
                &pad = g.pad_before;
  Dim o_index = 0;  // (b, od, oh, ow) in output order
  for (Dim b = 0; b < g.batch; ++b) {
    for (Dim od = 0; od < out[0]; ++od) {
      for (Dim oh = 0; oh < out[1]; ++oh) {
        for (Dim ow = 0; ow < out[2]; ++ow, ++o_index) {
          for (Dim f = 0; f < f_count; ++f) {
            const Dim group = f / fg;
            double sum = bias ? bias[f] : 0.0;
            for (Dim kd = 0; kd < k[0]; ++kd) {
              for (Dim kh = 0; kh < k[1]; ++kh) {
                for (Dim kw = 0; kw < k[2]; ++kw) {
                  const Dim id = od * s[0] + kd * d[0] - pad[0];
                  const Dim ih = oh * s[1] + kh * d[1] - pad[1];
                  const Dim iw = ow * s[2] + kw * d[2] - pad[2];
                  if (!inside(id, in[0]) || !inside(ih, in[1]) || !inside(iw, in[2])) continue;
                  const float* x = input + (b * volume(in) + grid_index(in, id, ih, iw)) * cin;
                  const float* w = kernel + grid_index(k, kd, kh, kw) * cg * f_count;
                  for (Dim c = 0; c < cg; ++c) {
                    sum += double(x[group * cg + c]) * double(w[c * f_count + f]);
                  }
                }
              }
            }
            output[o_index * f_count + f] = float(sum);
          }
        }
      }
    }
  }
}

void conv_transpose_forward_reference(const ConvGeometry& g, const float* input,
                                      const float* kernel, const float* bias, float* output) {
  const Dim cin = g.in_channels, f_count = g.out_channels;
  const Spatial &in = g.input, &out = g.output, &k = g.kernel, &s = g.strides, &d = g.dilation,
                &pad = g.pad_before;
  std::vector<double> sum(g.batch * volume(out) * f_count, 0.0);
  Dim i_index = 0;  // (b, id, ih, iw) in input order
  for (Dim b = 0; b < g.batch; ++b) {
    for (Dim id = 0; id < in[0]; ++id) {
      for (Dim ih = 0; ih < in[1]; ++ih) {
        for (Dim iw = 0; iw < in[2]; ++iw, ++i_index) {
          const float* x = input + i_index * cin;
          for (Dim kd = 0; kd < k[0]; ++kd) {
            for (Dim kh = 0; kh < k[1]; ++kh) {
              for (Dim kw = 0; kw < k[2]; ++kw) {
                const Dim od = id * s[0] + kd * d[0] - pad[0];
                const Dim oh = ih * s[1] + kh * d[1] - pad[1];
                const Dim ow = iw * s[2] + kw * d[2] - pad[2];
                if (!inside(od, out[0]) || !inside(oh, out[1]) || !inside(ow, out[2])) continue;
                double* y = sum.data() + (b * volume(out) + grid_index(out, od, oh, ow)) * f_count;
                // kernel (kd, kh, kw, out_channels, in_channels)
                const float* w = kernel + grid_index(k, kd, kh, kw) * f_count * cin;
                for (Dim f = 0; f < f_count; ++f) {
                  for (Dim c = 0; c < cin; ++c) y[f] += double(x[c]) * double(w[f * cin + c]);
                }
              }
            }
          }
        }
      }
    }
  }
  for (Dim i = 0; i < Dim(sum.size()); ++i) {
    output[i] = float(sum[i] + (bias ? bias[i % f_count] : 0.0));
  }
}

}  // namespace stride::kernels::detail
