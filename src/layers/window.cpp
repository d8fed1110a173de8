#include "window.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace stride::layers {

std::vector<Dim> spatial_dims(const Shape& input, bool channels_first) {
  if (input.size() < 3) return {};
  return channels_first ? std::vector<Dim>(input.begin() + 2, input.end())
                        : std::vector<Dim>(input.begin() + 1, input.end() - 1);
}

Dim channel_dim(const Shape& input, bool channels_first) {
  return channels_first ? input.at(1) : input.back();
}

Shape make_shape(Dim batch, const std::vector<Dim>& spatial, Dim channels, bool channels_first) {
  Shape s{batch};
  if (channels_first) s.push_back(channels);
  s.insert(s.end(), spatial.begin(), spatial.end());
  if (!channels_first) s.push_back(channels);
  return s;
}

std::string axis_name(std::size_t axis, std::size_t rank) {
  static const char* const k1[] = {"length"};
  static const char* const k2[] = {"height", "width"};
  static const char* const k3[] = {"depth", "height", "width"};
  if (rank == 1) return k1[0];
  if (rank == 2) return k2[axis];
  if (rank == 3) return k3[axis];
  return fmt::format("axis {}", axis + 1);
}

std::string tuple_text(const std::vector<Dim>& v) {
  return shape_to_python(v);
}

Window pool_window(const Config& c, std::size_t rank) {
  Window window;
  window.what = "pool";
  window.kernel = c.int_tuple("pool_size", rank);
  if (c.is_null("strides")) {
    window.strides = window.kernel;  // strides=None means strides = pool_size
  } else {
    // Keras normalizes pool strides allowing 0 and leaves the zero to
    // TensorFlow's op, which rejects it; here it is an error up front.
    window.strides = c.int_tuple("strides", rank, /*min_value=*/0);
    for (Dim s : window.strides)
      if (s == 0)
        c.fail("strides", fmt::format("Stride must be > 0, but got 0. Received: strides={}",
                                      python_repr(c.json().at("strides"))));
  }
  window.dilation.assign(rank, 1);
  window.padding = c.padding("padding");
  return window;
}

std::vector<Dim> windowed_dims(const Layer& layer, const Shape& input, bool channels_first,
                               const Window& w) {
  const std::vector<Dim> in = spatial_dims(input, channels_first);
  std::vector<Dim> out;
  bool fits = true;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const Dim o = conv_output_length(in[i], w.kernel[i], w.padding, w.strides[i], w.dilation[i]);
    // A known input can give o = -1 (in=1, k=3), which is also kNone: test the input.
    if (in[i] != kNone && o <= 0) fits = false;
    out.push_back(o);
  }
  if (!fits) {
    std::vector<Dim> eff;
    bool dilated = false;
    for (std::size_t i = 0; i < in.size(); ++i) {
      eff.push_back(effective_kernel(w.kernel[i], w.dilation[i]));
      dilated = dilated || w.dilation[i] > 1;
    }
    std::string would;  // the spatial output sizes, negative ones included
    for (std::size_t i = 0; i < in.size(); ++i)
      would += (i ? "x" : "") + (in[i] == kNone ? std::string("None") : std::to_string(out[i]));
    layer.fail(fmt::format(
        "{} {}{} is larger than the input {} (input shape {}) with "
        "padding='valid': the output size would be {}",
        dilated ? std::string("dilated ") + w.what : std::string(w.what), dims_to_x(eff),
        dilated ? fmt::format(" (size {}, dilation {})", dims_to_x(w.kernel), dims_to_x(w.dilation))
                : std::string(),
        dims_to_x(in), shape_to_python(input), would));
  }
  return out;
}

