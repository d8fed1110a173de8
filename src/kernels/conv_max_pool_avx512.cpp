// A convolution and the max pooling after it in one pass (conv_max_pool.hpp)
// built for AVX-512: 16 floats a vector.
#define STRIDE_SIMD_TARGET STRIDE_TARGET_AVX512
#include "kernels/conv_max_pool.hpp"

namespace stride::kernels::detail {

bool conv_max_pool_avx512(const ConvGeometry& g, const PoolGeometry& pool, const float* input,
                          const float* kernel, const float* bias, bool relu, float* output,
                          std::uint8_t* taps) {
  return conv_max_pool::conv_max_pool<simd::Avx512>(g, pool, input, kernel, bias, relu, output,
                                                    taps);
}

}  // namespace stride::kernels::detail
