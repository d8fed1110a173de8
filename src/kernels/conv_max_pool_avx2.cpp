// A convolution and the max pooling after it in one pass (conv_max_pool.hpp)
// built for AVX2+FMA: 8 floats a vector.
#define STRIDE_SIMD_TARGET STRIDE_TARGET_AVX2_FMA
#include "kernels/conv_max_pool.hpp"

namespace stride::kernels::detail {

bool conv_max_pool_avx2(const ConvGeometry& g, const PoolGeometry& pool, const float* input,
                        const float* kernel, const float* bias, bool relu, float* output,
                        std::uint8_t* taps) {
  return conv_max_pool::conv_max_pool<simd::Avx2>(g, pool, input, kernel, bias, relu, output, taps);
}

}  // namespace stride::kernels::detail
