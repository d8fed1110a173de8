// ZeroPadding1D/2D/3D (reference §1.7, §2.5): each spatial dim grows by the
// zeros added before and after it; None stays None. No weights.
#include <fmt/format.h>

#include "compute.hpp"
#include "families.hpp"
#include "window.hpp"

namespace stride::layers {

namespace {

Signature zero_padding_signature(std::size_t rank) {
  if (rank == 1) return {{"padding", 1}};
  Json pairs = Json::array();
  for (std::size_t i = 0; i < rank; ++i) pairs.push_back(Json::array({1, 1}));
  // Keras: ZeroPadding2D(padding=(1, 1)), ZeroPadding3D(padding=((1, 1), (1, 1), (1, 1))).
  return {{"padding", rank == 2 ? Json::array({1, 1}) : pairs}, {"data_format", nullptr}};
}

class ZeroPadding : public Layer {
 public:
  ZeroPadding(Config config, std::size_t rank) : Layer(std::move(config)), rank_(rank) {
    const Config& c = this->config();
    pads_ = side_pairs(c, "padding", rank);
    channels_first_ = rank > 1 && c.channels_first();
    Json& j = mutable_config();
    j["padding"] = side_pairs_json(pads_);
    if (rank > 1) j["data_format"] = channels_first_ ? "channels_first" : "channels_last";
  }

  Shape compute_output_shape(const Shape& input) const override {
    require_rank(input, rank_ + 2);
    std::vector<Dim> spatial = spatial_dims(input, channels_first_);
    for (std::size_t i = 0; i < rank_; ++i) {
      if (spatial[i] == kNone) continue;
      try {
        const std::string what = fmt::format("padded {}", axis_name(i, rank_));
        spatial[i] =
            checked_add(checked_add(spatial[i], pads_[i].before, what), pads_[i].after, what);
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
      if (in[i] == kNone) {
        out.add(fmt::format("{}: unknown (None) in, unknown out", axis));
        continue;
      }
      out.add(fmt::format("{}: {} + {} ({}) + {} ({}) = {}", axis, in[i], pads_[i].before,
                          side_before_name(i, rank_), pads_[i].after, side_after_name(i, rank_),
                          res[i]));
    }
    const Dim channels = channel_dim(input_shape(), channels_first_);
    out.add(fmt::format("channels: {} unchanged",
                        channels == kNone ? std::string("None") : std::to_string(channels)));
    out.add(param_arithmetic());
  }

 protected:
  Tensor forward(const Tensor& input, const CallOptions&) const override {
    return pad_spatial(input, pads_, channels_first_);
  }

 public:
  // The gradient is the output gradient with the padding cropped off.
  Tensor backward(const Tape&, const Tensor& output_grad, std::vector<Tensor>&,
                  ComputePath) const override {
    return crop_spatial(output_grad, pads_, channels_first_);
  }

 private:
  std::size_t rank_;
  std::vector<SidePair> pads_;
  bool channels_first_ = false;
};

}  // namespace

void register_zero_padding(LayerRegistry& r) {
  r.add({"ZeroPadding1D", zero_padding_signature(1), make_ranked<ZeroPadding, 1>, {}});
  r.add({"ZeroPadding2D", zero_padding_signature(2), make_ranked<ZeroPadding, 2>, {}});
  r.add({"ZeroPadding3D", zero_padding_signature(3), make_ranked<ZeroPadding, 3>, {}});
}

}  // namespace stride::layers
