// The reference evaluates each formula in double precision; the fast path in
// float, in loops the compiler vectorizes. Constants are Keras's: selu's
// alpha/scale, leaky_relu's 0.2 (Keras 3), hard_sigmoid = relu6(x + 3) / 6
// (Keras 3; Keras 2 used clip(0.2x + 0.5, 0, 1)), soft/hard_shrink at 0.5,
// squareplus b = 4, elu/celu alpha 1.
#include "kernels/activation.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "kernels/internal.hpp"
#include "kernels/parallel.hpp"
#include "stride/error.hpp"

namespace stride::kernels {

namespace {

template <class T>
T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

template <class T>
T softplus(T x) {
  // log(1 + e^x) without overflow for large x.
  return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x)));
}

template <class T>
T relu6(T x) {
  return std::min(std::max(x, T(0)), T(6));
}

// One formula per elementwise activation, for float and double alike.
// Always inlined: with a constant activation the switch folds away and the
// fast path's loops vectorize.
template <class T>
[[gnu::always_inline]] inline T apply_one(Activation a, T x) {
  switch (a) {
    case Activation::kLinear:
      return x;
    case Activation::kRelu:
      return std::max(x, T(0));
    case Activation::kSigmoid:
      return sigmoid(x);
    case Activation::kTanh:
      return std::tanh(x);
    case Activation::kElu:
      return x > T(0) ? x : std::expm1(x);
    case Activation::kSelu: {
      const T alpha = T(1.6732632423543772848170429916717);
      const T scale = T(1.0507009873554804934193349852946);
      return scale * (x > T(0) ? x : alpha * std::expm1(x));
    }
    case Activation::kSoftplus:
      return softplus(x);
    case Activation::kSoftsign:
      return x / (T(1) + std::abs(x));
    case Activation::kSilu:
      return x * sigmoid(x);
    case Activation::kGelu:
      return T(0.5) * x * (T(1) + std::erf(x / std::sqrt(T(2))));
    case Activation::kGeluApproximate: {
      const T c = std::sqrt(T(2) / T(3.14159265358979323846));
      return T(0.5) * x * (T(1) + std::tanh(c * (x + T(0.044715) * x * x * x)));
    }
    case Activation::kExponential:
      return std::exp(x);
    case Activation::kHardSigmoid:
      return relu6(x + T(3)) / T(6);
    case Activation::kHardSilu:
      return x * relu6(x + T(3)) / T(6);
    case Activation::kLeakyRelu:
      return x >= T(0) ? x : T(0.2) * x;
    case Activation::kRelu6:
      return relu6(x);
    case Activation::kMish:
      return x * std::tanh(softplus(x));
    case Activation::kCelu:
      return std::max(x, T(0)) + std::min(T(0), std::expm1(x));
    case Activation::kLogSigmoid:
      return -softplus(-x);
    case Activation::kSparsePlus:
      return x <= T(-1) ? T(0) : x >= T(1) ? x : (x + T(1)) * (x + T(1)) / T(4);
    case Activation::kSquareplus:
      return (x + std::sqrt(x * x + T(4))) / T(2);
    case Activation::kTanhShrink:
      return x - std::tanh(x);
    case Activation::kSoftShrink:
      return x > T(0.5) ? x - T(0.5) : x < T(-0.5) ? x + T(0.5) : T(0);
    case Activation::kHardShrink:
      return std::abs(x) > T(0.5) ? x : T(0);
    case Activation::kHardTanh:
      return std::min(std::max(x, T(-1)), T(1));
    case Activation::kSoftmax:
    case Activation::kLogSoftmax:
      break;
  }
  return x;
}

