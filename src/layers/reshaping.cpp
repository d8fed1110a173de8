// Flatten, Reshape, Permute: parameter-free layers that rearrange the
// non-batch dims (reference §1.7, §2.5, §5.2, §5.4).
#include <fmt/format.h>

#include <algorithm>

#include "compute.hpp"
#include "families.hpp"
#include "kernels/transpose.hpp"

namespace stride::layers {

namespace {

std::vector<Dim> non_batch(const Shape& s) {
  return std::vector<Dim>(s.begin() + 1, s.end());
}

// An integer JSON value that fits Dim (JSON may hold unsigned values beyond it).
bool fits_int64(const Json& v) {
  return v.is_number_integer() &&
         !(v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(INT64_MAX));
}

// "26*26*32" for explain lines.
std::string star_join(const std::vector<Dim>& dims) {
  std::string out;
  for (std::size_t i = 0; i < dims.size(); ++i)
    out += (i ? "*" : "") + (dims[i] == kNone ? std::string("None") : std::to_string(dims[i]));
  return out;
}

// checked_product, with an overflow reported as this layer's error. Any
// unknown dim makes the product unknown, whatever the others are (as Keras).
Dim product_or_fail(const Layer& layer, const std::vector<Dim>& dims, const std::string& what,
                    const Shape& input) {
  if (std::find(dims.begin(), dims.end(), kNone) != dims.end()) return kNone;
  try {
    return checked_product(dims, what);
  } catch (const Error& e) {
    layer.fail(fmt::format("{}; input shape {}", e.what(), shape_to_python(input)));
  }
}

// ---- Flatten --------------------------------------------------------------

class Flatten : public Layer {
 public:
  explicit Flatten(Config config) : Layer(std::move(config)) {
    channels_first_ = this->config().channels_first();
    mutable_config()["data_format"] = channels_first_ ? "channels_first" : "channels_last";
  }

  Shape compute_output_shape(const Shape& input) const override {
    require_min_rank(input, 1);
    // A batch-only input gains a feature axis of size 1 (Keras's rule).
    if (input.size() == 1) return {input[0], 1};
    return {input[0], product_or_fail(*this, non_batch(input), "Flatten output size", input)};
  }

  void explain(Explanation& out) const override {
    const Shape& in = input_shape();
    const Dim n = output_shape()[1];
    if (in.size() == 1)
      out.add("a batch-only input gets one feature axis of size 1");
    else if (n == kNone)
      out.add(fmt::format("{} = None: an unknown dimension makes the product unknown",
                          star_join(non_batch(in))));
    else
      out.add(fmt::format("{} = {}", star_join(non_batch(in)), n));
    if (channels_first_ && in.size() > 2)
      out.add(
          "data_format='channels_first': the input is first transposed to channels_last, so "
          "the element order follows channels_last (channels vary fastest)");
    out.add("params: 0");
  }

 protected:
  // Layers never write to their input, so a reshape can share its storage.
  Tensor forward(const Tensor& input, const CallOptions&) const override {
    const Tensor x = channels_first_ && input.rank() > 2 ? kernels::to_channels_last(input) : input;
    return x.reshaped(compute_output_shape(input.shape()));
  }

  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>&,
                  ComputePath) const override {
    const Shape& in = tape.input.shape();
    if (!(channels_first_ && in.size() > 2)) return output_grad.reshaped(in);
    // Undo the transpose to channels_last.
    return kernels::to_channels_first(output_grad.reshaped(channels_last_shape(in)));
  }

 private:
  bool channels_first_ = false;
};

// ---- Reshape --------------------------------------------------------------

class Reshape : public Layer {
 public:
  explicit Reshape(Config config) : Layer(std::move(config)) {
    const Config& c = this->config();
    const Json& t = c.json().at("target_shape");
    const std::string received = "Received: target_shape=" + python_repr(t);
    if (!t.is_array())
      c.fail("target_shape", "`target_shape` must be a tuple of integers. " + received);
    for (const Json& d : t) {
      if (!fits_int64(d))
        c.fail("target_shape", "`target_shape` must be a tuple of integers. " + received);
      target_.push_back(d.get<std::int64_t>());
    }
    if (std::count(target_.begin(), target_.end(), -1) > 1)
      c.fail("target_shape",
             "The `target_shape` argument must not contain more than one `-1` value. " + received);
    for (Dim d : target_)
      if (d == 0 || d < -1)
        c.fail("target_shape",
               fmt::format("`target_shape` dimensions must be positive integers, or -1 for one "
                           "inferred dimension; {} is not. {}",
                           d, received));
    mutable_config()["target_shape"] = target_;
  }

