// UpSampling1D/2D/3D (reference §1.7, §2.5): each spatial dim is repeated
// `size` times, out = in * size; None stays None. No weights.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "compute.hpp"
#include "families.hpp"
#include "window.hpp"

namespace stride::layers {

namespace {

// Keras 2's resize methods (UpSampling2D validates against them); Keras 3
// resizes with ops.image.resize, whose methods are a subset.
const char* const kInterpolations[] = {"area",     "bicubic",  "bilinear",      "gaussian",
                                       "lanczos3", "lanczos5", "mitchellcubic", "nearest"};

Signature upsampling_signature(std::size_t rank) {
  if (rank == 1) return {{"size", 2}};
  Signature s{{"size", Json(std::vector<int>(rank, 2))}, {"data_format", nullptr}};
  if (rank == 2) s.push_back({"interpolation", "nearest"});
  return s;
}

class UpSampling : public Layer {
 public:
  UpSampling(Config config, std::size_t rank) : Layer(std::move(config)), rank_(rank) {
    const Config& c = this->config();
    Json& j = mutable_config();
    if (rank == 1) {
      // Keras 3 (up_sampling1d.py): an int, strictly positive.
      const Json& v = c.json().at("size");
      if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<std::int64_t>() <= 0))
        c.fail("size", fmt::format("Argument `size` should be a positive integer. Received: "
                                   "size={}",
                                   python_repr(v)));
      size_ = {c.integer("size")};
      j["size"] = size_[0];
    } else {
      size_ = c.int_tuple("size", rank);
      channels_first_ = c.channels_first();
      j["size"] = size_;
      j["data_format"] = channels_first_ ? "channels_first" : "channels_last";
    }
    if (rank == 2) {
      std::string method = c.string("interpolation");
      std::transform(method.begin(), method.end(), method.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (std::find(std::begin(kInterpolations), std::end(kInterpolations), method) ==
          std::end(kInterpolations)) {
        std::string list;
        for (const char* m : kInterpolations)
          list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", m);
        c.fail("interpolation", fmt::format("`interpolation` argument should be one of: {}. "
                                            "Received: \"{}\".",
                                            list, c.string("interpolation")));
      }
      j["interpolation"] = method;
    }
  }

  Shape compute_output_shape(const Shape& input) const override {
    require_rank(input, rank_ + 2);
    std::vector<Dim> spatial = spatial_dims(input, channels_first_);
    for (std::size_t i = 0; i < rank_; ++i) {
      if (spatial[i] == kNone) continue;
      try {
        spatial[i] =
            checked_mul(spatial[i], size_[i], fmt::format("upsampled {}", axis_name(i, rank_)));
      } catch (const Error& e) {
        fail(fmt::format("{}: input shape {}", e.what(), shape_to_python(input)));
      }
    }
    return make_shape(input[0], spatial, channel_dim(input, channels_first_), channels_first_);
  }

  void explain(Explanation& out) const override {
    const std::vector<Dim> in = spatial_dims(input_shape(), channels_first_);
    const std::vector<Dim> res = spatial_dims(output_shape(), channels_first_);
    for (std::size_t i = 0; i < rank_; ++i) {
      const std::string axis = axis_name(i, rank_);
      if (in[i] == kNone)
        out.add(fmt::format("{}: unknown (None) in, unknown out", axis));
      else
        out.add(fmt::format("{}: out = in * size = {} * {} = {}", axis, in[i], size_[i], res[i]));
    }
    const Dim channels = channel_dim(input_shape(), channels_first_);
    out.add(fmt::format("channels: {} unchanged",
                        channels == kNone ? std::string("None") : std::to_string(channels)));
    out.add(param_arithmetic());
  }

 protected:
  Tensor forward(const Tensor& input, const CallOptions&) const override {
    const std::string method = rank_ == 2 ? config().string("interpolation") : "nearest";
    if (method != "nearest" && method != "bilinear")
      fail(fmt::format("interpolation='{}' cannot be computed yet (nearest and bilinear can)",
                       method));
    return in_channels_last(input, channels_first_, [&](const Tensor& x) {
      const std::vector<Dim> in = spatial_dims(x.shape(), false);
      std::vector<Dim> out;
      for (std::size_t i = 0; i < rank_; ++i) out.push_back(in[i] * size_[i]);
      Tensor y(make_shape(x.dim(0), out, x.shape().back(), false));
      Tensor source = x;  // read only: forward walks never write to it
      if (method == "nearest")
        walk_nearest(source, y, /*backward=*/false);
      else
        walk_bilinear(source, y, false);
      return y;
    });
  }

