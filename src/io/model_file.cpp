// Model files: read the bytes (a file or stdin) and pick the reader by
// content: a zip is a .keras archive, an HDF5 file a Keras .h5 model, Keras
// JSON starts with '{', and other text is Keras lines. Other binary data is
// refused.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <system_error>

#include "io/binary_file.hpp"
#include "io/hdf5_file.hpp"
#include "io/keras_files.hpp"
#include "stride/model.hpp"

namespace stride {

namespace {

constexpr std::size_t kMaxModelBytes = 64u << 20;  // 64 MiB

// Reads at most kMaxModelBytes + 1 bytes, so an oversized stream is caught
// without reading it all.
std::string read_stream(std::istream& in, const std::string& name) {
  std::string text;
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof buffer);
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxModelBytes)
      throw Error(SourceLoc{name, 0, 0},
                  fmt::format("the model is larger than {} MiB; is this a model file?",
                              kMaxModelBytes >> 20));
  }
  if (in.bad()) throw Error(SourceLoc{name, 0, 0}, "cannot read: read error");
  return text;
}

std::string read_file(const std::string& path) {
  namespace fs = std::filesystem;
  const SourceLoc where{path, 0, 0};
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw Error(where, "no such file");
  if (fs::is_directory(status)) throw Error(where, "is a directory, not a model file");
  if (fs::is_regular_file(status)) {
    const std::uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > kMaxModelBytes)
      throw Error(where, fmt::format("the file is {} bytes, larger than the {} MiB a model file "
                                     "may have",
                                     size, kMaxModelBytes >> 20));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(where, fmt::format("cannot open: {}", std::strerror(errno)));
  return read_stream(in, path);
}

bool starts_with(std::string_view text, std::string_view prefix, std::size_t at = 0) {
  return text.size() >= at + prefix.size() && text.substr(at, prefix.size()) == prefix;
}

// Length of the valid UTF-8 sequence starting at text[i], or 0.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  std::size_t n;
  unsigned min;
  unsigned code;
  if ((b & 0xE0) == 0xC0)
    n = 2, min = 0x80, code = b & 0x1F;
  else if ((b & 0xF0) == 0xE0)
    n = 3, min = 0x800, code = b & 0x0F;
  else if ((b & 0xF8) == 0xF0)
    n = 4, min = 0x10000, code = b & 0x07;
  else
    return 0;
  if (i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
  if (code < min || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return 0;
  return n;
}

SourceLoc loc_of(std::string_view text, std::size_t offset, const std::string& file) {
  int line = 1, col = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n')
      ++line, col = 1;
    else
      ++col;
  }
  return SourceLoc{file, line, col};
}

// Model files are text. Name the common binary files people try instead.
void check_text(std::string_view text, const std::string& file) {
  const SourceLoc where{file, 0, 0};
  // Keras files are read by path; from standard input they are not.
  if (hdf5::has_signature(text) || is_zip(text))
    throw Error(where,
                "looks like a Keras .h5 or .keras file: give its path instead of standard input");
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\0')
      throw Error(loc_of(text, i, file),
                  "looks like a binary file (it contains a NUL byte); a "
                  "model file is Keras JSON or Keras lines text");
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0)
      throw Error(loc_of(text, i, file),
                  fmt::format("not UTF-8 text (byte 0x{:02X}); a model file is Keras JSON or "
                              "Keras lines text",
                              static_cast<unsigned char>(text[i])));
    i += n;
  }
}

}  // namespace

namespace {

// The first bytes of a file: enough for the zip magic and the HDF5
// signature after a user block of up to 2048 bytes.
std::string file_start(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(2048 + 8, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(in ? bytes.size()
                  : static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return bytes;
}

// A .keras archive or a Keras .h5 file (read whole, weights included)?
bool is_keras_binary(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  const std::string start = file_start(path);
  return hdf5::has_signature(start) || is_zip(start);
}

// Keras files hold weights, so they may be far larger than a text model.
constexpr std::uint64_t kMaxKerasFileBytes = kMaxArrayBytes + (1u << 26);

}  // namespace

ModelFile read_model_file(const std::string& path) {
  if (path != "-" && is_keras_binary(path))
    return read_keras_model_file(read_binary_file(path, kMaxKerasFileBytes), path);
  const std::string file = path == "-" ? "<stdin>" : path;
  std::string text = path == "-" ? read_stream(std::cin, file) : read_file(path);
  check_text(text, file);
  // A byte order mark is not part of the model.
  if (starts_with(text, "\xEF\xBB\xBF")) text.erase(0, 3);
  const std::size_t first = text.find_first_not_of(" \t\r\n\f\v");
  if (first == std::string::npos) throw Error(SourceLoc{file, 1, 1}, "the model file is empty");
  if (text[first] == '{') return ModelFile{read_keras_json(text, file), false};
  return ModelFile{read_keras_lines(text, file), false};
}

Sequential load_model(const std::string& path) {
  return read_model_file(path).model;
}

}  // namespace stride
