// Python's lexical rules, reduced to what model code needs (see the header).
#include "python_lexer.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace stride::python {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident(char c) {
  return is_ident_start(c) || is_digit(c);
}

// Length of the UTF-8 sequence starting at s[i], or 0 if it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
  else
    return 0;
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Lexer {
 public:
  Lexer(std::string_view text, const std::string& file) : s_(text), file_(file) {}

  std::vector<Token> run() {
    validate_utf8();
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") advance(3);  // a byte-order mark
    while (pos_ < s_.size()) step();
    if (!brackets_.empty()) {
      const Token& open = brackets_.back();
      throw Error(loc(open.line, open.col), fmt::format("'{}' was never closed", open.text));
    }
    end_line();
    Token end;
    end.kind = Tok::kEnd;
    end.line = line_, end.col = col_, end.offset = pos_;
    out_.push_back(end);
    return std::move(out_);
  }

 private:
  SourceLoc loc(int line, int col) const { return SourceLoc{file_, line, col}; }
  [[noreturn]] void fail_here(const std::string& message) const {
    throw Error(loc(line_, col_), message);
  }
  char peek(std::size_t k = 0) const { return pos_ + k < s_.size() ? s_[pos_ + k] : '\0'; }

  // Moves over n bytes, counting lines and code points.
  void advance(std::size_t n = 1) {
    for (std::size_t k = 0; k < n && pos_ < s_.size(); ++k, ++pos_) {
      const char c = s_[pos_];
      if (c == '\n' || (c == '\r' && peek(1) != '\n')) {
        ++line_;
        col_ = 1;
      } else if (c != '\r' && (static_cast<unsigned char>(c) & 0xC0) != 0x80) {
        ++col_;
      }
    }
  }

  void validate_utf8() {
    for (std::size_t i = 0; i < s_.size();) {
      const std::size_t n = utf8_length(s_, i);
      if (n == 0) {
        advance(i - pos_);
        fail_here(fmt::format("invalid UTF-8 byte 0x{:02X}; model files must be UTF-8 text",
                              static_cast<unsigned char>(s_[i])));
      }
      i += n;
    }
  }

  Token start(Tok kind) const {
    Token t;
    t.kind = kind;
    t.line = line_, t.col = col_, t.offset = pos_;
    return t;
  }

  void end_line() {
    if (!out_.empty() && out_.back().kind != Tok::kNewline) {
      Token t = start(Tok::kNewline);
      out_.push_back(t);
    }
  }

  void step() {
    const char c = peek();
    if (c == ' ' || c == '\t' || c == '\f') return advance();
    if (c == '\n' || c == '\r') {
      if (brackets_.empty()) end_line();
      return advance(c == '\r' && peek(1) == '\n' ? 2 : 1);
    }
    if (c == '#') {
      while (pos_ < s_.size() && peek() != '\n' && peek() != '\r') advance();
      return;
    }
    if (c == '\\') {
      const std::size_t nl = peek(1) == '\r' && peek(2) == '\n' ? 3 : 2;
      if (peek(1) == '\n' || peek(1) == '\r') return advance(nl);
      fail_here(pos_ + 1 >= s_.size() ? "unexpected end of file after line continuation '\\'"
                                      : "unexpected character after line continuation '\\'");
    }
    if (is_digit(c) || (c == '.' && is_digit(peek(1)))) return number();
    if (is_ident_start(c)) {
      std::size_t n = 0;
      while (is_ident(peek(n))) ++n;
      // String prefixes: r, u, b, f and their combinations.
      const std::string_view word = s_.substr(pos_, n);
      if ((peek(n) == '\'' || peek(n) == '"') && n <= 2) {
        bool prefix = true, raw = false, fstr = false;
        for (char p : word) {
          const char l = static_cast<char>(p | 0x20);
          prefix = prefix && (l == 'r' || l == 'u' || l == 'b' || l == 'f');
          raw = raw || l == 'r';
          fstr = fstr || l == 'f';
        }
        if (prefix) return string(n, raw, fstr);
      }
      Token t = start(Tok::kName);
      t.text = std::string(word);
      out_.push_back(t);
      return advance(n);
    }
    if (c == '\'' || c == '"') return string(0, false, false);
    op();
  }

  void op() {
    static const char* const kOps[] = {
        "**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "==", "!=", "<=",
        ">=",  "<<",  ">>",  "+=",  "-=",  "*=", "/=", "%=", "&=", "|=", "^=", "@=",
        "(",   ")",   "[",   "]",   "{",   "}",  ",",  ":",  ".",  ";",  "=",  "+",
        "-",   "*",   "/",   "%",   "<",   ">",  "&",  "|",  "^",  "~",  "@"};
    for (const char* o : kOps) {
      const std::string_view op(o);
      if (s_.substr(pos_, op.size()) != op) continue;
      Token t = start(Tok::kOp);
      t.text = std::string(op);
      if (op == ";") {
        if (brackets_.empty()) end_line();
        return advance();
      }
      if (op == "(" || op == "[" || op == "{") {
        brackets_.push_back(t);
      } else if (op == ")" || op == "]" || op == "}") {
        if (brackets_.empty()) fail_here(fmt::format("unmatched '{}'", op));
        const Token& open = brackets_.back();
        const char want = open.text == "(" ? ')' : open.text == "[" ? ']' : '}';
        if (op[0] != want)
          fail_here(fmt::format("closing '{}' does not match '{}' opened at line {}, column {}", op,
                                open.text, open.line, open.col));
        brackets_.pop_back();
      }
      out_.push_back(t);
      return advance(op.size());
    }
    const std::size_t n = utf8_length(s_, pos_);
    const std::string ch(s_.substr(pos_, n));
    if (n == 1 && static_cast<unsigned char>(ch[0]) < 0x20)
      fail_here(fmt::format("unexpected control character U+{:04X}", static_cast<int>(ch[0])));
    if (n == 1) fail_here(fmt::format("unexpected character '{}'", ch));
    fail_here(fmt::format("unexpected character '{}' outside a string or comment", ch));
  }

  void number() {
    Token t = start(Tok::kInt);
    std::size_t n = 0;
    std::string digits;  // without underscores
    auto take_digits = [&](auto ok) {
      while (ok(peek(n)) || (peek(n) == '_' && ok(peek(n + 1)) && n > 0 && ok(peek(n - 1)))) {
        if (peek(n) != '_') digits += peek(n);
        ++n;
      }
    };
    int base = 10;
    if (peek() == '0' && std::string_view("xXoObB").find(peek(1)) != std::string_view::npos &&
        peek(1) != '\0') {
      const char b = static_cast<char>(peek(1) | 0x20);
      base = b == 'x' ? 16 : b == 'o' ? 8 : 2;
      n = 2;
      if (peek(n) == '_') ++n;
      take_digits([&](char c) {
        return base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                          : c >= '0' && c < static_cast<char>('0' + base);
      });
    } else {
      take_digits(is_digit);
      if (peek(n) == '.') {
        t.kind = Tok::kFloat;
        digits += '.';
        ++n;
        take_digits(is_digit);
      }
      if ((peek(n) == 'e' || peek(n) == 'E') &&
          (is_digit(peek(n + 1)) ||
           ((peek(n + 1) == '+' || peek(n + 1) == '-') && is_digit(peek(n + 2))))) {
        t.kind = Tok::kFloat;
        digits += 'e';
        ++n;
        if (peek(n) == '+' || peek(n) == '-') digits += peek(n++);
        take_digits(is_digit);
      }
    }
    const std::string_view written = s_.substr(pos_, n);
    if (peek(n) == 'j' || peek(n) == 'J') fail_here("complex numbers are not supported");
    if (is_ident(peek(n)) || peek(n) == '_' || digits.empty() || (base != 10 && digits.empty()))
      fail_here(fmt::format("invalid number literal '{}'", s_.substr(pos_, n + 1)));
    if (t.kind == Tok::kInt) {
      if (base == 10 && digits.size() > 1 && digits[0] == '0' &&
          digits.find_first_not_of('0') != std::string::npos)
        fail_here(
            "leading zeros in decimal integer literals are not permitted; use an 0o prefix "
            "for octal integers");
      const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), t.integer, base);
      if (r.ec == std::errc::result_out_of_range)
        fail_here(fmt::format("integer literal {} is out of range (at most 2**63 - 1)", written));
    } else {
      const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), t.number);
      if (r.ec == std::errc::result_out_of_range && std::abs(t.number) > 1)
        fail_here(fmt::format("float literal {} is out of range", written));
      if (r.ec == std::errc::result_out_of_range) t.number = 0;  // underflows to 0, as in Python
    }
    t.text = std::string(written);
    out_.push_back(t);
    advance(n);
  }

  // A string literal; `n` prefix characters come first.
  void string(std::size_t n, bool raw, bool fstr) {
    Token t = start(Tok::kString);
    t.fstring = fstr;
    advance(n);
    const char quote = peek();
    const bool triple = peek(1) == quote && peek(2) == quote;
    const int open_line = line_, open_col = col_;
    advance(triple ? 3 : 1);
    std::string value;
    for (;;) {
      if (pos_ >= s_.size() || (!triple && (peek() == '\n' || peek() == '\r')))
        throw Error(loc(open_line, open_col), triple ? "unterminated triple-quoted string literal"
                                                     : "unterminated string literal");
      const char c = peek();
      if (c == quote && (!triple || (peek(1) == quote && peek(2) == quote))) {
        advance(triple ? 3 : 1);
        break;
      }
      if (c != '\\') {
        value += c;
        advance();
        continue;
      }
      if (raw) {  // a backslash still protects the next character, and stays
        value += c;
        advance();
        if (pos_ < s_.size() && peek() != '\n' && peek() != '\r') value += peek(), advance();
        continue;
      }
      escape(value);
    }
    t.text = std::move(value);
    out_.push_back(t);
  }

  void escape(std::string& value) {
    const int line = line_, col = col_;
    advance();  // the backslash
    const char e = peek();
    auto hex = [&](std::size_t digits) {
      std::uint32_t cp = 0;
      for (std::size_t k = 0; k < digits; ++k) {
        const char h = peek();
        if (!std::isxdigit(static_cast<unsigned char>(h)))
          throw Error(loc(line, col), fmt::format("truncated \\{} escape in a string", e));
        cp = cp * 16 + static_cast<std::uint32_t>(is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
        advance();
      }
      return cp;
    };
    switch (e) {
      case '\n':
        advance();
        return;
      case '\r':
        advance(peek(1) == '\n' ? 2 : 1);
        return;
      case 'n':
        value += '\n';
        break;
      case 't':
        value += '\t';
        break;
      case 'r':
        value += '\r';
        break;
      case '\\':
      case '\'':
      case '"':
        value += e;
        break;
      case 'a':
        value += '\a';
        break;
      case 'b':
        value += '\b';
        break;
      case 'f':
        value += '\f';
        break;
      case 'v':
        value += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        advance();
        const std::uint32_t cp = hex(e == 'x' ? 2 : e == 'u' ? 4 : 8);
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
          throw Error(loc(line, col), fmt::format("\\{} escape is not a valid character", e));
        append_utf8(value, cp);
        return;
      }
      case 'N':
        throw Error(loc(line, col), "\\N{...} escapes are not supported");
      default:
        if (e >= '0' && e <= '7') {
          std::uint32_t cp = 0;
          for (int k = 0; k < 3 && peek() >= '0' && peek() <= '7'; ++k)
            cp = cp * 8 + (peek() - '0'), advance();
          append_utf8(value, cp);
          return;
        }
        value += '\\';  // Python keeps unknown escapes as written
        return;
    }
    advance();
  }

  std::string_view s_;
  const std::string& file_;
  std::size_t pos_ = 0;
  int line_ = 1, col_ = 1;
  std::vector<Token> out_;
  std::vector<Token> brackets_;  // open brackets, innermost last
};

}  // namespace

std::vector<Token> tokenize(std::string_view text, const std::string& file) {
  return Lexer(text, file).run();
}

}  // namespace stride::python
