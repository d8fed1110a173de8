// The registry of built-in layers and the binder that turns a call's
// arguments into a config, as Python would bind them to Keras's constructor.
#include <fmt/format.h>

#include <algorithm>

#include "families.hpp"
#include "stride/layer.hpp"

namespace stride {

const LayerRegistry& LayerRegistry::builtin() {
  static const LayerRegistry registry = [] {
    LayerRegistry r;
    layers::register_input(r);
    layers::register_conv(r);
    layers::register_conv_transpose(r);
    layers::register_depthwise_conv(r);
    layers::register_separable_conv(r);
    layers::register_pooling(r);
    layers::register_global_pooling(r);
    layers::register_dense(r);
    layers::register_reshaping(r);
    layers::register_dropout(r);
    layers::register_activation(r);
    layers::register_normalization(r);
    layers::register_zero_padding(r);
    layers::register_cropping(r);
    layers::register_upsampling(r);
    return r;
  }();
  return registry;
}

void LayerRegistry::add(LayerType type) {
  types_.push_back(std::move(type));
}

const LayerType* LayerRegistry::find(std::string_view name) const {
  for (const LayerType& t : types_) {
    if (t.class_name == name) return &t;
    for (const std::string& a : t.aliases)
      if (a == name) return &t;
  }
  return nullptr;
}

std::vector<std::string> LayerRegistry::class_names() const {
  std::vector<std::string> out;
  for (const LayerType& t : types_) out.push_back(t.class_name);
  return out;
}

namespace {

// Edit distance, for "did you mean" hints.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diag + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = 3;  // only close matches
  for (const std::string& c : candidates) {
    std::size_t d = distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", best);
}

Error located(Error e, const SourceLoc& loc) {
  e.set_loc_if_unknown(loc);
  return e;
}

// Base-layer keywords become Keras's own config keys.
void bind_base_keyword(const std::string& cls, const Arg& arg, Json& config) {
  const std::string& k = arg.keyword;
  const Json& v = arg.value;
  auto shape_of = [&](const Json& s) {
    if (!s.is_array()) {
      throw located(Error(fmt::format("{}: `{}` must be a tuple of dimensions. Received: {}={}",
                                      cls, k, k, python_repr(s))),
                    arg.loc);
    }
    for (const Json& d : s)
      if (!(d.is_null() || (d.is_number_integer() && d.get<std::int64_t>() > 0)))
        throw located(Error(fmt::format("{}: `{}` must hold positive integers or None. "
                                        "Received: {}={}",
                                        cls, k, k, python_repr(s))),
                      arg.loc);
    return s;
  };
  if (k == "name") {
    if (!v.is_string() || v.get<std::string>().empty())
      throw located(Error(fmt::format("{}: `name` must be a non-empty string. Received: name={}",
                                      cls, python_repr(v))),
                    arg.loc);
    config["name"] = v;
  } else if (k == "trainable" || k == "dynamic" || k == "autocast") {
    if (!v.is_boolean())
      throw located(Error(fmt::format("{}: `{}` must be True or False. Received: {}={}", cls, k, k,
                                      python_repr(v))),
                    arg.loc);
    config[k] = v;
  } else if (k == "dtype") {
    config["dtype"] = v;
  } else if (k == "input_shape") {
    Json batch = Json::array({nullptr});
    for (const Json& d : shape_of(v.is_number_integer() ? Json::array({v}) : v)) batch.push_back(d);
    if (config.contains("batch_input_shape") && !config["batch_input_shape"].empty() &&
        !config["batch_input_shape"][0].is_null())
      batch[0] = config["batch_input_shape"][0];
    config["batch_input_shape"] = batch;
  } else if (k == "batch_input_shape" || k == "batch_shape") {
    config["batch_input_shape"] = shape_of(v);
  } else if (k == "batch_size") {
    if (!(v.is_null() || (v.is_number_integer() && v.get<std::int64_t>() > 0)))
      throw located(Error(fmt::format("{}: `batch_size` must be a positive integer. Received: "
                                      "batch_size={}",
                                      cls, python_repr(v))),
                    arg.loc);
    if (config.contains("batch_input_shape")) config["batch_input_shape"][0] = v;
    config["batch_size"] = v;
  } else if (k == "input_dim") {
    Json batch = Json::array({nullptr});
    batch.push_back(shape_of(Json::array({v}))[0]);
    config["batch_input_shape"] = batch;
  } else {
    config[k] = v;  // input_length: kept
  }
}

std::unique_ptr<Layer> bind_call(const LayerType& type, const std::string& written_name,
                                 const std::vector<Arg>& args, const SourceLoc& loc) {
  const std::string& cls = type.class_name;
  Json config = Json::object();
  config["name"] = nullptr;
  config["trainable"] = true;
  config["dtype"] = "float32";
  std::vector<bool> given(type.signature.size(), false);
  std::vector<Json> values;
  for (const Param& p : type.signature) values.push_back(p.default_value);
  std::vector<SourceLoc> arg_loc(type.signature.size(), loc);
  std::size_t positional = 0;
  std::vector<Arg> base;  // applied after positional/keyword binding
  for (const Arg& a : args) {
    if (a.keyword.empty()) {
      if (positional >= type.signature.size())
        throw located(
            Error(fmt::format("{}: takes at most {} positional argument{}, got more", written_name,
                              type.signature.size(), type.signature.size() == 1 ? "" : "s")),
            a.loc);
      values[positional] = a.value;
      given[positional] = true;
      arg_loc[positional] = a.loc;
      ++positional;
      continue;
    }
    auto it = std::find_if(type.signature.begin(), type.signature.end(),
                           [&](const Param& p) { return p.name == a.keyword; });
    if (it == type.signature.end()) {
      if (is_base_layer_keyword(a.keyword)) {
        base.push_back(a);
        continue;
      }
      std::vector<std::string> names;
      for (const Param& p : type.signature) names.push_back(p.name);
      throw located(Error(fmt::format("{}: unknown argument `{}`{}", written_name, a.keyword,
                                      suggestion(a.keyword, names))),
                    a.loc);
    }
    const std::size_t i = static_cast<std::size_t>(it - type.signature.begin());
    if (given[i])
      throw located(
          Error(fmt::format("{}: got multiple values for argument `{}`", written_name, a.keyword)),
          a.loc);
    values[i] = a.value;
    given[i] = true;
    arg_loc[i] = a.loc;
  }
  for (const Arg& a : base) bind_base_keyword(cls, a, config);
  for (std::size_t i = 0; i < type.signature.size(); ++i) {
    if (type.signature[i].required && !given[i])
      throw located(Error(fmt::format("{}: missing required argument `{}`", written_name,
                                      type.signature[i].name)),
                    loc);
    config[type.signature[i].name] = values[i];
  }
  try {
    std::unique_ptr<Layer> layer = type.make(Config(cls, std::move(config)));
    layer->set_loc(loc);
    return layer;
  } catch (Error& e) {
    // Point at the argument the error is about, if the layer said which.
    SourceLoc where = loc;
    for (std::size_t i = 0; i < type.signature.size(); ++i)
      if (type.signature[i].name == e.argument() && given[i]) where = arg_loc[i];
    e.set_loc_if_unknown(where);
    throw;
  }
}

const LayerType& find_type(const std::string& name, const SourceLoc& loc) {
  const LayerRegistry& reg = LayerRegistry::builtin();
  if (const LayerType* t = reg.find(name)) return *t;
  throw Error(loc, fmt::format("unknown layer `{}`{}", name, suggestion(name, reg.class_names())));
}

}  // namespace

std::unique_ptr<Layer> make_layer(const LayerCall& call) {
  return bind_call(find_type(call.class_name, call.loc), call.class_name, call.args, call.loc);
}

std::unique_ptr<Layer> make_layer_from_config(const std::string& class_name, const Json& config,
                                              const SourceLoc& loc) {
  const LayerType& type = find_type(class_name, loc);
  if (!config.is_object())
    throw Error(loc, fmt::format("{}: `config` must be an object", class_name));
  std::vector<Arg> args;
  for (const auto& [k, v] : config.items()) args.push_back(Arg{k, v, loc});
  return bind_call(type, class_name, args, loc);
}

}  // namespace stride