 public:
  Tensor backward(const Tape& tape, const Tensor& output_grad, std::vector<Tensor>&,
                  ComputePath) const override {
    const std::string method = rank_ == 2 ? config().string("interpolation") : "nearest";
    return in_channels_last(output_grad, channels_first_, [&](const Tensor& dy) {
      Tensor dx(channels_first_ ? channels_last_shape(tape.input.shape()) : tape.input.shape());
      Tensor gradient = dy;  // read only: backward walks never write to it
      if (method == "nearest")
        walk_nearest(dx, gradient, /*backward=*/true);
      else
        walk_bilinear(dx, gradient, true);
      return dx;
    });
  }

 private:
  // Nearest: output position o reads input position o / size on each axis.
  // Forward copies `small` into `big`; backward sums `big` (the output
  // gradient) into `small` (the input gradient, zero-filled).
  void walk_nearest(Tensor& small, Tensor& big, bool backward) const {
    const kernels::Spatial in = spatial3(spatial_dims(small.shape(), false), 1);
    const kernels::Spatial out = spatial3(spatial_dims(big.shape(), false), 1);
    const kernels::Spatial s = spatial3(size_, 1);
    const Dim c = small.shape().back();
    float* dst = big.data();
    for (Dim b = 0; b < small.dim(0); ++b)
      for (Dim z = 0; z < out[0]; ++z)
        for (Dim r = 0; r < out[1]; ++r)
          for (Dim w = 0; w < out[2]; ++w, dst += c) {
            float* src =
                small.data() + (((b * in[0] + z / s[0]) * in[1] + r / s[1]) * in[2] + w / s[2]) * c;
            for (Dim k = 0; k < c; ++k) backward ? void(src[k] += dst[k]) : void(dst[k] = src[k]);
          }
  }

  // TensorFlow's resize_bilinear with half-pixel centers (what Keras's
  // UpSampling2D calls): source = (o + 0.5) / size - 0.5, clamped neighbours.
  // Backward scatters each output gradient to the four neighbours with the
  // same weights.
  void walk_bilinear(Tensor& small, Tensor& big, bool backward) const {
    const Dim h = small.dim(1), w = small.dim(2), c = small.dim(3), oh = big.dim(1),
              ow = big.dim(2);
    struct Tap {
      Dim low, high;
      float lerp;
    };
    auto taps = [](Dim out_len, Dim in_len, Dim size) {
      std::vector<Tap> t(static_cast<std::size_t>(out_len));
      for (Dim o = 0; o < out_len; ++o) {
        const float src = (float(o) + 0.5f) / float(size) - 0.5f;
        const float floor = std::floor(src);
        t[o] = {std::max<Dim>(Dim(floor), 0), std::min<Dim>(Dim(std::ceil(src)), in_len - 1),
                src - floor};
      }
      return t;
    };
    const std::vector<Tap> ty = taps(oh, h, size_[0]), tx = taps(ow, w, size_[1]);
    float* dst = big.data();
    for (Dim b = 0; b < small.dim(0); ++b) {
      float* image = small.data() + b * h * w * c;
      for (Dim r = 0; r < oh; ++r)
        for (Dim q = 0; q < ow; ++q, dst += c) {
          float* tl = image + (ty[r].low * w + tx[q].low) * c;
          float* tr = image + (ty[r].low * w + tx[q].high) * c;
          float* bl = image + (ty[r].high * w + tx[q].low) * c;
          float* br = image + (ty[r].high * w + tx[q].high) * c;
          const float lx = tx[q].lerp, ly = ty[r].lerp;
          for (Dim k = 0; k < c; ++k) {
            if (backward) {
              const float g = dst[k];
              tl[k] += g * (1 - ly) * (1 - lx);
              tr[k] += g * (1 - ly) * lx;
              bl[k] += g * ly * (1 - lx);
              br[k] += g * ly * lx;
            } else {
              const float top = tl[k] + (tr[k] - tl[k]) * lx;
              const float bottom = bl[k] + (br[k] - bl[k]) * lx;
              dst[k] = top + (bottom - top) * ly;
            }
          }
        }
    }
  }

  std::size_t rank_;
  std::vector<Dim> size_;
  bool channels_first_ = false;
};

}  // namespace

void register_upsampling(LayerRegistry& r) {
  r.add({"UpSampling1D", upsampling_signature(1), make_ranked<UpSampling, 1>, {}});
  r.add({"UpSampling2D", upsampling_signature(2), make_ranked<UpSampling, 2>, {}});
  r.add({"UpSampling3D", upsampling_signature(3), make_ranked<UpSampling, 3>, {}});
}

}  // namespace stride::layers
