// `stride plot`: the model, volumes and history pictures written through the
// CLI, and its errors: one line, exit status 2, no output file left behind.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_runner.hpp"
#include "plot/xml_check.hpp"

namespace stride::test {
namespace {

namespace fs = std::filesystem;

const std::string kMnist = source_path("examples/mnist_convnet.txt");

std::size_t count_groups(const XmlElement& svg, const std::string& cls) {
  return svg.find_all([&](const XmlElement& e) { return e.name == "g" && e.has_class(cls); })
      .size();
}

TEST(PlotCli, ModelToFileAndToStandardOutput) {
  TempDir dir;
  const std::string out = (dir.path() / "model.svg").string();
  const CliResult r = run_cli({"plot", kMnist, "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  const std::string file = read_text(out);
  EXPECT_EQ(count_groups(parse_xml(file), "layer"), 7u);
  const CliResult piped = run_cli({"plot", kMnist});
  ASSERT_EQ(piped.status, 0) << piped.err;
  EXPECT_EQ(piped.out, file);
  // From standard input too.
  const CliResult stdin_model = run_cli({"plot", "-"}, read_text(kMnist));
  EXPECT_EQ(stdin_model.out, file);
}

TEST(PlotCli, Volumes) {
  TempDir dir;
  const std::string out = (dir.path() / "v.svg").string();
  const CliResult r = run_cli({"plot", kMnist, "--volumes", "--output", out});
  ASSERT_EQ(r.status, 0) << r.err;
  const XmlElement svg = parse_xml(read_text(out));
  EXPECT_EQ(count_groups(svg, "volume"), 5u);
  EXPECT_EQ(count_groups(svg, "bar"), 2u);
}

TEST(PlotCli, History) {
  TempDir dir;
  const std::string csv = dir.file("h.csv", "epoch,accuracy,loss\n0,0.5,1.0\n1,0.75,0.5\n");
  const std::string out = (dir.path() / "h.svg").string();
  const CliResult r = run_cli({"plot", "--history", csv, "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(count_groups(parse_xml(read_text(out)), "panel"), 2u);
}

TEST(PlotCli, ErrorsAreOneLineAndLeaveNoFile) {
  TempDir dir;
  const std::string out = (dir.path() / "out.svg").string();
  const std::string bad_csv = dir.file("bad.csv", "epoch,loss\n0,1.0\n1,x\n");
  const std::string bad_model = dir.file("bad.txt", "model.add(Conv2D(8, 3))\n");
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const Case cases[] = {
      {{"plot", "-o", out}, "error: plot: give a MODEL file or --history H.csv (one of them)"},
      {{"plot", kMnist, "--history", bad_csv, "-o", out}, "error: plot: give a MODEL file"},
      {{"plot", "--history", bad_csv, "--volumes", "-o", out},
       "error: plot: --volumes draws a model, not a --history"},
      {{"plot", "--history", bad_csv, "-o", out},
       "error: " + bad_csv + ":3:3: 'x' in column 'loss' is not a number\n"},
      {{"plot", "--history", (dir.path() / "none.csv").string(), "-o", out},
       "error: " + (dir.path() / "none.csv").string() + ": no such file\n"},
      {{"plot", bad_model, "-o", out},
       "error: " + bad_model + ":1:11: the model has no input shape"},
      {{"plot", kMnist, "-o", (dir.path() / "no/dir/x.svg").string()},
       "error: " + (dir.path() / "no/dir/x.svg").string() + ": cannot write"},
  };
  for (const Case& c : cases) {
    const CliResult r = run_cli(c.args);
    EXPECT_EQ(r.status, 2) << c.error;
    EXPECT_EQ(r.err.rfind(c.error, 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(fs::exists(out)) << c.error;
  }
  // Nothing else was written next to the output.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), {}), 2);
}

TEST(PlotCli, FailureLeavesAnExistingFileAlone) {
  TempDir dir;
  const std::string out = dir.file("keep.svg", "old");
  const std::string bad_csv = dir.file("bad.csv", "epoch,loss\n");
  EXPECT_EQ(run_cli({"plot", "--history", bad_csv, "-o", out}).status, 2);
  EXPECT_EQ(read_text(out), "old");
}

}  // namespace
}  // namespace stride::test
