// Terminal width as Keras 3 sees it (Python's shutil.get_terminal_size()).
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "cli.hpp"

namespace stride::cli {

int terminal_columns() {
  constexpr int kFallback = 80;
  if (const char* env = std::getenv("COLUMNS")) {
    // Python: int(os.environ['COLUMNS']), ignored unless it is a positive int.
    errno = 0;
    char* end = nullptr;
    long value = std::strtol(env, &end, 10);
    if (errno == 0 && end != env && *end == '\0' && value > 0 && value < 100000)
      return static_cast<int>(value);
  }
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return kFallback;
}

}  // namespace stride::cli
