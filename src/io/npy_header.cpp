// A parser for the small subset of Python literals a .npy header uses:
// strings, ints (with Python 2's trailing L), True/False/None, tuples and
// lists (a structured dtype's descr is a list), inside one dict.
#include "npy_header.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <utility>
#include <vector>

namespace stride::npy {

namespace {

// Nesting deeper than this is refused so no header can exhaust the stack.
constexpr int kMaxDepth = 32;

// The descrs stride reads. NumPy writes uint8 as '|u1' (byte order does not
// apply), but '<u1', '>u1' and '=u1' mean the same thing.
struct KnownDescr {
  std::string_view descr;
  DType dtype;
};
constexpr std::array<KnownDescr, 8> kKnownDescrs{{{"<f4", DType::kFloat32},
                                                  {"<f8", DType::kFloat64},
                                                  {"|u1", DType::kUInt8},
                                                  {"<u1", DType::kUInt8},
                                                  {">u1", DType::kUInt8},
                                                  {"=u1", DType::kUInt8},
                                                  {"<i4", DType::kInt32},
                                                  {"<i8", DType::kInt64}}};

struct PyValue {
  enum class Kind { kString, kInt, kBool, kNone, kTuple, kList };
  Kind kind = Kind::kNone;
  std::string_view source;     // the literal's text, for messages
  std::string str;             // kString
  std::optional<Dim> integer;  // kInt; empty when it does not fit 64 bits
  bool boolean = false;        // kBool
  std::vector<PyValue> items;  // kTuple, kList
};

// Printable excerpt of header text for messages: at most 60 characters,
// control and non-ASCII bytes as \xNN.
std::string excerpt(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < 60; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f)
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  if (text.size() > 60) out += "...";
  return out;
}

class DictParser {
 public:
  DictParser(std::string_view text, const SourceLoc& where) : text_(text), where_(where) {}

  std::vector<std::pair<std::string, PyValue>> parse() {
    std::vector<std::pair<std::string, PyValue>> items;
    skip_space();
    expect('{', "'{' opening the header dict");
    for (;;) {
      skip_space();
      if (peek() == '}') break;
      if (peek() != '\'' && peek() != '"') fail("expected a quoted key or '}'");
      std::string key = string_literal();
      skip_space();
      expect(':', "':' after a key");
      PyValue value = parse_value(1);
      items.emplace_back(std::move(key), std::move(value));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}' after a value");
    }
    ++pos_;
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the header dict");
    return items;
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= text_.size(); }

  void skip_space() {
    while (!at_end() && std::string_view(" \t\n\r\f\v").find(text_[pos_]) != std::string_view::npos)
      ++pos_;
  }

  // Quotes the header without its padding, so positions stop at its end.
  [[noreturn]] void fail(std::string_view what) const {
    std::string_view shown = text_;
    while (!shown.empty() && (shown.back() == ' ' || shown.back() == '\n')) shown.remove_suffix(1);
    throw Error(where_, fmt::format("malformed .npy header: {} at character {} of \"{}\"", what,
                                    std::min(pos_, shown.size()), excerpt(shown)));
  }

  void expect(char c, std::string_view what) {
    if (peek() != c) fail(fmt::format("expected {}", what));
    ++pos_;
  }

  // 'text' or "text"; escapes never occur in what NumPy writes.
  std::string string_literal() {
    const char quote = text_[pos_++];
    const std::size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string_view body = text_.substr(pos_, end - pos_);
    if (body.find('\\') != std::string_view::npos) fail("escape sequences are not supported");
    if (body.find('\n') != std::string_view::npos) fail("unterminated string");
    pos_ = end + 1;
    return std::string(body);
  }

  PyValue parse_value(int depth) {
    if (depth > kMaxDepth) fail("nesting too deep");
    skip_space();
    const std::size_t start = pos_;
    PyValue v = parse_bare_value(depth);
    v.source = text_.substr(start, pos_ - start);
    return v;
  }

  PyValue parse_bare_value(int depth) {
    PyValue v;
    const char c = peek();
    if (c == '\'' || c == '"') {
      v.kind = PyValue::Kind::kString;
      v.str = string_literal();
    } else if (c == '(' || c == '[') {
      v.kind = c == '(' ? PyValue::Kind::kTuple : PyValue::Kind::kList;
      parse_sequence(v, c == '(' ? ')' : ']', depth);
    } else if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
      v.kind = PyValue::Kind::kInt;
      v.integer = integer_literal();
    } else {
      std::size_t end = pos_;
      while (end < text_.size() && std::isalpha(static_cast<unsigned char>(text_[end]))) ++end;
      const std::string_view word = text_.substr(pos_, end - pos_);
      if (word == "True" || word == "False") {
        v.kind = PyValue::Kind::kBool;
        v.boolean = word == "True";
      } else if (word == "None") {
        v.kind = PyValue::Kind::kNone;
      } else {
        fail("expected a string, integer, True, False, None, tuple or list");
      }
      pos_ = end;
    }
    return v;
  }

  // Items up to `close`; a 1-tuple needs its trailing comma, like Python.
  void parse_sequence(PyValue& v, char close, int depth) {
    ++pos_;
    bool comma_after_last = false;
    for (;;) {
      skip_space();
      if (peek() == close) break;
      v.items.push_back(parse_value(depth + 1));
      skip_space();
      comma_after_last = peek() == ',';
      if (comma_after_last) {
        ++pos_;
        continue;
      }
      if (peek() != close) fail(fmt::format("expected ',' or '{}'", close));
    }
    ++pos_;
    // Python's (5) is the int 5, not a tuple.
    if (close == ')' && v.items.size() == 1 && !comma_after_last) {
      PyValue inner = std::move(v.items[0]);
      v = std::move(inner);
    }
  }

  // Decimal digits with an optional sign and Python 2's L suffix; empty
  // when the value does not fit 64 bits.
  std::optional<Dim> integer_literal() {
    bool negative = false;
    if (peek() == '-' || peek() == '+') negative = text_[pos_++] == '-';
    skip_space();
    if (peek() < '0' || peek() > '9') fail("expected digits");
    std::optional<Dim> value = Dim{0};
    while (peek() >= '0' && peek() <= '9') {
      const Dim digit = text_[pos_++] - '0';
      Dim next;
      if (value && !__builtin_mul_overflow(*value, 10, &next) &&
          !__builtin_add_overflow(next, digit, &next))
        value = next;
      else
        value.reset();
    }
    if (peek() == 'L' || peek() == 'l') ++pos_;
    if (value && negative) value = -*value;
    return value;
  }

  std::string_view text_;
  const SourceLoc& where_;
  std::size_t pos_ = 0;
};

