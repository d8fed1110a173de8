// The Winograd kernels (winograd_forward.hpp, winograd_kernel_grad.hpp)
// built for AVX-512: 16 floats a vector, channels in multiples of 16.
#define STRIDE_SIMD_TARGET STRIDE_TARGET_AVX512
#include "kernels/winograd_forward.hpp"
#include "kernels/winograd_kernel_grad.hpp"
#include "kernels/winograd_single_channel.hpp"

namespace stride::kernels::detail {

bool conv_winograd_avx512(const ConvGeometry& g, const float* input, const float* kernel,
                          bool flip_swap, const float* bias, bool relu, float* output) {
  if (!flip_swap &&
      winograd::single_channel_forward<simd::Avx512>(g, input, kernel, bias, relu, output))
    return true;
  return winograd::winograd_forward<simd::Avx512>(g, input, kernel, flip_swap, bias, relu, output);
}

bool conv_winograd_kernel_grad_avx512(const ConvGeometry& g, const float* input,
                                      const float* output_grad, float* kernel_grad) {
  return winograd::winograd_kernel_grad<simd::Avx512>(g, input, output_grad, kernel_grad);
}

}  // namespace stride::kernels::detail
