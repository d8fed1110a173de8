// Keras lines: a Sequential model read from the Python code that builds it,
// as pasted from a script or notebook. Statements are recognized by their
// shape: imports, literal assignments, a keras.Sequential([...]) definition,
// model.add(...), layer calls on lines of their own, and calls on the model
// (summary, compile, fit, ...) or print(...) that are skipped unparsed.
// Anything else is an error naming its line.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "python_expr.hpp"
#include "python_lexer.hpp"
#include "stride/model.hpp"

namespace stride {

namespace {

using python::NotLiteral;
using python::Tok;
using python::Token;
using python::Value;

// Module components whose calls build Keras objects used as argument values.
bool is_object_module(const std::string& p) {
  static const char* const kModules[] = {"initializers", "regularizers", "constraints",
                                         "activations",  "optimizers",   "losses",
                                         "metrics",      "schedules",    "callbacks"};
  return std::find(std::begin(kModules), std::end(kModules), p) != std::end(kModules);
}

// Methods of a Keras model that do not change its architecture.
bool is_model_method(const std::string& m) {
  static const char* const kMethods[] = {"summary",
                                         "compile",
                                         "fit",
                                         "evaluate",
                                         "predict",
                                         "save",
                                         "save_weights",
                                         "load_weights",
                                         "to_json",
                                         "get_config",
                                         "count_params",
                                         "fit_generator",
                                         "train_on_batch",
                                         "test_on_batch",
                                         "predict_on_batch",
                                         "get_layer",
                                         "get_weights",
                                         "set_weights",
                                         "export",
                                         "evaluate_generator",
                                         "predict_generator",
                                         "reset_states",
                                         "add"};
  return std::find(std::begin(kMethods), std::end(kMethods), m) != std::end(kMethods);
}

// Calls that neither define nor change the model, skipped like model.fit.
bool is_skipped_function(const std::vector<std::string>& path) {
  const std::string& last = path.back();
  if (path.size() == 1 && last == "print") return true;
  return last == "plot_model" || last == "set_seed" || last == "set_random_seed" ||
         last == "clear_session";
}

class Reader : public python::Scope {
 public:
  Reader(std::string_view text, const std::string& file)
      : text_(text), file_(file), t_(python::tokenize(text, file)) {}

  Sequential read() {
    for (std::size_t b = 0; t_[b].kind != Tok::kEnd;) {
      std::size_t e = b;
      while (t_[e].kind != Tok::kNewline) ++e;  // tokenize() ends every line with one
      statement(b, e);
      b = e + 1;
    }
    if (!model_)
      throw Error(SourceLoc{file_, 1, 1},
                  "no layers found: expected Keras layer calls (keras.Sequential([...]), "
                  "model.add(...) or one layer call per line)");
    if (model_->layers().empty()) throw Error(model_loc_, "no layers found in the model");
    return std::move(*model_);
  }

  LayerCall single_call() {
    if (t_[0].kind == Tok::kEnd)
      throw Error(SourceLoc{file_, 1, 1},
                  "expected a layer call such as \"MaxPooling2D(2, strides=2)\"");
    std::size_t e = 0;
    while (t_[e].kind != Tok::kNewline) ++e;
    if (t_[e + 1].kind != Tok::kEnd) throw Error(loc(t_[e + 1]), "expected a single layer call");
    const Value v = parse_all(0, e);
    if (v.kind != Value::kCall || v.path.back() == "Sequential" || v.path.back() == "Model")
      throw Error(v.loc, "expected a layer call such as \"MaxPooling2D(2, strides=2)\"");
    return layer_call(v);
  }

  // python::Scope
  const Json* literal(const std::string& name) const override {
    auto it = vars_.find(name);
    return it != vars_.end() && !it->second.layers ? &it->second.literal : nullptr;
  }
  bool is_layer_var(const std::string& name) const override {
    auto it = vars_.find(name);
    return it != vars_.end() && it->second.layers.has_value();
  }
  bool is_imported(const std::string& name) const override { return imported_.count(name) > 0; }

 private:
  struct Var {
    Json literal;
    std::optional<Value> layers;  // a layer call, or a list of them
    int added_at_line = 0;        // for a layer: where it went into the model
  };

  SourceLoc loc(const Token& t) const { return SourceLoc{file_, t.line, t.col}; }
  bool is_op(std::size_t i, const char* op) const {
    return t_[i].kind == Tok::kOp && t_[i].text == op;
  }

