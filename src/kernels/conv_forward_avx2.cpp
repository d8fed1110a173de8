// The direct forward convolution (conv_forward_direct.hpp) built for
// AVX2+FMA: 8 floats a vector.
#define STRIDE_SIMD_TARGET STRIDE_TARGET_AVX2_FMA
#include "kernels/conv_forward_direct.hpp"

namespace stride::kernels::detail {

bool conv_forward_avx2(const ConvGeometry& g, const float* input, const float* kernel,
                       const float* bias, float* output, bool relu) {
  return direct_forward::conv_forward<simd::Avx2>(g, input, kernel, bias, output, relu);
}

}  // namespace stride::kernels::detail
