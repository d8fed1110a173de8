// The first-layer input gradient (conv_input_grad.hpp) built for AVX2+FMA:
// 8 floats a vector, two per unit of filters.
#define STRIDE_SIMD_TARGET STRIDE_TARGET_AVX2_FMA
#include "kernels/conv_input_grad.hpp"

namespace stride::kernels::detail {

bool conv_input_grad_few_channels_avx2(const ConvGeometry& g, const float* output_grad,
                                       const float* kernel, float* input_grad) {
  return input_grad::conv_input_grad<simd::Avx2>(g, output_grad, kernel, input_grad);
}

}  // namespace stride::kernels::detail