  Shape compute_output_shape(const Shape& input) const override {
    require_min_rank(input, 1);
    const std::vector<Dim> in = non_batch(input);
    const auto unknown = std::find(target_.begin(), target_.end(), -1);
    std::vector<Dim> known = target_;
    if (unknown != target_.end()) known.erase(known.begin() + (unknown - target_.begin()));
    const Dim known_size = product_or_fail(*this, known, "Reshape target size", input);
    Shape out{input[0]};
    out.insert(out.end(), target_.begin(), target_.end());
    const bool has_unknown = unknown != target_.end();
    Dim* inferred = has_unknown ? &out[1 + (unknown - target_.begin())] : nullptr;
    const Dim in_size = product_or_fail(*this, in, "Reshape input size", input);
    if (in_size == kNone) {
      // An unknown input dim leaves the -1 unknown; nothing can be checked.
      if (inferred) *inferred = kNone;
      return out;
    }
    const std::string shapes = fmt::format("Received: input_shape={}, target_shape={}",
                                           shape_to_python(in), python_repr(Json(target_)));
    if (!has_unknown) {
      if (in_size != known_size)
        fail(fmt::format("The total size of the tensor must be unchanged. {} ({} != {})", shapes,
                         in_size, known_size));
      return out;
    }
    if (in_size % known_size != 0)
      fail(
          fmt::format("The total size of the tensor must be unchanged, however, the input size "
                      "cannot by divided by the specified dimensions in target_shape. {} ({} is "
                      "not a multiple of {})",
                      shapes, in_size, known_size));
    *inferred = in_size / known_size;
    return out;
  }

  void explain(Explanation& out) const override {
    const std::vector<Dim> in = non_batch(input_shape());
    const Dim in_size = product_or_fail(*this, in, "Reshape input size", input_shape());
    const auto unknown = std::find(target_.begin(), target_.end(), -1);
    if (in_size == kNone) {
      out.add(fmt::format("input size {} is unknown{}", star_join(in),
                          unknown != target_.end() ? ", so -1 stays None" : ""));
    } else if (unknown == target_.end()) {
      out.add(fmt::format("sizes match: {} = {} = {}", star_join(in), star_join(target_), in_size));
    } else {
      std::vector<Dim> known = target_;
      known.erase(known.begin() + (unknown - target_.begin()));
      const Dim known_size = checked_product(known, "Reshape target size");
      out.add(in.size() == 1 ? fmt::format("input size {}", in_size)
                             : fmt::format("input size {} = {}", star_join(in), in_size));
      out.add(fmt::format("-1 = {} / ({}) = {}", in_size,
                          known.empty() ? std::string("1") : star_join(known),
                          in_size / known_size));
    }
    out.add("params: 0");
  }

 protected:
  Tensor forward(const Tensor& input, const CallOptions&) const override {
    return input.reshaped(compute_output_shape(input.shape()));
  }

  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>&,
                  ComputePath) const override {
    return output_grad.reshaped(tape.input.shape());
  }

 private:
  std::vector<Dim> target_;
};

// ---- Permute --------------------------------------------------------------

class Permute : public Layer {
 public:
  explicit Permute(Config config) : Layer(std::move(config)) {
    const Config& c = this->config();
    const Json& d = c.json().at("dims");
    const std::string message = fmt::format(
        "Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` "
        "must be consecutive and start from 1. Received dims={}",
        python_repr(d));
    if (!d.is_array()) c.fail("dims", message);
    for (const Json& e : d) {
      if (!fits_int64(e)) c.fail("dims", message);
      dims_.push_back(e.get<std::int64_t>());
    }
    std::vector<Dim> sorted = dims_;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < sorted.size(); ++i)
      if (sorted[i] != static_cast<Dim>(i + 1)) c.fail("dims", message);
    mutable_config()["dims"] = dims_;
  }

  Shape compute_output_shape(const Shape& input) const override {
    require_rank(input, dims_.size() + 1);
    Shape out{input[0]};
    for (Dim d : dims_) out.push_back(input[static_cast<std::size_t>(d)]);
    return out;
  }

  void explain(Explanation& out) const override {
    const Shape& in = input_shape();
    for (std::size_t i = 0; i < dims_.size(); ++i) {
      const Dim d = in[static_cast<std::size_t>(dims_[i])];
      out.add(fmt::format("output axis {} = input axis {} ({})", i + 1, dims_[i],
                          d == kNone ? std::string("None") : std::to_string(d)));
    }
    out.add("params: 0");
  }

 protected:
  Tensor forward(const Tensor& input, const CallOptions&) const override {
    std::vector<std::size_t> axes{0};
    for (Dim d : dims_) axes.push_back(static_cast<std::size_t>(d));
    return kernels::transpose(input, axes);
  }

  Tensor backward(const Tape&, const Tensor& output_grad, std::vector<Tensor>&,
                  ComputePath) const override {
    std::vector<std::size_t> inverse(dims_.size() + 1, 0);
    for (std::size_t i = 0; i < dims_.size(); ++i)
      inverse[static_cast<std::size_t>(dims_[i])] = i + 1;
    return kernels::transpose(output_grad, inverse);
  }

 private:
  std::vector<Dim> dims_;
};

template <class L>
std::unique_ptr<Layer> make(const Config& c) {
  return std::make_unique<L>(c);
}

}  // namespace

void register_reshaping(LayerRegistry& r) {
  r.add({"Flatten", {{"data_format", nullptr}}, make<Flatten>, {}});
  r.add({"Reshape", {{"target_shape", nullptr, true}}, make<Reshape>, {}});
  r.add({"Permute", {{"dims", nullptr, true}}, make<Permute>, {}});
}

}  // namespace stride::layers
