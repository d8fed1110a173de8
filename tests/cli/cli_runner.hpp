// Runs the built `stride` binary (STRIDE_CLI_PATH) the way a user would, from
// a shell, capturing its exit status, stdout and stderr separately.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace stride::test {

struct CliResult {
  int status = -1;  // exit status; -1 if it did not exit normally (a crash)
  std::string out, err;
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string source_path(const std::string& relative) {
  return std::string(STRIDE_SOURCE_DIR) + "/" + relative;
}

// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "stride-cli-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) ? pattern : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes `text` to a file in the directory and returns its path.
  std::string file(const std::string& name, const std::string& text) const {
    write_text(path_ / name, text);
    return (path_ / name).string();
  }

 private:
  std::filesystem::path path_;
};

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// `env` is a prefix such as "COLUMNS=100"; COLUMNS is unset otherwise so that
// the result does not depend on the terminal running the tests.
inline CliResult run_cli(const std::vector<std::string>& args, const std::string& stdin_text = "",
                         const std::string& env = "") {
  TempDir tmp;
  const std::string in = tmp.file("stdin", stdin_text);
  // Appends only: GCC 12 warns falsely (-Wstringop-overflow) on "literal" + std::string&&.
  std::string command = "env -u COLUMNS STRIDE_NO_BUILD_WARNING=1 ";
  command += env;
  command += " ";
  command += shell_quote(STRIDE_CLI_PATH);
  for (const std::string& a : args) {
    command += ' ';
    command += shell_quote(a);
  }
  command += " <" + shell_quote(in) + " >" + shell_quote((tmp.path() / "out").string()) + " 2>" +
             shell_quote((tmp.path() / "err").string());
  const int raw = std::system(command.c_str());
  CliResult r;
  r.status = raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_text(tmp.path() / "out");
  r.err = read_text(tmp.path() / "err");
  return r;
}

// `stride ARGS...` started in the background (stdout and stderr to files in
// `dir`), for tests that interrupt or kill it.
class CliProcess {
 public:
  CliProcess(const std::vector<std::string>& args, const std::filesystem::path& dir)
      : out_(dir / "process.out"), err_(dir / "process.err") {
    pid_ = fork();
    if (pid_ == 0) {
      std::freopen(out_.c_str(), "w", stdout);
      std::freopen(err_.c_str(), "w", stderr);
      unsetenv("COLUMNS");
      setenv("STRIDE_NO_BUILD_WARNING", "1", 1);
      std::vector<char*> argv{const_cast<char*>(STRIDE_CLI_PATH)};
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(STRIDE_CLI_PATH, argv.data());
      _exit(127);
    }
  }
  ~CliProcess() {
    if (pid_ > 0 && !waited_) {
      kill(pid_, SIGKILL);
      wait();
    }
  }
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  void signal(int sig) const { kill(pid_, sig); }
  bool running() {
    if (!waited_ && waitpid(pid_, &raw_, WNOHANG) == pid_) waited_ = true;
    return !waited_;
  }
  // Waits for the end; the status is -1 when a signal ended it (then in *killed_by).
  CliResult wait(int* killed_by = nullptr) {
    if (!waited_) waitpid(pid_, &raw_, 0);
    waited_ = true;
    if (killed_by) *killed_by = WIFSIGNALED(raw_) ? WTERMSIG(raw_) : 0;
    return {WIFEXITED(raw_) ? WEXITSTATUS(raw_) : -1, read_text(out_), read_text(err_)};
  }

 private:
  std::filesystem::path out_, err_;
  pid_t pid_ = -1;
  int raw_ = 0;
  bool waited_ = false;
};

}  // namespace stride::test
