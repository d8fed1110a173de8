// Typed, validated access to layer configs. Messages follow Keras's wording
// where Keras has one (reference §5.2), and always name the layer.
#include "stride/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace stride {

namespace {

const char* const kActivations[] = {
    "linear",      "relu",         "sigmoid",     "tanh",
    "softmax",     "elu",          "selu",        "softplus",
    "softsign",    "swish",        "silu",        "gelu",
    "exponential", "hard_sigmoid", "leaky_relu",  "relu6",
    "log_softmax", "mish",         "hard_silu",   "hard_swish",
    "celu",        "glu",          "log_sigmoid", "sparse_plus",
    "sparsemax",   "squareplus",   "tanh_shrink", "threshold",
    "soft_shrink", "hard_shrink",  "hard_tanh",   "gelu_approximate",
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string format_float(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  // Python's repr: shortest round-trip, with ".0" for integral values.
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string python_repr(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "None";
    case Json::value_t::boolean:
      return v.get<bool>() ? "True" : "False";
    case Json::value_t::number_integer:
      return std::to_string(v.get<std::int64_t>());
    case Json::value_t::number_unsigned:
      return std::to_string(v.get<std::uint64_t>());
    case Json::value_t::number_float:
      return format_float(v.get<double>());
    case Json::value_t::string: {
      std::string s = "'";
      for (char c : v.get_ref<const std::string&>()) {
        if (c == '\'' || c == '\\') s += '\\';
        s += c;
      }
      return s + "'";
    }
    case Json::value_t::array: {
      std::string s = "(";
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) s += ", ";
        s += python_repr(v[i]);
      }
      return s + (v.size() == 1 ? ",)" : ")");
    }
    case Json::value_t::object: {
      std::string s = "{";
      bool first = true;
      for (const auto& [k, x] : v.items()) {
        if (!first) s += ", ";
        first = false;
        s += "'" + k + "': " + python_repr(x);
      }
      return s + "}";
    }
    default:
      return "?";
  }
}

std::string python_type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "None";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "int";
    case Json::value_t::number_float:
      return "float";
    case Json::value_t::string:
      return "str";
    case Json::value_t::array:
      return "tuple";
    case Json::value_t::object:
      return "dict";
    default:
      return "value";
  }
}

bool is_base_layer_keyword(const std::string& k) {
  static const char* const kBase[] = {
      "name",      "trainable",   "dtype",   "input_shape", "batch_input_shape", "batch_size",
      "input_dim", "batch_shape", "dynamic", "autocast",    "input_length"};
  return std::find(std::begin(kBase), std::end(kBase), k) != std::end(kBase);
}

void Config::fail(const std::string& key, const std::string& message) const {
  throw Error(class_name_ + ": " + message).with_argument(key);
}

const Json& Config::at(const std::string& key) const {
  auto it = json_.find(key);
  if (it == json_.end()) fail(key, fmt::format("missing argument `{}`", key));
  return *it;
}

bool Config::is_null(const std::string& key) const {
  auto it = json_.find(key);
  return it == json_.end() || it->is_null();
}

std::int64_t Config::integer(const std::string& key) const {
  const Json& v = at(key);
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(INT64_MAX))
      fail(key, fmt::format("argument `{}` is too large: {}", key, v.dump()));
    return v.get<std::int64_t>();
  }
  fail(key, fmt::format("argument `{}` must be an integer. Received: {}={} (of type {})", key, key,
                        python_repr(v), python_type_name(v)));
}

std::int64_t Config::positive_integer(const std::string& key) const {
  const std::int64_t v = integer(key);
  if (v <= 0)
    fail(key, fmt::format("Invalid value for argument `{}`. Expected a strictly positive value. "
                          "Received {}={}.",
                          key, key, v));
  return v;
}

double Config::number(const std::string& key) const {
  const Json& v = at(key);
  if (v.is_number() && !v.is_boolean()) return v.get<double>();
  fail(key, fmt::format("argument `{}` must be a number. Received: {}={} (of type {})", key, key,
                        python_repr(v), python_type_name(v)));
}

bool Config::boolean(const std::string& key) const {
  const Json& v = at(key);
  if (v.is_boolean()) return v.get<bool>();
  fail(key, fmt::format("argument `{}` must be True or False. Received: {}={} (of type {})", key,
                        key, python_repr(v), python_type_name(v)));
}

