// Dense: a kernel (in, units) applied to the input's last axis, on inputs of
// any rank >= 2 (reference §2.2). Keras 3's LoRA option (lora_rank) freezes
// the kernel and adds two trainable low-rank factors.
#include <fmt/format.h>

#include "compute.hpp"
#include "families.hpp"
#include "kernels/gemm.hpp"

namespace stride::layers {

namespace {

Signature dense_signature() {
  return {
      {"units", nullptr, true},
      {"activation", nullptr},
      {"use_bias", true},
      {"kernel_initializer", "glorot_uniform"},
      {"bias_initializer", "zeros"},
      {"kernel_regularizer", nullptr},
      {"bias_regularizer", nullptr},
      {"activity_regularizer", nullptr},
      {"kernel_constraint", nullptr},
      {"bias_constraint", nullptr},
      // Keras 3 only; dropped from the config when unset, as Keras 3 does.
      {"lora_rank", nullptr},
      {"lora_alpha", nullptr},
      {"quantization_config", nullptr},
  };
}

class Dense : public Layer {
 public:
  explicit Dense(Config config) : Layer(std::move(config)) {
    const Config& c = this->config();
    const Json& units = c.json().at("units");
    const bool fits =
        units.is_number_integer() &&
        !(units.is_number_unsigned() && units.get<std::uint64_t>() > std::uint64_t(INT64_MAX));
    if (!fits || units.get<std::int64_t>() <= 0)
      c.fail("units", fmt::format("Received an invalid value for `units`, expected a positive "
                                  "integer. Received: units={}",
                                  python_repr(units)));
    units_ = units.get<std::int64_t>();
    activation_ = c.activation();
    use_bias_ = c.boolean("use_bias");
    if (!c.is_null("lora_rank")) {
      lora_rank_ = c.integer("lora_rank");
      if (lora_rank_ < 0)
        c.fail("lora_rank", fmt::format("`lora_rank` must be a positive integer or None. "
                                        "Received: lora_rank={}",
                                        lora_rank_));
    }
    Json& j = mutable_config();
    j["activation"] = activation_;
    // Keras 3 lists lora_rank/lora_alpha only when LoRA is on (rank 0 is off).
    if (lora_rank_ == 0) {
      j.erase("lora_rank");
      j.erase("lora_alpha");
    } else if (j["lora_alpha"].is_null()) {
      j["lora_alpha"] = lora_rank_;
    }
    if (j["quantization_config"].is_null()) j.erase("quantization_config");
  }

  Shape compute_output_shape(const Shape& input) const override {
    require_min_rank(input, 2);
    if (input.back() == kNone)
      fail(
          fmt::format("The last dimension of the inputs to a Dense layer should be defined. "
                      "Found None. Full input shape received: {}",
                      shape_to_python(input)));
    (void)checked_params(input);
    Shape out = input;
    out.back() = units_;
    return out;
  }

  void explain(Explanation& out) const override {
    const Shape& in = input_shape();
    const Dim d = in.back();
    out.add(fmt::format("last axis: {} -> {} units", d, units_));
    if (in.size() > 2) {
      const std::vector<Dim> middle(in.begin() + 1, in.end() - 1);
      out.add(
          fmt::format("only the last axis is contracted: the same ({}, {}) kernel is applied "
                      "at each of the {} positions; the other axes are kept",
                      d, units_, dims_to_x(middle)));
    }
    if (use_bias_)
      out.add(fmt::format("params: ({} + 1) * {} = {}", d, units_, dense_params()));
    else
      out.add(fmt::format("params: {} * {} = {} (no bias)", d, units_, dense_params()));
    if (lora_rank_ > 0)
      out.add(
          fmt::format("LoRA rank {}: kernel {}*{} frozen; + lora_kernel_a {}*{} + "
                      "lora_kernel_b {}*{} trainable; total {}",
                      lora_rank_, d, units_, d, lora_rank_, lora_rank_, units_, count_params()));
  }

 protected:
  std::vector<WeightSpec> make_weights(const Shape& input) const override {
    const Dim d = input.back();
    // Creation order; with LoRA the kernel becomes non-trainable.
    std::vector<WeightSpec> w{{"kernel", {d, units_}, lora_rank_ == 0}};
    if (use_bias_) w.push_back({"bias", {units_}});
    if (lora_rank_ > 0) {
      w.push_back({"lora_kernel_a", {d, lora_rank_}});
      w.push_back({"lora_kernel_b", {lora_rank_, units_}});
    }
    return w;
  }