  void statement(std::size_t b, std::size_t e) {
    const Token& first = t_[b];
    if (std::all_of(t_.begin() + b, t_.begin() + e,
                    [](const Token& t) { return t.kind == Tok::kString; }))
      return;  // a docstring
    if (first.kind == Tok::kName && (first.text == "import" || first.text == "from"))
      return import_statement(b, e);
    std::string target;
    std::size_t head = b;
    if (first.kind == Tok::kName && is_op(b + 1, "=")) {
      if (first.text == "None" || first.text == "True" || first.text == "False")
        not_model_code(b, e);
      target = first.text;
      head = b + 2;
    } else if (assigns(b, e)) {
      not_model_code(b, e);
    }
    std::vector<std::string> path;
    std::size_t after = head;
    while (t_[after].kind == Tok::kName && (path.empty() || is_op(after - 1, "."))) {
      path.push_back(t_[after].text);
      after += is_op(after + 1, ".") ? 2 : 1;
    }
    if (!path.empty() && after < e && is_op(after - 1, ".")) path.clear();  // `a.` then junk
    const bool call = !path.empty() && is_op(after, "(");
    if (call && path.size() >= 2 && is_model(path[0], path[1]))
      return model_method(path, b, head, e);
    if (call && is_skipped_function(path)) return;
    if (!call || !is_layer_or_model(path)) {
      if (target.empty()) not_model_code(b, e);
      return literal_assignment(target, b, head, e);
    }
    Value v = parse_all(head, e);
    if (v.kind != Value::kCall) not_model_code(b, e);
    const std::string& last = v.path.back();
    if (last == "Sequential") return define_model(v, target);
    if (last == "Model" || last == "Functional")
      throw Error(v.name_loc, fmt::format("only Sequential models are supported: `{}` is Keras's "
                                          "functional API",
                                          python::call_text(v)));
    if (!target.empty()) {
      vars_[target] = Var{Json(), std::move(v), 0};
      return;
    }
    if (!model_) {
      model_.emplace("sequential");
      model_loc_ = v.name_loc;
      bare_ = true;
    } else if (!bare_) {
      throw Error(v.name_loc,
                  fmt::format("a layer call on a line of its own, but the model is "
                              "defined at line {}: add the layer with {}.add(...) or "
                              "in the Sequential list",
                              model_loc_.line, model_var_.empty() ? "model" : model_var_));
    }
    add_layer(v);
  }

  // `a, b = ...`, `model.trainable = False`, `x += 1`, `x: int = 3`.
  bool assigns(std::size_t b, std::size_t e) const {
    int depth = 0;
    for (std::size_t i = b; i < e; ++i) {
      if (t_[i].kind != Tok::kOp) continue;
      const std::string& op = t_[i].text;
      if (op == "(" || op == "[" || op == "{")
        ++depth;
      else if (op == ")" || op == "]" || op == "}")
        --depth;
      else if (depth == 0 && (op == "=" || op == ":" ||
                              (op.size() >= 2 && op.back() == '=' && op != "==" && op != "!=" &&
                               op != "<=" && op != ">=")))
        return true;
    }
    return false;
  }

  // Whether `root.method(...)` is a call on the model. Without a model
  // variable (bare layer lines, an unassigned Sequential, or no model yet), a
  // name that is nothing else and a Keras model method make it one.
  bool is_model(const std::string& root, const std::string& method) {
    if (!model_var_.empty()) return root == model_var_;
    if (vars_.count(root) || imported_.count(root) || !is_model_method(method)) return false;
    if (model_) model_var_ = root;
    return true;
  }

  // A layer class (registered, or written like one) or a model class.
  bool is_layer_or_model(const std::vector<std::string>& path) const {
    const std::string& last = path.back();
    if (last == "Sequential" || last == "Model" || last == "Functional") return true;
    if (LayerRegistry::builtin().find(last)) return true;
    if (path.size() == 1 && is_imported(last)) return false;
    if (std::any_of(path.begin(), path.end(), is_object_module)) return false;
    if (std::find(path.begin(), path.end(), "layers") != path.end()) return true;
    return last[0] >= 'A' && last[0] <= 'Z';
  }

  [[noreturn]] void not_model_code(std::size_t b, std::size_t e) const {
    // Quote the statement's first line, shortened.
    std::size_t from = t_[b].offset, to = from;
    while (to < text_.size() && text_[to] != '\n' && text_[to] != '\r' && to - from < 48) ++to;
    while (to > from && to < text_.size() && (static_cast<unsigned char>(text_[to]) & 0xC0) == 0x80)
      --to;  // not inside a UTF-8 sequence
    std::string quoted(text_.substr(from, to - from));
    while (!quoted.empty() && (quoted.back() == ' ' || quoted.back() == '\t')) quoted.pop_back();
    if (t_[e].offset > to) quoted += " ...";
    throw Error(loc(t_[b]),
                fmt::format("`{}`: not a Keras layer, model or literal assignment", quoted));
  }

