// A tokenizer for the subset of Python that Keras model code is written in.
// It follows Python's lexical rules (logical lines joined inside brackets and
// by backslashes, '#' comments, string prefixes and escapes, numeric literal
// forms) so that a script pasted from a notebook tokenizes as Python would,
// including the lines the reader later skips (model.fit(...) and the like).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stride/error.hpp"

namespace stride::python {

enum class Tok {
  kName,     // identifiers and keywords (None, True, import, ...)
  kInt,      // value in `integer`
  kFloat,    // value in `number`
  kString,   // decoded value in `text`; adjacent literals are separate tokens
  kOp,       // punctuation and operators, spelled in `text`
  kNewline,  // end of a logical line (also ';')
  kEnd,
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // name, operator, or decoded string
  std::int64_t integer = 0;
  double number = 0;
  bool fstring = false;    // f'...' (kept verbatim, never evaluated)
  int line = 0, col = 0;   // 1-based; col counts code points
  std::size_t offset = 0;  // byte offset in the source, for quoting statements
};

// Tokenizes the whole text. Throws stride::Error located at the offending
// character: invalid UTF-8, stray characters, unterminated strings and
// brackets (at the opening), mismatched closing brackets, malformed numbers.
// The result always ends with kNewline (if any token came before) and kEnd.
std::vector<Token> tokenize(std::string_view text, const std::string& file);

}  // namespace stride::python
