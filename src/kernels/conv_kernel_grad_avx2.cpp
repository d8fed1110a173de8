// The direct kernel gradient (conv_kernel_grad_direct.hpp) built for
// AVX2+FMA: 8 floats a vector.
#define STRIDE_SIMD_TARGET STRIDE_TARGET_AVX2_FMA
#include "kernels/conv_kernel_grad_direct.hpp"

namespace stride::kernels::detail {

bool conv_backward_kernel_avx2(const ConvGeometry& g, const float* input, const float* output_grad,
                               float* kernel_grad, const LineGradients* lines, float* bias_grad) {
  return direct_kernel_grad::conv_backward_kernel<simd::Avx2>(g, input, output_grad, kernel_grad,
                                                              lines, bias_grad);
}

}  // namespace stride::kernels::detail
