#include "binary_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "stride/error.hpp"

namespace stride {

namespace {

// write_file_atomically writes "<path>" + kTemporaryInfix + "<pid>" first.
constexpr std::string_view kTemporaryInfix = ".tmp.";

// Removes the temporary file unless release() was called.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  void release() { path_.clear(); }

 private:
  std::string path_;
};

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = EIO;  // no progress and no reason given
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Makes the rename itself durable; a failure here changes nothing the
// caller can act on, so it is ignored.
void sync_directory_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string read_binary_file(const std::string& path, std::uint64_t max_bytes) {
  namespace fs = std::filesystem;
  const SourceLoc where{path, 0, 0};
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw Error(where, "no such file");
  if (fs::is_directory(status)) throw Error(where, "is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(where, fmt::format("cannot open: {}", std::strerror(errno)));
  std::string bytes;
  if (fs::is_regular_file(status)) {
    const std::uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > max_bytes)
      throw Error(where, fmt::format("the file is {} bytes, more than the {} stride reads", size,
                                     max_bytes));
    if (!ec) bytes.reserve(size);
  }
  // Read in blocks so a pipe or a file that grows cannot exceed the cap.
  char block[1 << 16];
  while (in) {
    in.read(block, sizeof block);
    bytes.append(block, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > max_bytes)
      throw Error(where, fmt::format("the file is more than the {} bytes stride reads", max_bytes));
  }
  if (in.bad()) throw Error(where, "cannot read: read error");
  return bytes;
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  const SourceLoc where{path, 0, 0};
  const std::string temp_path = path + std::string(kTemporaryInfix) + std::to_string(::getpid());
  const auto fail = [&](const std::string& step) {
    throw Error(where, fmt::format("cannot write: {}: {}", step, std::strerror(errno)));
  };
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail(fmt::format("cannot create the temporary file {}", temp_path));
  TempFile temp(temp_path);
  const bool written = write_all(fd, bytes) && ::fsync(fd) == 0;
  const int saved_errno = errno;
  if (::close(fd) != 0 || !written) {
    if (!written) errno = saved_errno;
    fail(fmt::format("writing {}", temp_path));
  }
  if (::rename(temp_path.c_str(), path.c_str()) != 0)
    fail(fmt::format("renaming {} to {}", temp_path, path));
  temp.release();
  sync_directory_of(path);
}

std::optional<std::string_view> atomic_write_target(std::string_view name) {
  const std::size_t infix = name.rfind(kTemporaryInfix);
  if (infix == std::string_view::npos) return std::nullopt;
  const std::string_view pid = name.substr(infix + kTemporaryInfix.size());
  if (pid.empty() || pid.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return name.substr(0, infix);
}

}  // namespace stride
