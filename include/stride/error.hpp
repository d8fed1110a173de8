// Errors carry a source location so that every reader and the CLI can print
// one line: "error: FILE:LINE:COL: message".
#pragma once

#include <stdexcept>
#include <string>

namespace stride {

// Where a piece of a model came from. line/col are 1-based; 0 means unknown.
struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;

  bool known() const { return line > 0; }
  // "FILE:LINE:COL" (or just "FILE" when the position is unknown).
  std::string str() const;
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  Error(SourceLoc loc, const std::string& message)
      : std::runtime_error(message), loc_(std::move(loc)) {}

  const SourceLoc& loc() const { return loc_; }
  // Fills in the location if none is set yet (inner errors know better): a
  // location with a line replaces one without; a bare file name never
  // replaces a file already named.
  void set_loc_if_unknown(const SourceLoc& loc);
  // The name of the call argument the error is about, if any. Readers use it
  // to point the column at that argument.
  const std::string& argument() const { return argument_; }
  Error& with_argument(std::string name) {
    argument_ = std::move(name);
    return *this;
  }

  // "FILE:LINE:COL: message", the text after "error: ".
  std::string located() const;

 private:
  SourceLoc loc_;
  std::string argument_;
};

}  // namespace stride