// d activation / dz at z, with y = activation(z) where that is cheaper.
// At the kinks the derivative is the one PyTorch and TensorFlow use (relu'(0) = 0).
template <class T>
[[gnu::always_inline]] inline T derivative(Activation a, T z, T y) {
  switch (a) {
    case Activation::kLinear:
      return T(1);
    case Activation::kRelu:
      return z > T(0) ? T(1) : T(0);
    case Activation::kSigmoid:
      return y * (T(1) - y);
    case Activation::kTanh:
      return T(1) - y * y;
    case Activation::kElu:
      return z > T(0) ? T(1) : std::exp(z);
    case Activation::kSelu:
      return T(1.0507009873554804934193349852946) *
             (z > T(0) ? T(1) : T(1.6732632423543772848170429916717) * std::exp(z));
    case Activation::kSoftplus:
      return sigmoid(z);
    case Activation::kSoftsign:
      return T(1) / ((T(1) + std::abs(z)) * (T(1) + std::abs(z)));
    case Activation::kSilu: {
      const T s = sigmoid(z);
      return s + z * s * (T(1) - s);
    }
    case Activation::kGelu: {
      const T pdf = std::exp(-z * z / T(2)) / std::sqrt(T(2) * T(3.14159265358979323846));
      return T(0.5) * (T(1) + std::erf(z / std::sqrt(T(2)))) + z * pdf;
    }
    case Activation::kGeluApproximate: {
      const T c = std::sqrt(T(2) / T(3.14159265358979323846));
      const T t = std::tanh(c * (z + T(0.044715) * z * z * z));
      return T(0.5) * (T(1) + t) +
             T(0.5) * z * (T(1) - t * t) * c * (T(1) + T(3 * 0.044715) * z * z);
    }
    case Activation::kExponential:
      return y;
    case Activation::kHardSigmoid:
      return z > T(-3) && z < T(3) ? T(1) / T(6) : T(0);
    case Activation::kHardSilu:
      return z <= T(-3) ? T(0) : z >= T(3) ? T(1) : (T(2) * z + T(3)) / T(6);
    case Activation::kLeakyRelu:
      return z >= T(0) ? T(1) : T(0.2);
    case Activation::kRelu6:
      return z > T(0) && z < T(6) ? T(1) : T(0);
    case Activation::kMish: {
      const T t = std::tanh(softplus(z));
      return t + z * (T(1) - t * t) * sigmoid(z);
    }
    case Activation::kCelu:
      return z > T(0) ? T(1) : std::exp(z);
    case Activation::kLogSigmoid:
      return sigmoid(-z);
    case Activation::kSparsePlus:
      return z <= T(-1) ? T(0) : z >= T(1) ? T(1) : (z + T(1)) / T(2);
    case Activation::kSquareplus:
      return T(0.5) * (T(1) + z / std::sqrt(z * z + T(4)));
    case Activation::kTanhShrink: {
      const T t = std::tanh(z);
      return t * t;
    }
    case Activation::kSoftShrink:
    case Activation::kHardShrink:
      return std::abs(z) > T(0.5) ? T(1) : T(0);
    case Activation::kHardTanh:
      return z > T(-1) && z < T(1) ? T(1) : T(0);
    case Activation::kSoftmax:
    case Activation::kLogSoftmax:
      break;
  }
  return T(1);
}

// Softmax: dz = y * (dy - sum(dy * y)); log_softmax: dz = dy - exp(y) * sum(dy).
template <class T>
void softmax_backward_rows(const float* y, const float* dy, float* dz, Dim size, Dim last_dim,
                           bool log) {
  if (last_dim <= 0) return;
  for (Dim r = 0; r < size; r += last_dim) {
    T dot = 0;
    for (Dim i = 0; i < last_dim; ++i) dot += log ? T(dy[r + i]) : T(dy[r + i]) * T(y[r + i]);
    for (Dim i = 0; i < last_dim; ++i)
      dz[r + i] = log ? float(T(dy[r + i]) - std::exp(T(y[r + i])) * dot)
                      : float(T(y[r + i]) * (T(dy[r + i]) - dot));
  }
}

// Max-subtracted softmax over each row (reference §7.5).
template <class T>
void softmax_rows(float* data, Dim size, Dim last_dim, bool log) {
  if (last_dim <= 0) return;
  for (float* row = data; row < data + size; row += last_dim) {
    T max = row[0];
    for (Dim i = 1; i < last_dim; ++i) max = std::max<T>(max, row[i]);
    T sum = 0;
    for (Dim i = 0; i < last_dim; ++i) sum += std::exp(T(row[i]) - max);
    if (log) {
      const T log_sum = std::log(sum);
      for (Dim i = 0; i < last_dim; ++i) row[i] = float(T(row[i]) - max - log_sum);
    } else {
      const T inv = T(1) / sum;
      for (Dim i = 0; i < last_dim; ++i) row[i] = float(std::exp(T(row[i]) - max) * inv);
    }
  }
}

// Elementwise work below this many values stays on the calling thread;
// above it, pieces of this size are shared out (they depend only on the
// size, and each value is computed alone, so any thread count gives the same
// result).
constexpr Dim kElementwiseGrain = 1 << 15;

template <class Body>
void elementwise_pieces(Dim size, Body&& body) {
  parallel_for(size, kElementwiseGrain, body);
}

// Calls f(std::integral_constant<Activation, a>{}): one instantiation per
// activation, so that each fast loop has its formula fixed at compile time.
template <class F, std::size_t... I>
void with_constant(Activation a, F&& f, std::index_sequence<I...>) {
  ((a == static_cast<Activation>(I)
        ? f(std::integral_constant<Activation, static_cast<Activation>(I)>{})
        : void()),
   ...);
}
template <class F>
void with_constant(Activation a, F&& f) {
  with_constant(a, f,
                std::make_index_sequence<static_cast<std::size_t>(Activation::kHardTanh) + 1>{});
}

}  // namespace

