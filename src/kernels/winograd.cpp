// The instruction-set-free parts of the Winograd kernels (winograd.hpp).
#include "kernels/winograd.hpp"

#include "kernels/parallel.hpp"

namespace stride::kernels::detail::winograd {

bool winograd_shape(const ConvGeometry& g, Dim lanes, WinogradShape& s) {
  const bool plain_3x3 = g.groups == 1 && g.input[0] == 1 && g.output[0] == 1 &&
                         g.kernel == Spatial{1, 3, 3} && g.strides == Spatial{1, 1, 1} &&
                         g.dilation == Spatial{1, 1, 1} && g.pad_before[0] == 0;
  s = WinogradShape{g.batch,         g.input[1],      g.input[2],    g.output[1],   g.output[2],
                    g.pad_before[1], g.pad_before[2], g.in_channels, g.out_channels};
  s.tiles_h = (s.out_h + 3) / 4;
  s.tiles_w = (s.out_w + 3) / 4;
  s.tiles = s.tiles_h * s.tiles_w;
  return plain_3x3 && s.cin % lanes == 0 && s.cin >= 16 && s.cout % lanes == 0 && s.cout >= 16 &&
         s.batch * s.tiles >= kMinTiles;
}

void transform_kernel(const float* kernel, Dim cin, Dim cout, bool flip_swap, float* u) {
  constexpr double G[6][3] = {{1.0 / 4, 0, 0},
                              {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                              {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                              {1.0 / 24, 1.0 / 12, 1.0 / 6},
                              {1.0 / 24, -1.0 / 12, 1.0 / 6},
                              {0, 0, 1}};
  // Filters a block at a time, the innermost loops over them, so that the
  // compiler vectorizes the double arithmetic (one (c, f) at a time, with 36
  // stores 4*Cin*Cout bytes apart, took 11% of the MNIST convnet's inference).
  constexpr Dim kBlock = 32;
  parallel_for(cin, 4, [&](Dim c_begin, Dim c_end) {
    double g[3][3][kBlock], gg[6][3][kBlock];
    for (Dim c = c_begin; c < c_end; ++c) {
      for (Dim f0 = 0; f0 < cout; f0 += kBlock) {
        const Dim n = std::min(kBlock, cout - f0);
        for (int kh = 0; kh < 3; ++kh)
          for (int kw = 0; kw < 3; ++kw)
            for (Dim f = 0; f < n; ++f)
              g[kh][kw][f] =
                  flip_swap ? kernel[((2 - kh) * 3 + (2 - kw)) * cin * cout + (f0 + f) * cin + c]
                            : kernel[(kh * 3 + kw) * cin * cout + c * cout + f0 + f];
        for (int i = 0; i < 6; ++i)  // G g
          for (int j = 0; j < 3; ++j)
            for (Dim f = 0; f < n; ++f)
              gg[i][j][f] = G[i][0] * g[0][j][f] + G[i][1] * g[1][j][f] + G[i][2] * g[2][j][f];
        for (int i = 0; i < 6; ++i)
          for (int j = 0; j < 6; ++j) {
            float* to = u + ((i * 6 + j) * cin + c) * cout + f0;
            for (Dim f = 0; f < n; ++f)
              to[f] = float(gg[i][0][f] * G[j][0] + gg[i][1][f] * G[j][1] + gg[i][2][f] * G[j][2]);
          }
      }
    }
  });
}

}  // namespace stride::kernels::detail::winograd