  // One expression up to the end of the statement. With `tuple`, a bare
  // comma-separated list (`input_shape = 28, 28, 1`) is a tuple.
  Value parse_all(std::size_t head, std::size_t e, bool tuple = false) {
    std::size_t pos = head;
    Value v = python::parse_expression(t_, pos, e, *this, file_);
    if (tuple && pos < e && is_op(pos, ",")) {
      Value list;
      list.kind = Value::kList;
      list.loc = v.loc;
      list.items.push_back(std::move(v));
      while (pos < e && is_op(pos, ",")) {
        if (++pos == e) break;
        list.items.push_back(python::parse_expression(t_, pos, e, *this, file_));
      }
      v = std::move(list);
    }
    if (pos < e) {
      const Token& t = t_[pos];
      if (t.kind == Tok::kOp && t.text != "=" && t.text != "," && t.text != ")")
        throw NotLiteral(loc(t), fmt::format("unsupported syntax '{}'", t.text));
      throw Error(loc(t), fmt::format("unexpected {} after the end of the expression",
                                      t.kind == Tok::kString ? "string" : "'" + t.text + "'"));
    }
    return v;
  }

  void import_statement(std::size_t b, std::size_t e) {
    std::size_t i = b + 1;
    if (t_[b].text == "from") {
      while (i < e && !(t_[i].kind == Tok::kName && t_[i].text == "import")) ++i;
      if (i == e) throw Error(loc(t_[b]), "`from` without `import`");
      ++i;
    }
    for (; i < e; ++i) {
      const Token& t = t_[i];
      if (t.kind == Tok::kName) {
        if (t.text != "as" && t_[b].text == "from" && !(i + 1 < e && t_[i + 1].text == "as"))
          imported_.insert(t.text);
        if (t.text == "as" && i + 1 < e && t_[b].text == "from")
          imported_.insert(t_[i + 1].text), ++i;
      } else if (!(t.kind == Tok::kOp && (t.text == "." || t.text == "," || t.text == "(" ||
                                          t.text == ")" || t.text == "*"))) {
        throw Error(loc(t), "unexpected token in an import statement");
      }
    }
  }

  void literal_assignment(const std::string& target, std::size_t b, std::size_t head,
                          std::size_t e) {
    try {
      Value v = parse_all(head, e, /*tuple=*/true);
      const bool layer_list = v.kind == Value::kList && !v.items.empty() &&
                              std::all_of(v.items.begin(), v.items.end(), [&](const Value& x) {
                                return x.kind == Value::kLayerVar ||
                                       (x.kind == Value::kCall && is_layer_or_model(x.path));
                              });
      if (layer_list)
        vars_[target] = Var{Json(), std::move(v), 0};
      else
        vars_[target] = Var{python::to_json(v, *this), std::nullopt, 0};
    } catch (const NotLiteral&) {
      not_model_code(b, e);
    }
  }

  void model_method(const std::vector<std::string>& path, std::size_t b, std::size_t head,
                    std::size_t e) {
    const std::string& method = path[1];
    if (path.size() > 2 || (method != "add" && method != "pop" && method != "build")) return;
    if (method == "pop")
      throw Error(loc(t_[head + 2]), "model.pop() is not supported: leave the layer out instead");
    const Value v = parse_all(head, e);
    if (v.kind != Value::kCall) not_model_code(b, e);
    const std::string what = path[0] + "." + method + "()";
    if (v.items.size() != 1)
      throw Error(v.name_loc,
                  fmt::format("{} takes exactly one argument ({} given)", what, v.items.size()));
    if (method == "build") return build_input(v.items[0], what);
    if (!model_) {  // `model.add(...)` lines without `model = Sequential()`
      model_.emplace("sequential");
      model_var_ = path[0];
      model_loc_ = loc(t_[head]);
    }
    add_layer(v.items[0]);
  }

  void build_input(const Value& arg, const std::string& what) {
    if (!model_) throw Error(arg.loc, fmt::format("{}: there is no model to build", what));
    const Json shape = python::to_json(arg, *this);
    bool ok = shape.is_array() && shape.size() >= 2;
    for (std::size_t i = 0; ok && i < shape.size(); ++i)
      ok = shape[i].is_null() || (shape[i].is_number_integer() && shape[i].get<Dim>() > 0);
    if (!ok)
      throw Error(arg.loc, fmt::format("{}: the input shape must be a tuple of positive integers "
                                       "or None, batch dimension first, e.g. (None, 28, 28, 1). "
                                       "Received: {}",
                                       what, python_repr(shape)));
    std::vector<Dim> dims;
    for (std::size_t i = 1; i < shape.size(); ++i)
      dims.push_back(shape[i].is_null() ? kNone : shape[i].get<Dim>());
    const Dim batch = shape[0].is_null() ? kNone : shape[0].get<Dim>();
    if (model_->has_input()) {
      Shape full{batch};
      full.insert(full.end(), dims.begin(), dims.end());
      if (full != model_->input_shape())
        throw Error(arg.loc, fmt::format("{}: the model's input shape is already {}", what,
                                         shape_to_python(model_->input_shape())));
      return;
    }
    model_->input(dims, batch);
  }

