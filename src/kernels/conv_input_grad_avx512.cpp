// The first-layer input gradient (conv_input_grad.hpp) built for AVX-512:
// 16 floats a vector, one per unit of filters.
#define STRIDE_SIMD_TARGET STRIDE_TARGET_AVX512
#include "kernels/conv_input_grad.hpp"

namespace stride::kernels::detail {

bool conv_input_grad_few_channels_avx512(const ConvGeometry& g, const float* output_grad,
                                         const float* kernel, float* input_grad) {
  return input_grad::conv_input_grad<simd::Avx512>(g, output_grad, kernel, input_grad);
}

}  // namespace stride::kernels::detail
