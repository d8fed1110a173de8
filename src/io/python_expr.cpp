// Expression parsing and literal evaluation for the Keras lines reader.
#include "python_expr.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "stride/layer.hpp"

namespace stride::python {

namespace {

// Limits on values built from variables (`a = a + a` on every line).
constexpr std::size_t kMaxNodes = 1 << 16;
constexpr std::size_t kMaxStringBytes = 1 << 20;

bool is_python_keyword(const std::string& s) {
  static const char* const kKeywords[] = {
      "and",    "as",   "assert", "async",  "await",  "break",   "class",    "continue",
      "def",    "del",  "elif",   "else",   "except", "finally", "for",      "from",
      "global", "if",   "import", "in",     "is",     "lambda",  "nonlocal", "not",
      "or",     "pass", "raise",  "return", "try",    "while",   "with",     "yield"};
  return std::find(std::begin(kKeywords), std::end(kKeywords), s) != std::end(kKeywords);
}

// Valid Python operators the reader has no use for.
bool is_unsupported_operator(const std::string& op) {
  static const char* const kOps[] = {
      "==", "!=", "<",  ">",  "<=",  ">=", "<<",  ">>", "&",  "|",  "^",  "@",   ":=",  "->", ":",
      "+=", "-=", "*=", "/=", "//=", "%=", "**=", "&=", "|=", "^=", "@=", ">>=", "<<=", "..."};
  return std::find(std::begin(kOps), std::end(kOps), op) != std::end(kOps);
}

std::string token_text(const Token& t) {
  switch (t.kind) {
    case Tok::kNewline:
      return "end of line";
    case Tok::kEnd:
      return "end of file";
    case Tok::kString:
      return "string " + python_repr(Json(t.text));
    default:
      return "'" + t.text + "'";
  }
}

// Depth and size of a value, so that nothing built from variables can grow
// without bound.
void measure(const Json& v, const SourceLoc& loc, int depth, std::size_t& nodes) {
  if (depth > kMaxDepth)
    throw Error(loc, fmt::format("value nested too deeply (more than {} levels)", kMaxDepth));
  if (++nodes > kMaxNodes)
    throw Error(loc, fmt::format("value too large (more than {} elements)", kMaxNodes));
  if (v.is_string() && v.get_ref<const std::string&>().size() > kMaxStringBytes)
    throw Error(loc, "string value too long");
  if (v.is_structured())
    for (const Json& e : v) measure(e, loc, depth + 1, nodes);
}

Json checked(Json v, const SourceLoc& loc) {
  std::size_t nodes = 0;
  measure(v, loc, 0, nodes);
  return v;
}

Value literal(Json v, SourceLoc loc) {
  Value out;
  out.kind = Value::kLiteral;
  out.json = std::move(v);
  out.loc = std::move(loc);
  return out;
}

bool is_int(const Json& v) {
  return v.is_number_integer();
}
bool is_num(const Json& v) {
  return v.is_number() && !v.is_boolean();
}

[[noreturn]] void operand_error(const std::string& op, const Json& a, const Json& b,
                                const SourceLoc& loc) {
  throw Error(loc, fmt::format("unsupported operand type(s) for {}: '{}' and '{}'", op,
                               python_type_name(a), python_type_name(b)));
}

Json int_op(const std::string& op, std::int64_t a, std::int64_t b, const SourceLoc& loc) {
  std::int64_t r = 0;
  bool overflow = false;
  if (op == "+")
    overflow = __builtin_add_overflow(a, b, &r);
  else if (op == "-")
    overflow = __builtin_sub_overflow(a, b, &r);
  else if (op == "*")
    overflow = __builtin_mul_overflow(a, b, &r);
  else if (op == "/") {
    if (b == 0) throw Error(loc, "division by zero");
    return static_cast<double>(a) / static_cast<double>(b);
  } else if (op == "//" || op == "%") {
    if (b == 0) throw Error(loc, "integer division or modulo by zero");
    if (a == INT64_MIN && b == -1)
      overflow = true;
    else {
      r = op == "//" ? floor_div(a, b) : a - floor_div(a, b) * b;
    }
  } else if (op == "**") {
    if (b < 0) return std::pow(static_cast<double>(a), static_cast<double>(b));
    r = 1;
    std::int64_t base = a;
    for (std::int64_t e = b; e > 0 && !overflow; e >>= 1) {
      if (e & 1) overflow = __builtin_mul_overflow(r, base, &r);
      if (e > 1 && !overflow) overflow = __builtin_mul_overflow(base, base, &base);
    }
  }
  if (overflow)
    throw Error(loc, fmt::format("integer overflow in {} {} {} (beyond 64 bits)", a, op, b));
  return r;
}

Json float_op(const std::string& op, double a, double b, const SourceLoc& loc) {
  double r = 0;
  if (op == "+")
    r = a + b;
  else if (op == "-")
    r = a - b;
  else if (op == "*")
    r = a * b;
  else if (op == "**")
    r = std::pow(a, b);
  else {
    if (b == 0) throw Error(loc, "float division by zero");
    if (op == "/")
      r = a / b;
    else if (op == "//")
      r = std::floor(a / b);
    else
      r = a - std::floor(a / b) * b;
  }
  if (!std::isfinite(r)) throw Error(loc, fmt::format("numerical result out of range in {}", op));
  return r;
}

Json binary(const std::string& op, const Json& a, const Json& b, const SourceLoc& loc) {
  if (is_int(a) && is_int(b)) return int_op(op, a.get<std::int64_t>(), b.get<std::int64_t>(), loc);
  if (is_num(a) && is_num(b)) return float_op(op, a.get<double>(), b.get<double>(), loc);
  if (op == "+" && a.is_string() && b.is_string()) {
    if (a.get_ref<const std::string&>().size() + b.get_ref<const std::string&>().size() >
        kMaxStringBytes)
      throw Error(loc, "string value too long");
    return a.get<std::string>() + b.get<std::string>();
  }
  if (op == "+" && a.is_array() && b.is_array()) {
    if (a.size() + b.size() > kMaxNodes)
      throw Error(loc, fmt::format("value too large (more than {} elements)", kMaxNodes));
    Json r = a;
    for (const Json& e : b) r.push_back(e);
    return checked(std::move(r), loc);
  }
  operand_error(op, a, b, loc);
}

// Positional parameters of the Keras objects people write with positional
// arguments, so their config reads as Keras's get_config() would.
std::vector<std::string> object_params(const std::string& cls) {
  if (cls == "L1") return {"l1"};
  if (cls == "L2") return {"l2"};
  if (cls == "L1L2") return {"l1", "l2"};
  if (cls == "RandomNormal" || cls == "TruncatedNormal") return {"mean", "stddev", "seed"};
  if (cls == "RandomUniform") return {"minval", "maxval", "seed"};
  if (cls == "Constant") return {"value"};
  if (cls == "VarianceScaling") return {"scale", "mode", "distribution", "seed"};
  if (cls == "Orthogonal") return {"gain", "seed"};
  if (cls == "Identity") return {"gain"};
  if (cls == "MaxNorm") return {"max_value", "axis"};
  if (cls == "UnitNorm") return {"axis"};
  if (cls == "MinMaxNorm") return {"min_value", "max_value", "rate", "axis"};
  if (cls.find("Normal") != std::string::npos || cls.find("Uniform") != std::string::npos)
    return {"seed"};  // HeNormal, GlorotUniform, LecunNormal, ...
  if (cls == "Adam" || cls == "SGD" || cls == "RMSprop" || cls == "Adagrad" || cls == "Nadam" ||
      cls == "Adamax" || cls == "AdamW" || cls == "Adadelta")
    return {"learning_rate"};
  return {};
}

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, std::size_t& pos, std::size_t end, const Scope& scope,
         const std::string& file)
      : t_(tokens), pos_(pos), end_(end), scope_(scope), file_(file) {}

