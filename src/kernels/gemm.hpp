// General matrix multiply, the work horse of Dense and of im2col convolution.
#pragma once

#include "kernels/path.hpp"
#include "stride/shape.hpp"

namespace stride::kernels {

// C[m, n] = A[m, k] * B[k, n], plus the old C when `accumulate`. Row-major
// with leading dimensions (row strides) lda, ldb, ldc.
void gemm(KernelPath path, Dim m, Dim n, Dim k, const float* a, Dim lda, const float* b, Dim ldb,
          float* c, Dim ldc, bool accumulate);

}  // namespace stride::kernels
