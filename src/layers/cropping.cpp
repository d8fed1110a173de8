// Cropping1D/2D/3D (reference §1.7, §2.5): each spatial dim shrinks by what is
// cut before and after it; None stays None. Like Keras 3 (§5.4), a cropping
// that leaves nothing (<= 0) is an error; Keras 2 did not check. No weights.
#include <fmt/format.h>

#include "compute.hpp"
#include "families.hpp"
#include "window.hpp"

namespace stride::layers {

namespace {

Signature cropping_signature(std::size_t rank) {
  if (rank == 1) return {{"cropping", Json::array({1, 1})}};
  Json pairs = Json::array();
  for (std::size_t i = 0; i < rank; ++i)
    pairs.push_back(Json::array({rank == 2 ? 0 : 1, rank == 2 ? 0 : 1}));
  // Keras: Cropping2D(cropping=((0, 0), (0, 0))), Cropping3D(cropping=((1, 1), (1, 1), (1, 1))).
  return {{"cropping", pairs}, {"data_format", nullptr}};
}

// Python's text of the normalized cropping: (1, 1) or ((2, 2), (4, 4)).
std::string cropping_text(const std::vector<SidePair>& crops) {
  return python_repr(side_pairs_json(crops));
}

class Cropping : public Layer {
 public:
  Cropping(Config config, std::size_t rank) : Layer(std::move(config)), rank_(rank) {
    const Config& c = this->config();
    crops_ = side_pairs(c, "cropping", rank);
    channels_first_ = rank > 1 && c.channels_first();
    Json& j = mutable_config();
    j["cropping"] = side_pairs_json(crops_);
    if (rank > 1) j["data_format"] = channels_first_ ? "channels_first" : "channels_last";
  }

  Shape compute_output_shape(const Shape& input) const override {
    require_rank(input, rank_ + 2);
    std::vector<Dim> spatial = spatial_dims(input, channels_first_);
    for (std::size_t i = 0; i < rank_; ++i) {
      if (spatial[i] == kNone) continue;
      Dim cut = 0;
      try {
        cut = checked_add(crops_[i].before, crops_[i].after, "cropping");
      } catch (const Error& e) {
        fail(fmt::format("{}: input shape {}", e.what(), shape_to_python(input)));
      }
      if (cut >= spatial[i]) {
        // Keras 3's messages (cropping1d.py; cropping2d.py and cropping3d.py).
        if (rank_ == 1)
          fail(
              fmt::format("`cropping` parameter of `Cropping1D` layer must be smaller than the "
                          "input length. Received: input_shape={}, cropping={}",
                          shape_to_python(input), cropping_text(crops_)));
        fail(
            fmt::format("Values in `cropping` argument should be smaller than the corresponding "
                        "spatial dimension of the input. Received: input_shape={}, cropping={} "
                        "({}: {} - {} - {} = {})",
                        shape_to_python(input), cropping_text(crops_), axis_name(i, rank_),
                        spatial[i], crops_[i].before, crops_[i].after, spatial[i] - cut));
      }
      spatial[i] -= cut;
    }
    return make_shape(input[0], spatial, channel_dim(input, channels_first_), channels_first_);
  }

  void explain(Explanation& out) const override {
    const std::vector<Dim> in = spatial_dims(input_shape(), channels_first_);
    const std::vector<Dim> res = spatial_dims(output_shape(), channels_first_);
    for (std::size_t i = 0; i < rank_; ++i) {
      const std::string axis = axis_name(i, rank_);
      if (in[i] == kNone) {
        out.add(fmt::format("{}: unknown (None) in, unknown out", axis));
        continue;
      }
      out.add(fmt::format("{}: {} - {} ({}) - {} ({}) = {}", axis, in[i], crops_[i].before,
                          side_before_name(i, rank_), crops_[i].after, side_after_name(i, rank_),
                          res[i]));
    }
    const Dim channels = channel_dim(input_shape(), channels_first_);
    out.add(fmt::format("channels: {} unchanged",
                        channels == kNone ? std::string("None") : std::to_string(channels)));
    out.add(param_arithmetic());
  }

 protected:
  Tensor forward(const Tensor& input, const CallOptions&) const override {
    return crop_spatial(input, crops_, channels_first_);
  }

 public:
  // The gradient is the output gradient placed back, zeros where cropped.
  Tensor backward(const Tape&, const Tensor& output_grad, std::vector<Tensor>&,
                  ComputePath) const override {
    return pad_spatial(output_grad, crops_, channels_first_);
  }

 private:
  std::size_t rank_;
  std::vector<SidePair> crops_;
  bool channels_first_ = false;
};

}  // namespace

void register_cropping(LayerRegistry& r) {
  r.add({"Cropping1D", cropping_signature(1), make_ranked<Cropping, 1>, {}});
  r.add({"Cropping2D", cropping_signature(2), make_ranked<Cropping, 2>, {}});
  r.add({"Cropping3D", cropping_signature(3), make_ranked<Cropping, 3>, {}});
}

}  // namespace stride::layers