std::string Config::string(const std::string& key) const {
  const Json& v = at(key);
  if (v.is_string()) return v.get<std::string>();
  fail(key, fmt::format("argument `{}` must be a string. Received: {}={} (of type {})", key, key,
                        python_repr(v), python_type_name(v)));
}

std::vector<Dim> Config::int_tuple(const std::string& key, std::size_t n, Dim min_value) const {
  const Json& v = at(key);
  std::vector<Dim> out;
  if (v.is_number_integer()) {
    out.assign(n, v.get<std::int64_t>());
  } else if (v.is_array()) {
    if (v.size() != n)
      fail(key, fmt::format("The `{}` argument must be a tuple of {} integers. Received {}={}", key,
                            n, key, python_repr(v)));
    for (const Json& e : v) {
      if (!e.is_number_integer())
        fail(key, fmt::format("The `{}` argument must be a tuple of {} integers. Received {}={}, "
                              "including {} (of type {})",
                              key, n, key, python_repr(v), python_repr(e), python_type_name(e)));
      out.push_back(e.get<std::int64_t>());
    }
  } else {
    fail(key, fmt::format("The `{}` argument must be a tuple of {} integers. Received {}={} (of "
                          "type {})",
                          key, n, key, python_repr(v), python_type_name(v)));
  }
  for (Dim d : out) {
    if (d < min_value)
      fail(key, fmt::format("The `{}` argument must be a tuple of {} integers. Received {}={}, "
                            "including values that do not satisfy `value {} {}`",
                            key, n, key, python_repr(v), min_value == 0 ? ">=" : ">",
                            min_value == 0 ? 0 : min_value - 1));
  }
  return out;
}

std::vector<Dim> Config::int_list(const std::string& key) const {
  const Json& v = at(key);
  if (v.is_number_integer()) return {v.get<std::int64_t>()};
  if (!v.is_array())
    fail(key, fmt::format("argument `{}` must be a tuple of integers. Received: {}={}", key, key,
                          python_repr(v)));
  std::vector<Dim> out;
  for (const Json& e : v) {
    if (!e.is_number_integer())
      fail(key, fmt::format("argument `{}` must be a tuple of integers. Received: {}={}", key, key,
                            python_repr(v)));
    out.push_back(e.get<std::int64_t>());
  }
  return out;
}

Padding Config::padding(const std::string& key, bool allow_causal) const {
  const Json& v = at(key);
  const std::string allowed = allow_causal ? "'valid', 'same' or 'causal'" : "'valid' or 'same'";
  if (!v.is_string())
    fail(key, fmt::format("The `{}` argument must be one of {}. Received: {}={}", key, allowed, key,
                          python_repr(v)));
  const std::string p = lower(v.get<std::string>());
  if (p == "valid") return Padding::kValid;
  if (p == "same") return Padding::kSame;
  if (p == "causal" && allow_causal) return Padding::kCausal;
  if (p == "causal")
    fail(key, "Causal padding is only supported for `Conv1D` and `SeparableConv1D`.");
  fail(key, fmt::format("The `{}` argument must be one of {}. Received: {}={}", key, allowed, key,
                        python_repr(v)));
}

bool Config::channels_first(const std::string& key) const {
  if (is_null(key)) return false;
  const Json& v = at(key);
  const std::string f = v.is_string() ? lower(v.get<std::string>()) : std::string();
  if (f == "channels_last") return false;
  if (f == "channels_first") return true;
  fail(key, fmt::format("The `data_format` argument must be one of 'channels_first', "
                        "'channels_last'. Received: data_format={}",
                        python_repr(v)));
}

std::string Config::activation(const std::string& key) const {
  if (is_null(key)) return "linear";
  const Json& v = at(key);
  if (!v.is_string())
    fail(key, fmt::format("argument `{}` must be the name of an activation. Received: {}={}", key,
                          key, python_repr(v)));
  const std::string a = v.get<std::string>();
  if (std::find(std::begin(kActivations), std::end(kActivations), a) == std::end(kActivations))
    fail(key, fmt::format("Unknown activation function: '{}'", a));
  return a;
}

}  // namespace stride