[[noreturn]] void unsupported_dtype(std::string_view descr, const SourceLoc& where) {
  throw Error(where, fmt::format("dtype {} is not supported (stride reads little-endian float32, "
                                 "float64, uint8, int32, int64)",
                                 descr));
}

DType dtype_of(const PyValue& descr, const SourceLoc& where) {
  if (descr.kind != PyValue::Kind::kString) {
    // A list is a structured (record) dtype.
    throw Error(where, fmt::format("dtype {} is not supported: stride reads plain arrays of "
                                   "little-endian float32, float64, uint8, int32, int64, not "
                                   "structured dtypes",
                                   excerpt(descr.source)));
  }
  for (const KnownDescr& known : kKnownDescrs)
    if (descr.str == known.descr) return known.dtype;
  unsupported_dtype(fmt::format("'{}'", excerpt(descr.str)), where);
}

Shape shape_of(const PyValue& shape, const SourceLoc& where) {
  if (shape.kind != PyValue::Kind::kTuple)
    throw Error(where,
                fmt::format("'shape' must be a tuple of integers, got {}", excerpt(shape.source)));
  Shape dims;
  for (const PyValue& item : shape.items) {
    if (item.kind != PyValue::Kind::kInt)
      throw Error(
          where, fmt::format("'shape' must be a tuple of integers, got {}", excerpt(shape.source)));
    if (!item.integer)
      throw Error(where, fmt::format("shape {} has a dimension that does not fit 64 bits",
                                     excerpt(shape.source)));
    if (*item.integer < 0)
      throw Error(where, fmt::format("shape {} has a negative dimension", excerpt(shape.source)));
    dims.push_back(*item.integer);
  }
  return dims;
}

}  // namespace

std::string_view descr(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "<f4";
    case DType::kFloat64:
      return "<f8";
    case DType::kUInt8:
      return "|u1";
    case DType::kInt32:
      return "<i4";
    case DType::kInt64:
      return "<i8";
  }
  return "?";
}

Header parse_header(std::string_view text, const SourceLoc& where) {
  const PyValue* descr_value = nullptr;
  const PyValue* fortran_value = nullptr;
  const PyValue* shape_value = nullptr;
  const auto items = DictParser(text, where).parse();
  for (const auto& [key, value] : items) {
    const PyValue** slot = key == "descr"           ? &descr_value
                           : key == "fortran_order" ? &fortran_value
                           : key == "shape"         ? &shape_value
                                                    : nullptr;
    if (!slot)
      throw Error(where, fmt::format("the .npy header has an unexpected key '{}' (NumPy writes "
                                     "exactly 'descr', 'fortran_order' and 'shape')",
                                     excerpt(key)));
    if (*slot) throw Error(where, fmt::format("the .npy header repeats the key '{}'", key));
    *slot = &value;
  }
  for (const auto& [key, value] :
       {std::pair{"descr", descr_value}, std::pair{"fortran_order", fortran_value},
        std::pair{"shape", shape_value}})
    if (!value) throw Error(where, fmt::format("the .npy header has no '{}'", key));

  Header header;
  header.dtype = dtype_of(*descr_value, where);
  header.shape = shape_of(*shape_value, where);
  if (fortran_value->kind != PyValue::Kind::kBool)
    throw Error(where, fmt::format("'fortran_order' must be True or False, got {}",
                                   excerpt(fortran_value->source)));
  // With at most one dim above 1, Fortran and C order lay out the same bytes.
  const auto long_dims =
      std::count_if(header.shape.begin(), header.shape.end(), [](Dim d) { return d > 1; });
  if (fortran_value->boolean && long_dims > 1)
    throw Error(where, fmt::format("fortran_order True is not supported: stride reads C-order "
                                   "arrays (save np.ascontiguousarray(a) instead)"));
  return header;
}

std::string header_dict(const Header& header) {
  std::string shape = "(";
  for (std::size_t i = 0; i < header.shape.size(); ++i)
    shape += (i ? ", " : "") + std::to_string(header.shape[i]);
  shape += header.shape.size() == 1 ? ",)" : ")";
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                 descr(header.dtype), shape);
  if (!header.shape.empty()) {
    const std::size_t digits = std::to_string(header.shape[0]).size();
    dict.append(digits < 21 ? 21 - digits : 0, ' ');
  }
  return dict;
}

}  // namespace stride::npy