namespace {

std::string plural(Dim n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// "2.5" for 5/2, "6" for 12/2.
std::string quotient(Dim num, Dim den) {
  if (num % den == 0) return std::to_string(num / den);
  return fmt::format("{:g}", static_cast<double>(num) / static_cast<double>(den));
}

}  // namespace

void explain_window(Explanation& out, const Shape& input, bool channels_first, const Window& win) {
  const std::vector<Dim> in = spatial_dims(input, channels_first);
  const std::size_t rank = in.size();
  for (std::size_t i = 0; i < rank; ++i) {
    const std::string axis = axis_name(i, rank);
    const char* unit =
        rank == 1 ? "step" : (axis == "width" ? "column" : (axis == "height" ? "row" : "plane"));
    if (in[i] == kNone) {
      out.add(fmt::format("{}: unknown (None) in, unknown out", axis));
      continue;
    }
    const WindowDim w =
        window_dim(in[i], win.kernel[i], win.padding, win.strides[i], win.dilation[i]);
    std::string k = std::to_string(w.kernel);
    if (w.dilation > 1) {
      out.add(fmt::format("{}: dilated {} = (k - 1) * d + 1 = ({} - 1) * {} + 1 = {}", axis,
                          win.what, w.kernel, w.dilation, w.k_eff));
      k = std::to_string(w.k_eff);
    }
    if (w.padding == Padding::kValid) {
      std::string line = fmt::format(
          "{}: padding='valid': out = floor((in - k) / s) + 1 = floor(({} - {}) / {}) + 1", axis,
          w.in, k, w.stride);
      if (w.exact) {
        line += fmt::format(" = {} + 1 = {}", quotient(w.numerator, w.stride), w.out);
      } else {
        line += fmt::format(" = floor({}) + 1 = {}", quotient(w.numerator, w.stride), w.out);
      }
      out.add(line);
      if (!w.exact)
        out.add(
            fmt::format("  ({} - {}) / {} = {} is rounded down: a window is only placed where "
                        "it fits entirely inside the input",
                        w.in, k, w.stride, quotient(w.numerator, w.stride)));
      // Positions count from 1: the last window starts at (out - 1) * s + 1.
      const Dim last_start = (w.out - 1) * w.stride + 1,
                last_end = (w.out - 1) * w.stride + w.k_eff;
      if (w.unreached > 0)
        out.add(fmt::format(
            "  the last {} of {} never reached by any window: the last window "
            "covers {}s {}..{}, so {} never read",
            plural(w.unreached, unit), w.in, unit, last_start, last_end,
            w.unreached == 1 ? fmt::format("{} {} is", unit, w.in)
                             : fmt::format("{}s {}..{} are", unit, last_end + 1, w.in)));
      else
        out.add(fmt::format("  every {} is read: the last window covers {}s {}..{}", unit, unit,
                            last_start, last_end));
    } else {
      const bool causal = w.padding == Padding::kCausal;
      std::string line = fmt::format("{}: padding='{}': out = ceil(in / s) = ceil({} / {})", axis,
                                     padding_name(w.padding), w.in, w.stride);
      line += w.exact ? fmt::format(" = {}", w.out)
                      : fmt::format(" = ceil({}) = {}", quotient(w.in, w.stride), w.out);
      out.add(line);
      if (!w.exact)
        out.add(
            fmt::format("  {} / {} = {} is rounded up: zero padding lets the last window "
                        "start inside the input",
                        w.in, w.stride, quotient(w.in, w.stride)));
      const char* before =
          rank == 1 ? "left" : (axis == "width" ? "left" : (axis == "height" ? "top" : "front"));
      const char* after =
          rank == 1 ? "right"
                    : (axis == "width" ? "right" : (axis == "height" ? "bottom" : "back"));
      if (causal) {
        out.add(
            fmt::format("  causal padding: (k - 1) * d = ({} - 1) * {} = {} zeros on the left, "
                        "none on the right",
                        w.kernel, w.dilation, w.pad.total));
      } else {
        out.add(
            fmt::format("  padding total = max((out - 1) * s + k - in, 0) = max(({} - 1) * {} + "
                        "{} - {}, 0) = {}",
                        w.out, w.stride, k, w.in, w.pad.total));
        if (w.pad.total > 0)
          out.add(
              fmt::format("  split: {} = {} // 2 = {}, {} = {} - {} = {}{}", before, w.pad.total,
                          w.pad.before, after, w.pad.total, w.pad.before, w.pad.after,
                          w.pad.total % 2 ? fmt::format(" (the odd {} goes to the {})", unit, after)
                                          : std::string()));
      }
    }
  }
}

// ---- ZeroPadding / Cropping amounts ----------------------------------------

namespace {

const char* ordinal(std::size_t i) {
  static const char* const k[] = {"1st", "2nd", "3rd"};
  return i < 3 ? k[i] : "nth";
}

// Keras's standardize_tuple(value, 2, name, allow_zero=True): an int or a
// tuple of 2 non-negative ints. `key` is the config argument the error is about.
SidePair standardize_pair(const Config& c, const std::string& key, const std::string& name,
                          const Json& v) {
  const std::string base = fmt::format(
      "The `{}` argument must be a tuple of 2 integers. "
      "Received {}={}",
      name, name, python_repr(v));
  std::vector<Dim> values;
  auto read = [&](const Json& e) {
    if (!e.is_number_integer())
      c.fail(key, fmt::format("{}, including element {} of type {}", base, python_repr(e),
                              python_type_name(e)));
    if (e.is_number_unsigned() && e.get<std::uint64_t>() > std::uint64_t(INT64_MAX))
      c.fail(key, fmt::format("{}, including a value too large: {}", base, e.dump()));
    values.push_back(e.get<std::int64_t>());
  };
  if (v.is_number_integer()) {
    read(v);
    values.push_back(values[0]);
  } else if (v.is_array() && v.size() == 2) {
    for (const Json& e : v) read(e);
  } else {
    c.fail(key, base);
  }
  std::vector<Dim> negative;
  for (Dim d : values)
    if (d < 0 && std::find(negative.begin(), negative.end(), d) == negative.end())
      negative.push_back(d);
  if (!negative.empty()) {
    std::string set;
    for (Dim d : negative) set += (set.empty() ? "" : ", ") + std::to_string(d);
    c.fail(key,
           fmt::format("{}, including values {{{}}} that do not satisfy `value >= 0`", base, set));
  }
  return {values[0], values[1]};
}

}  // namespace

std::vector<SidePair> side_pairs(const Config& c, const std::string& key, std::size_t rank) {
  const std::string verb = key == "cropping" ? "crop" : "pad";
  if (c.is_null(key))
    c.fail(key, fmt::format("`{}` must be an int or a tuple. Received: {}=None", key, key));
  const Json& v = c.json().at(key);
  if (rank == 1) return {standardize_pair(c, key, key, v)};
  if (v.is_number_integer()) {
    // Keras 3's Cropping2D/3D wording (its ZeroPadding2D/3D let a negative int through).
    if (!v.is_number_unsigned() && v.get<std::int64_t>() < 0)
      c.fail(key, fmt::format("`{}` cannot be negative. Received: {}={}.", key, key,
                              v.get<std::int64_t>()));
    return std::vector<SidePair>(rank, standardize_pair(c, key, key, v));
  }
  if (v.is_array()) {
    // Keras 3's texts: "two elements. Received: padding=..." (2D), "3 elements. Received: ..."
    // (3D).
    if (v.size() != rank)
      c.fail(key, fmt::format("`{}` should have {} elements. Received: {}{}.", key,
                              rank == 2 ? std::string("two") : std::to_string(rank),
                              rank == 2 ? key + "=" : std::string(), python_repr(v)));
    std::vector<SidePair> out;
    for (std::size_t i = 0; i < rank; ++i)
      out.push_back(standardize_pair(c, key, fmt::format("{} entry of {}", ordinal(i), key), v[i]));
    return out;
  }
  const std::string form =
      rank == 2 ? fmt::format(
                      "a tuple of 2 ints (symmetric_height_{0}, symmetric_width_{0}), or "
                      "a tuple of 2 tuples of 2 ints ((top_{0}, bottom_{0}), (left_{0}, "
                      "right_{0}))",
                      verb)
                : fmt::format(
                      "a tuple of 3 ints (symmetric_dim1_{0}, symmetric_dim2_{0}, "
                      "symmetric_dim3_{0}), or a tuple of 3 tuples of 2 ints "
                      "((left_dim1_{0}, right_dim1_{0}), (left_dim2_{0}, right_dim2_{0}), "
                      "(left_dim3_{0}, right_dim3_{0}))",
                      verb);
  c.fail(key, fmt::format("`{}` should be either an int, {}. Received: {}={}.", key, form, key,
                          python_repr(v)));
}

Json side_pairs_json(const std::vector<SidePair>& pairs) {
  if (pairs.size() == 1) return Json::array({pairs[0].before, pairs[0].after});
  Json out = Json::array();
  for (const SidePair& p : pairs) out.push_back(Json::array({p.before, p.after}));
  return out;
}

const char* side_before_name(std::size_t axis, std::size_t rank) {
  if (rank == 1) return "left";
  const std::string name = axis_name(axis, rank);
  return name == "height" ? "top" : name == "width" ? "left" : "front";
}

const char* side_after_name(std::size_t axis, std::size_t rank) {
  if (rank == 1) return "right";
  const std::string name = axis_name(axis, rank);
  return name == "height" ? "bottom" : name == "width" ? "right" : "back";
}

}  // namespace stride::layers