  void define_model(const Value& v, const std::string& target) {
    if (model_)
      throw Error(v.name_loc, fmt::format("a second model in one file (the first is defined at "
                                          "line {}); a model file holds one Sequential model",
                                          model_loc_.line));
    std::optional<Value> layers;
    std::string name = "sequential";
    std::size_t positional = 0;
    for (std::size_t i = 0; i < v.items.size(); ++i) {
      std::string key = v.keywords[i];
      if (key.empty()) {
        if (positional >= 2)
          throw Error(v.arg_locs[i],
                      "Sequential: takes at most 2 positional arguments (layers, name)");
        key = positional++ == 0 ? "layers" : "name";
      }
      if (key == "layers") {
        layers = v.items[i];
      } else if (key == "name") {
        const Json n = python::to_json(v.items[i], *this);
        if (!n.is_string() || n.get<std::string>().empty())
          throw Error(v.arg_locs[i], fmt::format("Sequential: `name` must be a non-empty string. "
                                                 "Received: name={}",
                                                 python_repr(n)));
        name = n.get<std::string>();
      } else if (key == "trainable") {
        if (!python::to_json(v.items[i], *this).is_boolean())
          throw Error(v.arg_locs[i], "Sequential: `trainable` must be True or False");
      } else {
        throw Error(v.arg_locs[i], fmt::format("Sequential: unknown argument `{}`", key));
      }
    }
    model_.emplace(name);
    model_var_ = target;
    model_loc_ = v.name_loc;
    if (!layers) return;
    const Value* list = &*layers;
    if (list->kind == Value::kLayerVar && vars_[list->path[0]].layers->kind == Value::kList)
      list = &*vars_[list->path[0]].layers;
    if (list->kind == Value::kList) {
      for (const Value& item : list->items) add_layer(item);
      return;
    }
    const Json j = python::to_json(*list, *this);
    if (!(j.is_null() || (j.is_array() && j.empty())))
      throw Error(list->loc, fmt::format("Sequential: `layers` must be a list of layers. "
                                         "Received: layers={}",
                                         python_repr(j)));
  }

  void add_layer(const Value& v) {
    if (v.kind == Value::kLayerVar) {
      Var& var = vars_[v.path[0]];
      if (var.layers->kind != Value::kCall)
        throw Error(v.loc, fmt::format("`{}` is a list; expected one layer", v.path[0]));
      if (var.added_at_line)
        throw Error(v.loc, fmt::format("layer `{}` is already in the model (added at line {})",
                                       v.path[0], var.added_at_line));
      var.added_at_line = v.loc.line;
      return add_layer(*var.layers);
    }
    if (v.kind != Value::kCall) {
      const Json j = python::to_json(v, *this);  // throws for unknown names
      throw Error(v.loc, fmt::format("expected a layer, got {}", python_repr(j)));
    }
    const std::string& last = v.path.back();
    if (last == "Sequential" || last == "Model" || last == "Functional")
      throw Error(v.name_loc, "nested models are not supported: add the layers themselves");
    const LayerCall call = layer_call(v);
    try {
      model_->add(make_layer(call));
    } catch (Error& e) {
      e.set_loc_if_unknown(call.loc);
      throw;
    }
  }

  LayerCall layer_call(const Value& v) const {
    LayerCall call;
    call.class_name = v.path.back();
    call.loc = v.name_loc;
    for (std::size_t i = 0; i < v.items.size(); ++i)
      call.args.push_back(Arg{v.keywords[i], python::to_json(v.items[i], *this), v.arg_locs[i]});
    return call;
  }

  std::string_view text_;
  const std::string& file_;
  std::vector<Token> t_;
  std::map<std::string, Var> vars_;
  std::set<std::string> imported_;
  std::optional<Sequential> model_;
  std::string model_var_;  // empty for `keras.Sequential([...])` on its own or bare layer lines
  SourceLoc model_loc_;
  bool bare_ = false;  // the model is made of layer calls on lines of their own
};

}  // namespace

LayerCall parse_layer_call(std::string_view text, const std::string& file) {
  return Reader(text, file).single_call();
}

Sequential read_keras_lines(std::string_view text, const std::string& file) {
  return Reader(text, file).read();
}

}  // namespace stride