  // y = x . W + b over the last axis: the other axes are rows of one GEMM.
  Tensor forward(const Tensor& input, const CallOptions& options) const override {
    const Dim d = input.shape().back();
    const Dim rows = d ? input.size() / d : 0;
    // The bias rows or the gemm (when it sums over something) write every value.
    Tensor output = use_bias_ || d > 0 ? Tensor::uninitialized(compute_output_shape(input.shape()))
                                       : Tensor(compute_output_shape(input.shape()));
    if (use_bias_) {
      const float* bias = weight("bias").data();
      for (Dim r = 0; r < rows; ++r) std::copy(bias, bias + units_, output.data() + r * units_);
    }
    const Tensor kernel = effective_kernel(options.path);
    kernels::gemm(options.path, rows, units_, d, input.data(), d, kernel.data(), units_,
                  output.data(), units_, /*accumulate=*/use_bias_);
    return activated(activation_, std::move(output), options);
  }

 public:
  // With X (rows, d) and dZ (rows, units): dX = dZ W^T, dW = X^T dZ,
  // db = column sums of dZ. With LoRA, dA = scale dW B^T and dB = scale A^T dW.
  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>& weight_grads,
                  ComputePath path) const override {
    using kernels::Transpose;
    const Tensor dz = activation_grad(activation_, tape, output_grad, path);
    const Tensor& x = tape.input;
    const Dim d = x.shape().back();
    const Dim rows = d ? x.size() / d : 0;
    const Tensor kernel = effective_kernel(path);
    Tensor dx(x.shape());
    kernels::gemm(path, Transpose::kNo, Transpose::kYes, rows, d, units_, dz.data(), units_,
                  kernel.data(), units_, dx.data(), d, false);
    Tensor& dkernel = weight_grads.at(0);
    kernels::gemm(path, Transpose::kYes, Transpose::kNo, d, units_, rows, x.data(), d, dz.data(),
                  units_, dkernel.data(), units_, false);
    std::size_t next = 1;
    if (use_bias_) {
      Tensor& dbias = weight_grads.at(next++);
      dbias.fill(0.0f);
      for (Dim r = 0; r < rows; ++r)
        for (Dim u = 0; u < units_; ++u) dbias[u] += dz[r * units_ + u];
    }
    if (lora_rank_ > 0) {
      const float scale = lora_scale();
      const Tensor& a = weight("lora_kernel_a");
      const Tensor& b = weight("lora_kernel_b");
      Tensor& da = weight_grads.at(next++);
      Tensor& db = weight_grads.at(next++);
      kernels::gemm(path, Transpose::kNo, Transpose::kYes, d, lora_rank_, units_, dkernel.data(),
                    units_, b.data(), units_, da.data(), lora_rank_, false);
      kernels::gemm(path, Transpose::kYes, Transpose::kNo, lora_rank_, units_, d, a.data(),
                    lora_rank_, dkernel.data(), units_, db.data(), units_, false);
      for (float& v : da) v *= scale;
      for (float& v : db) v *= scale;
    }
    return dx;
  }

 private:
  // Keras 3's LoRA adds (lora_alpha / lora_rank) * A . B to the frozen kernel.
  Tensor effective_kernel(ComputePath path) const {
    const Tensor& kernel = weight("kernel");
    if (lora_rank_ == 0) return kernel;
    Tensor sum = kernel.clone();
    const Tensor& a = weight("lora_kernel_a");
    Tensor product(kernel.shape());
    kernels::gemm(path, kernel.dim(0), units_, lora_rank_, a.data(), lora_rank_,
                  weight("lora_kernel_b").data(), units_, product.data(), units_, false);
    const float scale = lora_scale();
    for (Dim i = 0; i < sum.size(); ++i) sum[i] += scale * product[i];
    return sum;
  }

  float lora_scale() const {
    return float(config().json().at("lora_alpha").get<double>() / double(lora_rank_));
  }

  // kernel + bias (without the LoRA factors); overflow was ruled out by
  // compute_output_shape.
  Dim dense_params() const {
    const Dim kernel = input_shape().back() * units_;
    return use_bias_ ? kernel + units_ : kernel;
  }

  // All parameters, with a 64-bit overflow reported as this layer's error.
  Dim checked_params(const Shape& input) const {
    const Dim d = input.back();
    try {
      Dim n = checked_mul(d, units_, "Dense kernel size");
      if (use_bias_) n = checked_add(n, units_, "Dense parameter count");
      if (lora_rank_ > 0) {
        n = checked_add(n, checked_mul(d, lora_rank_, "Dense lora_kernel_a size"),
                        "Dense parameter count");
        n = checked_add(n, checked_mul(lora_rank_, units_, "Dense lora_kernel_b size"),
                        "Dense parameter count");
      }
      return n;
    } catch (const Error& e) {
      fail(fmt::format("{}; kernel ({}, {}), input shape {}", e.what(), d, units_,
                       shape_to_python(input)));
    }
  }

  Dim units_ = 0, lora_rank_ = 0;
  bool use_bias_ = true;
  std::string activation_;
};

std::unique_ptr<Layer> make_dense(const Config& c) {
  return std::make_unique<Dense>(c);
}

}  // namespace

void register_dense(LayerRegistry& r) {
  r.add({"Dense", dense_signature(), make_dense, {}});
}

}  // namespace stride::layers
