// Layer arguments and configs. A layer call, whether written as a Keras line
// (`Conv2D(5, kernel_size=3)`) or read from Keras JSON, is bound against the
// layer's Signature into one ordered config, exactly as Keras's get_config()
// would list it. Layers then read typed, validated values from that config.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stride/error.hpp"
#include "stride/shape.hpp"

namespace stride {

// Config values: ints, floats, strings, bools, null, lists (tuples become
// lists, as in Keras JSON) and objects (nested initializer/regularizer
// configs). Key order is kept.
using Json = nlohmann::ordered_json;

// One argument as written at a call site.
struct Arg {
  std::string keyword;  // empty for a positional argument
  Json value;
  SourceLoc loc;
};

// A layer call: `Conv2D(5, kernel_size=3, activation='relu')`.
struct LayerCall {
  std::string class_name;  // as written, prefixes removed ("Conv2D", "MaxPool2D")
  std::vector<Arg> args;
  SourceLoc loc;  // of the class name
};

// One parameter of a layer constructor, in Keras's positional order.
struct Param {
  std::string name;
  Json default_value;     // used when the argument is omitted
  bool required = false;  // no default: must be given
};
using Signature = std::vector<Param>;

// Typed access to a bound config, with errors that name the layer and the
// argument. The getters convert Keras's accepted spellings (an int where a
// tuple is expected, a list or a tuple, ...).
class Config {
 public:
  Config(std::string class_name, Json json) : class_name_(std::move(class_name)), json_(std::move(json)) {}

  const std::string& class_name() const { return class_name_; }
  const Json& json() const { return json_; }
  Json& json() { return json_; }
  bool has(const std::string& key) const { return json_.contains(key); }
  bool is_null(const std::string& key) const;

  std::int64_t integer(const std::string& key) const;
  // A strictly positive integer (filters, units, ...).
  std::int64_t positive_integer(const std::string& key) const;
  double number(const std::string& key) const;
  bool boolean(const std::string& key) const;
  std::string string(const std::string& key) const;
  // An int or a tuple/list of exactly n ints. min_value bounds each element
  // (1 for kernel sizes and strides, 0 for paddings). An int is repeated n times.
  std::vector<Dim> int_tuple(const std::string& key, std::size_t n, Dim min_value = 1) const;
  // A list of ints of any length.
  std::vector<Dim> int_list(const std::string& key) const;
  // "valid" / "same" (and "causal" when allowed), case-insensitive.
  Padding padding(const std::string& key = "padding", bool allow_causal = false) const;
  // "channels_last" (default for None) or "channels_first"; returns true for channels_first.
  bool channels_first(const std::string& key = "data_format") const;
  // An activation name ("relu", None -> "linear"); validated against Keras's list.
  std::string activation(const std::string& key = "activation") const;

  // Throws an Error naming the layer, with the argument attached.
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  const Json& at(const std::string& key) const;
  std::string class_name_;
  Json json_;
};

// Python-like text of a config value: 3, 0.5, 'relu', (3, 3), None, True.
std::string python_repr(const Json& value);
// The name of a JSON value's type as a Python user would say it.
std::string python_type_name(const Json& value);

// Arguments every layer accepts (Keras's base Layer keyword arguments).
// name, trainable, dtype go first in the config; input_shape,
// batch_input_shape, batch_size and input_dim define the model input.
bool is_base_layer_keyword(const std::string& keyword);

}  // namespace stride
