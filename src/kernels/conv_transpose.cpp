// Transposed convolution, fast path: one gemm per band of input pixels
// computes every product in[i, c] * K[tap, f, c] as columns (pixel, tap*F + f),
// then col2im adds each (pixel, tap) row of F values at its output position.
#include <algorithm>
#include <vector>

#include "kernels/gemm.hpp"
#include "kernels/internal.hpp"

namespace stride::kernels {

namespace {

using detail::grid_index;
using detail::grid_position;
using detail::inside;
using detail::volume;

constexpr Dim kScratchFloats = Dim{1} << 20;  // cap on the column band (4 MiB)

// Adds the columns of input pixels [first, first + rows) into one batch
// item's output; taps landing outside the output are dropped.
void col2im(const ConvGeometry& g, const float* cols, Dim first, Dim rows, float* out_b) {
  const Dim f_count = g.out_channels;
  const Spatial &out = g.output, &k = g.kernel, &s = g.strides, &d = g.dilation,
                &pad = g.pad_before;
  for (Dim r = 0; r < rows; ++r) {
    const Spatial ip = grid_position(g.input, first + r);
    for (Dim kd = 0; kd < k[0]; ++kd) {
      const Dim od = ip[0] * s[0] + kd * d[0] - pad[0];
      for (Dim kh = 0; kh < k[1]; ++kh) {
        const Dim oh = ip[1] * s[1] + kh * d[1] - pad[1];
        for (Dim kw = 0; kw < k[2]; ++kw, cols += f_count) {
          const Dim ow = ip[2] * s[2] + kw * d[2] - pad[2];
          if (!inside(od, out[0]) || !inside(oh, out[1]) || !inside(ow, out[2])) continue;
          float* y = out_b + grid_index(out, od, oh, ow) * f_count;
          for (Dim f = 0; f < f_count; ++f) y[f] += cols[f];
        }
      }
    }
  }
}

void conv_transpose_fast(const ConvGeometry& g, const float* input, const float* kernel,
                         const float* bias, float* output) {
  const Dim cin = g.in_channels, f_count = g.out_channels;
  const Dim in_pixels = volume(g.input), out_pixels = volume(g.output);
  const Dim row_length = volume(g.kernel) * f_count;  // (tap, f) columns
  const Dim band = std::clamp(kScratchFloats / row_length, Dim{1}, std::max(in_pixels, Dim{1}));
  // One scratch buffer: the kernel transposed to (Cin, taps*F), then the band.
  std::vector<float> scratch(cin * row_length + band * row_length);
  float* kernel_t = scratch.data();
  float* cols = kernel_t + cin * row_length;
  for (Dim col = 0; col < row_length; ++col) {
    for (Dim c = 0; c < cin; ++c) kernel_t[c * row_length + col] = kernel[col * cin + c];
  }
  for (Dim b = 0; b < g.batch; ++b) {
    float* out_b = output + b * out_pixels * f_count;
    detail::fill_rows(out_b, out_pixels, f_count, bias);
    const float* in_b = input + b * in_pixels * cin;
    for (Dim first = 0; first < in_pixels; first += band) {
      const Dim rows = std::min(band, in_pixels - first);
      gemm(KernelPath::kFast, rows, row_length, cin, in_b + first * cin, cin, kernel_t, row_length,
           cols, row_length, false);
      col2im(g, cols, first, rows, out_b);
    }
  }
}

}  // namespace

void conv_transpose_forward(KernelPath path, const ConvGeometry& g, const float* input,
                            const float* kernel, const float* bias, float* output) {
  detail::check_conv_transpose_geometry(g);
  if (path == KernelPath::kReference) {
    detail::conv_transpose_forward_reference(g, input, kernel, bias, output);
  } else {
    conv_transpose_fast(g, input, kernel, bias, output);
  }
}

}  // namespace stride::kernels
