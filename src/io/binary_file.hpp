// Whole-file reads and atomic whole-file writes for binary formats
// (.npy, .npz). Errors are stride::Error located at the path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stride {

// The file's bytes; refuses files larger than max_bytes before reading them.
std::string read_binary_file(const std::string& path, std::uint64_t max_bytes);

// Writes "<path>.tmp.<pid>" in the same directory, fsyncs it, renames it over
// `path` and fsyncs the directory. On any failure the temporary file is
// removed and an existing `path` is left as it was.
void write_file_atomically(const std::string& path, std::string_view bytes);

// The file name that a leftover "<name>.tmp.<pid>" of write_file_atomically
// was written for, or nullopt for any other name: what a killed process left.
std::optional<std::string_view> atomic_write_target(std::string_view name);

}  // namespace stride
