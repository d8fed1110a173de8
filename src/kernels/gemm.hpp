// General matrix multiply, the work horse of Dense and of im2col convolution.
#pragma once

#include "kernels/path.hpp"
#include "stride/shape.hpp"

namespace stride::kernels {

// C[m, n] = A[m, k] * B[k, n], plus the old C when `accumulate`. Row-major
// with leading dimensions (row strides) lda, ldb, ldc.
void gemm(KernelPath path, Dim m, Dim n, Dim k, const float* a, Dim lda, const float* b, Dim ldb,
          float* c, Dim ldc, bool accumulate);

// Whether gemm reads an operand as stored or as its transpose.
enum class Transpose { kNo, kYes };

// C[m, n] = op(A)[m, k] * op(B)[k, n], plus the old C when `accumulate`,
// where op(X) is X or X^T. Leading dimensions are those of the arrays as
// stored: A is (m, k) with lda >= k, or (k, m) with lda >= m when transposed;
// likewise B is (k, n) or (n, k). The gradients of Dense and of im2col
// convolution are such products (X^T * dY, dY * W^T).
void gemm(KernelPath path, Transpose ta, Transpose tb, Dim m, Dim n, Dim k, const float* a, Dim lda,
          const float* b, Dim ldb, float* c, Dim ldc, bool accumulate);

}  // namespace stride::kernels
