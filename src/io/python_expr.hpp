// Python expressions as they appear in Keras model code: literals, names,
// dotted names, calls, containers and integer/float arithmetic. Arithmetic on
// literals is folded while parsing, so the result is a small tree whose only
// unevaluated parts are names and calls; the Keras lines reader decides what
// those mean (a layer, a model, an initializer object, a variable).
#pragma once

#include <string>
#include <vector>

#include "python_lexer.hpp"
#include "stride/config.hpp"

namespace stride::python {

// Nesting deeper than this (brackets, unary operators, values built from
// variables) is an error, so no input can exhaust the stack.
inline constexpr int kMaxDepth = 64;

// An error that means "this is not something a model file can say" rather
// than a syntax error: an unknown name, a subscript, a call that is not a
// Keras object, an unsupported operator. Statements that are not layer code
// turn it into "not a Keras layer, model or literal assignment".
struct NotLiteral : Error {
  using Error::Error;
};

struct Value {
  enum Kind {
    kLiteral,   // json
    kName,      // path: `relu`, `tf.nn.relu` (not a variable)
    kLayerVar,  // path[0]: a variable bound to a layer (or a list of layers)
    kCall,      // path(args): keywords[i] is "" for positional args
    kList,      // items (a list or tuple with a non-literal element)
    kDict,      // keywords[i]: items[i]
  };
  Kind kind = kLiteral;
  Json json;
  std::vector<std::string> path;
  std::vector<Value> items;
  std::vector<std::string> keywords;
  std::vector<SourceLoc> arg_locs;  // kCall: the keyword, or the value when positional
  SourceLoc loc;                    // where the value starts
  SourceLoc name_loc;               // kName/kCall: the last path component
};

// What the parser needs to know about names defined by earlier statements.
class Scope {
 public:
  virtual ~Scope() = default;
  // The value of a literal variable, or nullptr.
  virtual const Json* literal(const std::string& name) const = 0;
  virtual bool is_layer_var(const std::string& name) const = 0;
  // Bound by `from module import name`: stands for itself (`relu`, `l2`).
  virtual bool is_imported(const std::string& name) const = 0;
};

// Parses one expression from tokens[pos] up to (not including) `end`,
// advancing pos past it.
Value parse_expression(const std::vector<Token>& tokens, std::size_t& pos, std::size_t end,
                       const Scope& scope, const std::string& file);

// The config value of an argument: literals as they are, dotted names as
// their last component (`tf.nn.relu` -> "relu"), calls of Keras objects as
// {"class_name": "HeNormal", "config": {...}}. Layers, models, unknown names
// and other calls throw (NotLiteral where it is not Keras code at all).
Json to_json(const Value& value, const Scope& scope);

// `keras.initializers.HeNormal()` is a Keras object; `np.zeros(3)` is not.
bool is_keras_object_call(const Value& call, const Scope& scope);

// "Conv2D(...)" / "x_train.astype(...)": how messages quote a call.
std::string call_text(const Value& call);

// he_normal -> HeNormal, l1_l2 -> L1L2: the Keras class behind a lowercase
// alias (a name with capitals is already a class name).
std::string class_of(const std::string& name);

}  // namespace stride::python
