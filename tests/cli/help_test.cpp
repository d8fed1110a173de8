// `--help` of every command carries examples, and the man page documents every
// command and option that `--help` lists (so neither drifts from the other).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "cli/cli_runner.hpp"

namespace stride::test {
namespace {

// The commands `stride --help` lists under "Subcommands:".
std::vector<std::string> commands() {
  const CliResult r = run_cli({"--help"});
  EXPECT_EQ(r.status, 0);
  std::vector<std::string> names;
  const std::size_t start = r.out.find("Subcommands:\n");
  if (start == std::string::npos) return names;
  std::istringstream lines(r.out.substr(start + 13));
  std::string line;
  const std::regex entry(R"(^  ([a-z]+)\s)");
  std::smatch m;
  while (std::getline(lines, line) && !line.empty())
    if (std::regex_search(line, m, entry)) names.push_back(m[1]);
  return names;
}

// "--batch-size" for every option the command's --help lists, --help excepted.
std::set<std::string> options_of(const std::string& command) {
  const CliResult r = run_cli({command, "--help"});
  EXPECT_EQ(r.status, 0) << command;
  std::set<std::string> options;
  const std::regex option(R"(--[a-z][a-z-]*)");
  const std::string table = r.out.substr(0, r.out.find("Examples:"));
  for (std::sregex_iterator it(table.begin(), table.end(), option), end; it != end; ++it)
    if (it->str() != "--help") options.insert(it->str());
  return options;
}

// troff writes a literal '-' as "\-".
std::string troff(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

TEST(CliHelp, ListsTheCommands) {
  const std::vector<std::string> names = commands();
  for (const char* expected : {"summary", "explain", "predict", "train", "evaluate", "layers"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
}

TEST(CliHelp, AnUnknownCommandIsNamedWithTheCommandsThereAre) {
  const CliResult r = run_cli({"frobnicate", "x"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, fmt::format("error: unknown command 'frobnicate' (commands: {}) (run 'stride "
                               "--help' for usage)\n",
                               fmt::join(commands(), ", ")));
}

TEST(CliHelp, EveryCommandShowsExamplesOfItself) {
  for (const std::string& command : commands()) {
    const CliResult r = run_cli({command, "--help"});
    ASSERT_EQ(r.status, 0) << command;
    const std::size_t examples = r.out.find("\nExamples:\n");
    ASSERT_NE(examples, std::string::npos) << command;
    EXPECT_NE(r.out.find(fmt::format("  stride {} ", command), examples), std::string::npos)
        << command;
  }
}

TEST(ManPage, DocumentsEveryCommandAndOption) {
  const std::string man = read_text(source_path("man/stride.1"));
  ASSERT_FALSE(man.empty());
  for (const std::string& command : commands()) {
    EXPECT_NE(man.find(fmt::format(".SS \"{}", command)), std::string::npos)
        << "no section for " << command;
    EXPECT_NE(man.find(fmt::format(".B stride {}", command)), std::string::npos)
        << "not in SYNOPSIS: " << command;
    for (const std::string& option : options_of(command))
      EXPECT_NE(man.find(troff(option)), std::string::npos)
          << command << " " << option << " is not in man/stride.1";
  }
}

TEST(ManPage, RendersWithoutWarnings) {
  // groff (Debian's groff-base, which man-db needs) checks the macros.
  const std::string command =
      fmt::format("groff -man -Tutf8 -ww -z {} 2>&1", shell_quote(source_path("man/stride.1")));
  std::FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string warnings;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe)) warnings += buffer;
  EXPECT_EQ(pclose(pipe), 0) << "is groff installed? (scripts/test.sh installs groff-base)";
  EXPECT_EQ(warnings, "");
}

}  // namespace
}  // namespace stride::test
