#include "stride/error.hpp"

namespace stride {

std::string SourceLoc::str() const {
  std::string out = file.empty() ? std::string("<input>") : file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(col > 0 ? col : 1);
  return out;
}

void Error::set_loc_if_unknown(const SourceLoc& loc) {
  // A file we already name is kept unless the new location is more precise
  // (has a line): an error inside a checkpoint must not be blamed on the
  // labels file that a caller wraps the whole run in.
  if (!loc_.file.empty() && !loc.known()) return;
  if (!loc_.known()) {
    // Keep a file name we already had if the new location has none.
    std::string file = loc.file.empty() ? loc_.file : loc.file;
    loc_ = loc;
    loc_.file = std::move(file);
  }
}

std::string Error::located() const { return loc_.str() + ": " + what(); }

}  // namespace stride