  Value expr() { return arith(); }

 private:
  struct Nest {
    Nest(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxDepth)
        throw Error(p_.here(),
                    fmt::format("expression nested too deeply (more than {} levels)", kMaxDepth));
    }
    ~Nest() { --p_.depth_; }
    Parser& p_;
  };

  const Token& cur() const { return t_[std::min(pos_, end_)]; }
  const Token& ahead(std::size_t k) const { return t_[std::min(pos_ + k, end_)]; }
  bool at_op(const char* op) const { return cur().kind == Tok::kOp && cur().text == op; }
  SourceLoc loc_of(const Token& t) const { return SourceLoc{file_, t.line, t.col}; }
  SourceLoc here() const { return loc_of(cur()); }
  const Token& next() { return t_[std::min(pos_++, end_)]; }

  [[noreturn]] void unexpected(const std::string& expected) const {
    const Token& t = cur();
    if (t.kind == Tok::kName && is_python_keyword(t.text))
      throw NotLiteral(here(), fmt::format("unsupported Python syntax '{}'", t.text));
    if (t.kind == Tok::kOp && is_unsupported_operator(t.text))
      throw NotLiteral(here(), fmt::format("unsupported operator '{}'", t.text));
    throw Error(here(), fmt::format("unexpected {}: expected {}", token_text(t), expected));
  }

  // After an element of a bracketed list: ',' or the closing bracket.
  void expect_separator(const char* close) {
    if (at_op(",") || at_op(close)) return;
    const Token& t = cur();
    const bool starts_value =
        t.kind == Tok::kInt || t.kind == Tok::kFloat || t.kind == Tok::kString ||
        (t.kind == Tok::kName && !is_python_keyword(t.text)) ||
        (t.kind == Tok::kOp && (t.text == "(" || t.text == "[" || t.text == "{"));
    if (starts_value) throw Error(here(), fmt::format("missing comma before {}", token_text(t)));
    unexpected(fmt::format("',' or '{}'", close));
  }

  Json literal_of(const Value& v) const { return to_json(v, scope_); }

  Value arith() {
    Value v = term();
    while (at_op("+") || at_op("-")) {
      const Token& op = next();
      Value r = term();
      v = literal(binary(op.text, literal_of(v), literal_of(r), loc_of(op)), v.loc);
    }
    return v;
  }

  Value term() {
    Value v = unary();
    while (at_op("*") || at_op("/") || at_op("//") || at_op("%")) {
      const Token& op = next();
      Value r = unary();
      v = literal(binary(op.text, literal_of(v), literal_of(r), loc_of(op)), v.loc);
    }
    return v;
  }

  Value unary() {
    if (!(at_op("-") || at_op("+") || at_op("~"))) return power();
    Nest nest(*this);
    const Token& op = next();
    Value operand = unary();
    const Json x = literal_of(operand);
    const SourceLoc loc = loc_of(op);
    if (op.text == "~" && is_int(x)) return literal(~x.get<std::int64_t>(), loc);
    if (op.text != "~" && is_int(x)) {
      const std::int64_t i = x.get<std::int64_t>();
      if (op.text == "-" && i == INT64_MIN) throw Error(loc, "integer overflow in negation");
      return literal(op.text == "-" ? -i : i, loc);
    }
    if (op.text != "~" && is_num(x))
      return literal(op.text == "-" ? -x.get<double>() : x.get<double>(), loc);
    throw Error(loc,
                fmt::format("bad operand type for unary {}: '{}'", op.text, python_type_name(x)));
  }

  Value power() {
    Value v = primary();
    if (!at_op("**")) return v;
    const Token& op = next();
    Value r = unary();  // right-associative, binds tighter than unary minus on the left
    return literal(binary("**", literal_of(v), literal_of(r), loc_of(op)), v.loc);
  }

  Value primary() {
    Value v = atom();
    for (;;) {
      if (at_op(".")) {
        if (v.kind != Value::kName ||
            (v.path.size() == 1 && (scope_.literal(v.path[0]) || scope_.is_layer_var(v.path[0]))))
          throw NotLiteral(here(), "attribute access on a value is not supported");
        next();
        if (cur().kind != Tok::kName) unexpected("a name after '.'");
        v.name_loc = here();
        v.path.push_back(next().text);
      } else if (at_op("(")) {
        if (v.kind == Value::kCall)
          throw Error(v.name_loc, fmt::format("only Sequential models are supported: calling "
                                              "`{}` on a tensor is Keras's functional API",
                                              call_text(v)));
        if (v.kind != Value::kName)
          throw NotLiteral(here(), fmt::format("{} is not callable", v.kind == Value::kLiteral
                                                                         ? python_repr(v.json)
                                                                         : std::string("this")));
        call_args(v);
      } else if (at_op("[")) {
        throw NotLiteral(here(), "subscripts ('[...]') are not supported");
      } else {
        break;
      }
    }
    if (v.kind == Value::kName && v.path.size() == 1) {
      if (const Json* lit = scope_.literal(v.path[0])) {
        // Every reference copies the value: bound what one statement can build.
        measure(*lit, v.loc, 0, copied_nodes_);
        return literal(*lit, v.loc);
      }
      if (scope_.is_layer_var(v.path[0])) v.kind = Value::kLayerVar;
    }
    return v;
  }

  void call_args(Value& v) {
    Nest nest(*this);
    next();  // '('
    v.kind = Value::kCall;
    bool seen_keyword = false;
    while (!at_op(")")) {
      if (at_op("*") || at_op("**"))
        throw NotLiteral(here(), "'*args' and '**kwargs' are not supported");
      std::string keyword;
      SourceLoc arg_loc = here();
      if (cur().kind == Tok::kName && ahead(1).kind == Tok::kOp && ahead(1).text == "=") {
        keyword = next().text;
        next();
        if (std::find(v.keywords.begin(), v.keywords.end(), keyword) != v.keywords.end())
          throw Error(arg_loc, fmt::format("keyword argument repeated: {}", keyword));
        seen_keyword = true;
      } else if (seen_keyword) {
        throw Error(arg_loc, "positional argument follows keyword argument");
      }
      v.items.push_back(expr());
      v.keywords.push_back(std::move(keyword));
      v.arg_locs.push_back(std::move(arg_loc));
      expect_separator(")");
      if (at_op(",")) next();
    }
    next();  // ')'
  }

  Value atom() {
    const Token& t = cur();
    const SourceLoc loc = here();
    switch (t.kind) {
      case Tok::kInt:
        next();
        return literal(t.integer, loc);
      case Tok::kFloat:
        next();
        return literal(t.number, loc);
      case Tok::kString: {
        std::string s;
        while (cur().kind == Tok::kString) {
          if (cur().fstring) throw NotLiteral(here(), "f-strings are not supported");
          if (s.size() + cur().text.size() > kMaxStringBytes)
            throw Error(loc, "string value too long");
          s += next().text;
        }
        return literal(std::move(s), loc);
      }
      case Tok::kName: {
        if (t.text == "None") return next(), literal(nullptr, loc);
        if (t.text == "True" || t.text == "False") return next(), literal(t.text == "True", loc);
        if (is_python_keyword(t.text)) unexpected("a value");
        Value v;
        v.kind = Value::kName;
        v.path.push_back(next().text);
        v.loc = v.name_loc = loc;
        return v;
      }
      case Tok::kOp:
        if (t.text == "(" || t.text == "[") return sequence();
        if (t.text == "{") return dict();
        break;
      default:
        break;
    }
    unexpected("a value");
  }

  // A tuple, a parenthesized expression, or a list.
  Value sequence() {
    Nest nest(*this);
    const SourceLoc loc = here();
    const char* close = at_op("(") ? ")" : "]";
    const bool paren = at_op("(");
    next();
    std::vector<Value> items;
    bool comma = false;
    while (!at_op(close)) {
      items.push_back(expr());
      expect_separator(close);
      comma = at_op(",");
      if (comma) next();
    }
    next();
    if (paren && items.size() == 1 && !comma) return std::move(items[0]);
    return container(std::move(items), {}, loc, false);
  }

  Value dict() {
    Nest nest(*this);
    const SourceLoc loc = here();
    next();
    std::vector<Value> items;
    std::vector<std::string> keys;
    while (!at_op("}")) {
      const SourceLoc key_loc = here();
      const Json key = literal_of(expr());
      if (!key.is_string())
        throw Error(key_loc, fmt::format("dict keys must be strings, got {}", python_repr(key)));
      if (!at_op(":")) {
        if (at_op(",") || at_op("}")) throw NotLiteral(here(), "sets are not supported");
        unexpected("':'");
      }
      next();
      keys.push_back(key.get<std::string>());
      items.push_back(expr());
      expect_separator("}");
      if (at_op(",")) next();
    }
    next();
    return container(std::move(items), std::move(keys), loc, true);
  }

  // Folds a container whose elements are all literals; keeps the rest.
  static Value container(std::vector<Value> items, std::vector<std::string> keys, SourceLoc loc,
                         bool is_dict) {
    const bool all_literal = std::all_of(items.begin(), items.end(),
                                         [](const Value& v) { return v.kind == Value::kLiteral; });
    if (all_literal) {
      Json j = is_dict ? Json::object() : Json::array();
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (is_dict)
          j[keys[i]] = std::move(items[i].json);
        else
          j.push_back(std::move(items[i].json));
      }
      return literal(checked(std::move(j), loc), loc);
    }
    Value v;
    v.kind = is_dict ? Value::kDict : Value::kList;
    v.items = std::move(items);
    v.keywords = std::move(keys);
    v.loc = std::move(loc);
    return v;
  }

  const std::vector<Token>& t_;
  std::size_t& pos_;
  std::size_t end_;
  const Scope& scope_;
  const std::string& file_;
  int depth_ = 0;
  std::size_t copied_nodes_ = 0;
};

}  // namespace