Activation activation_from_name(const std::string& name) {
  static const std::pair<const char*, Activation> kNames[] = {
      {"linear", Activation::kLinear},
      {"relu", Activation::kRelu},
      {"sigmoid", Activation::kSigmoid},
      {"tanh", Activation::kTanh},
      {"softmax", Activation::kSoftmax},
      {"log_softmax", Activation::kLogSoftmax},
      {"elu", Activation::kElu},
      {"selu", Activation::kSelu},
      {"softplus", Activation::kSoftplus},
      {"softsign", Activation::kSoftsign},
      {"swish", Activation::kSilu},
      {"silu", Activation::kSilu},
      {"gelu", Activation::kGelu},
      {"gelu_approximate", Activation::kGeluApproximate},
      {"exponential", Activation::kExponential},
      {"hard_sigmoid", Activation::kHardSigmoid},
      {"hard_silu", Activation::kHardSilu},
      {"hard_swish", Activation::kHardSilu},
      {"leaky_relu", Activation::kLeakyRelu},
      {"relu6", Activation::kRelu6},
      {"mish", Activation::kMish},
      {"celu", Activation::kCelu},
      {"log_sigmoid", Activation::kLogSigmoid},
      {"sparse_plus", Activation::kSparsePlus},
      {"squareplus", Activation::kSquareplus},
      {"tanh_shrink", Activation::kTanhShrink},
      {"soft_shrink", Activation::kSoftShrink},
      {"hard_shrink", Activation::kHardShrink},
      {"hard_tanh", Activation::kHardTanh},
  };
  for (const auto& [n, a] : kNames)
    if (name == n) return a;
  throw Error("activation '" + name + "' is known for shapes but stride cannot compute it yet");
}

void apply_activation(KernelPath path, Activation activation, float* data, Dim size, Dim last_dim) {
  const bool log = activation == Activation::kLogSoftmax;
  if (activation == Activation::kSoftmax || log) {
    if (path == KernelPath::kReference || last_dim <= 0) {
      softmax_rows<double>(data, size, last_dim, log);
      return;
    }
    // Rows are independent: whole rows are shared out.
    parallel_for(
        size / last_dim, std::max<Dim>(1, kElementwiseGrain / last_dim), [&](Dim first, Dim last) {
          softmax_rows<float>(data + first * last_dim, (last - first) * last_dim, last_dim, log);
        });
    return;
  }
  if (activation == Activation::kLinear) return;
  if (path == KernelPath::kReference) {
    for (Dim i = 0; i < size; ++i) data[i] = float(apply_one<double>(activation, data[i]));
    return;
  }
  with_constant(activation, [&](auto a) {
    elementwise_pieces(size, [&](Dim begin, Dim end) {
      for (Dim i = begin; i < end; ++i) data[i] = apply_one<float>(a.value, data[i]);
    });
  });
}

void activation_backward(KernelPath path, Activation activation, const float* z, const float* y,
                         const float* dy, float* dz, Dim size, Dim last_dim) {
  const bool log = activation == Activation::kLogSoftmax;
  if (activation == Activation::kSoftmax || log) {
    if (path == KernelPath::kReference)
      softmax_backward_rows<double>(y, dy, dz, size, last_dim, log);
    else
      softmax_backward_rows<float>(y, dy, dz, size, last_dim, log);
    return;
  }
  if (path == KernelPath::kReference) {
    for (Dim i = 0; i < size; ++i)
      dz[i] = float(double(dy[i]) * derivative<double>(activation, z[i], y[i]));
    return;
  }
  if (activation == Activation::kRelu) {
    elementwise_pieces(size, [&](Dim begin, Dim end) {
      relu_backward(y + begin, dy + begin, dz + begin, end - begin);
    });
    return;
  }
  with_constant(activation, [&](auto a) {
    elementwise_pieces(size, [&](Dim begin, Dim end) {
      for (Dim i = begin; i < end; ++i) dz[i] = dy[i] * derivative<float>(a.value, z[i], y[i]);
    });
  });
}

void relu_backward(const float* y, const float* dy, float* dz, Dim size) {
  for (Dim i = 0; i < size; ++i) dz[i] = dy[i] * (y[i] > 0.0f ? 1.0f : 0.0f);  // vectorizes
}

void relu_backward_channel_sums(const float* y, const float* dy, float* dz, Dim rows, Dim channels,
                                float* sums) {
  detail::chunked_channel_sums(rows, channels, sums, [&](Dim first, Dim last, double* chunk) {
    const Dim begin = first * channels;
    relu_backward(y + begin, dy + begin, dz + begin, (last - first) * channels);
    detail::add_rows(dz + begin, last - first, channels, chunk);  // still in cache
  });
}

}  // namespace stride::kernels