std::string class_of(const std::string& name) {
  if (std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return name;
  std::string out;
  bool up = true;
  for (char c : name) {
    if (c == '_') {
      up = true;
      continue;
    }
    out += up && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    up = false;
  }
  return out;
}

Value parse_expression(const std::vector<Token>& tokens, std::size_t& pos, std::size_t end,
                       const Scope& scope, const std::string& file) {
  return Parser(tokens, pos, end, scope, file).expr();
}

std::string call_text(const Value& call) {
  std::string s;
  for (const std::string& p : call.path) s += (s.empty() ? "" : ".") + p;
  return s + "(...)";
}

bool is_keras_object_call(const Value& call, const Scope& scope) {
  static const char* const kModules[] = {"initializers", "regularizers", "constraints",
                                         "activations",  "optimizers",   "losses",
                                         "metrics",      "schedules",    "callbacks"};
  const std::string& last = call.path.back();
  if (!last.empty() && last[0] >= 'A' && last[0] <= 'Z') return true;
  if (call.path.size() == 1) return scope.is_imported(last);
  for (const std::string& p : call.path)
    if (std::find(std::begin(kModules), std::end(kModules), p) != std::end(kModules)) return true;
  return false;
}

Json to_json(const Value& v, const Scope& scope) {
  switch (v.kind) {
    case Value::kLiteral:
      return v.json;
    case Value::kName:
      if (v.path.size() > 1 || scope.is_imported(v.path[0])) return v.path.back();
      throw NotLiteral(v.loc, fmt::format("unknown name `{}`", v.path[0]));
    case Value::kLayerVar:
      throw Error(v.loc, fmt::format("`{}` is a layer; a layer can only be added to the model "
                                     "(model.add(...) or the Sequential list), not used as a value",
                                     v.path[0]));
    case Value::kCall: {
      const std::string& last = v.path.back();
      if (LayerRegistry::builtin().find(last) || last == "Sequential" || last == "Model")
        throw Error(v.name_loc, fmt::format("`{}` is a layer or model; it can only be added to "
                                            "the model (model.add(...) or the Sequential list), "
                                            "not used as a value",
                                            call_text(v)));
      if (!is_keras_object_call(v, scope))
        throw NotLiteral(
            v.name_loc, fmt::format("`{}` is not a literal value or a Keras object", call_text(v)));
      const std::string cls = class_of(last);
      const std::vector<std::string> params = object_params(cls);
      Json config = Json::object();
      std::size_t positional = 0;
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        Json value = to_json(v.items[i], scope);
        if (!v.keywords[i].empty()) {
          config[v.keywords[i]] = std::move(value);
        } else if (positional < params.size()) {
          config[params[positional++]] = std::move(value);
        } else {
          throw Error(v.arg_locs[i], fmt::format("{}: too many positional arguments (write them "
                                                 "as keyword arguments)",
                                                 cls));
        }
      }
      Json out = Json::object();
      out["class_name"] = cls;
      out["config"] = std::move(config);
      return checked(std::move(out), v.loc);
    }
    case Value::kList:
    case Value::kDict: {
      const bool is_dict = v.kind == Value::kDict;
      Json j = is_dict ? Json::object() : Json::array();
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (is_dict)
          j[v.keywords[i]] = to_json(v.items[i], scope);
        else
          j.push_back(to_json(v.items[i], scope));
      }
      return checked(std::move(j), v.loc);
    }
  }
  throw Error(v.loc, "unsupported value");
}

}  // namespace stride::python
