// `stride predict` end to end: the Keras MNIST convnet with PyTorch-made
// reference weights, input and output (tests/golden/forward/mnist_convnet.*),
// and the ways a run must fail without leaving an output file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "cli/cli_runner.hpp"
#include "stride/npy.hpp"

namespace stride::test {
namespace {

namespace fs = std::filesystem;

const std::string kGolden = source_path("tests/golden/forward/mnist_convnet");

const Array& member(const NamedArrays& arrays, const std::string& key) {
  for (const auto& [name, array] : arrays)
    if (name == key) return array;
  throw Error("no array " + key);
}

class Predict : public testing::Test {
 protected:
  void SetUp() override {
    const NamedArrays io = read_npz(kGolden + ".io.npz");
    input_ = member(io, "input");
    expected_ = member(io, "output");
    input_path_ = (dir_.path() / "x.npy").string();
    write_npy(input_path_, input_);
  }
  TempDir dir_;
  Array input_, expected_;
  std::string input_path_;
};

TEST_F(Predict, MnistConvnetMatchesPyTorchReference) {
  const std::string out = (dir_.path() / "y.npy").string();
  for (const char* batch : {"32", "1"}) {
    const CliResult r = run_cli({"predict", source_path("examples/mnist_convnet.txt"), "--weights",
                                 kGolden + ".weights.npz", "--input", input_path_, "--output", out,
                                 "--batch-size", batch});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");
    const Array y = read_npy(out);
    ASSERT_EQ(y.shape, expected_.shape);
    const std::vector<float> got = y.to_float(), want = expected_.to_float();
    for (std::size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.0f, std::abs(want[i]))) << "batch " << batch;
  }
}

TEST_F(Predict, PrintsOneLinePerSampleWithoutOutput) {
  const CliResult r = run_cli({"predict", source_path("examples/mnist_convnet.txt"), "--weights",
                               kGolden + ".weights.npz", "--input", input_path_});
  ASSERT_EQ(r.status, 0) << r.err;
  const Dim samples = input_.shape[0];
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), samples);
  // Softmax rows: each line's ten values sum to 1.
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream values(line);
    double v, sum = 0;
    int n = 0;
    while (values >> v) sum += v, ++n;
    EXPECT_EQ(n, 10);
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

TEST_F(Predict, SeededInitializationIsReproducible) {
  const auto run = [&](const char* seed) {
    return run_cli({"predict", source_path("examples/mnist_convnet.txt"), "--input", input_path_,
                    "--seed", seed});
  };
  const CliResult a = run("7"), b = run("7"), c = run("8");
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
}

TEST_F(Predict, ReferencePathAgrees) {
  const std::string out = (dir_.path() / "ref.npy").string();
  const CliResult r =
      run_cli({"predict", source_path("examples/mnist_convnet.txt"), "--weights",
               kGolden + ".weights.npz", "--input", input_path_, "--output", out, "--reference"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<float> got = read_npy(out).to_float(), want = expected_.to_float();
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.0f, std::abs(want[i])));
}

struct BadRun {
  std::string name;
  std::vector<std::string> args;  // "{x}" = a good input, "{out}" = the output path
  std::string expect;             // substring of the one-line error
};

TEST_F(Predict, FailuresAreOneLineAndLeaveNoOutput) {
  const std::string wrong_shape = (dir_.path() / "wrong.npy").string();
  write_npy(wrong_shape, Array::from_float({2, 28, 28}, std::vector<float>(2 * 28 * 28).data()));
  const std::string truncated = dir_.file("truncated.npy", read_text(input_path_).substr(0, 100));
  // An empty array (a zero dimension) whose other dimensions no tensor takes.
  const std::string unrepresentable = (dir_.path() / "unrepresentable.npy").string();
  write_npy(unrepresentable, Array{.shape = {9223372036854775807, 2, 0}});
  const std::string bad_weights = source_path("tests/golden/forward/conv1d_valid.weights.npz");
  const std::string model = source_path("examples/mnist_convnet.txt");
  const std::vector<BadRun> runs = {
      {"shape",
       {"--input", wrong_shape},
       "input of shape (2, 28, 28) does not fit model 'sequential', which expects (None, 28, 28, "
       "1)"},
      {"truncated", {"--input", truncated}, "truncated.npy"},
      {"tensor refuses the shape",
       {"--input", unrepresentable},
       "unrepresentable.npy: tensor size overflows 64 bits"},
      {"missing input", {"--input", "/nonexistent/x.npy"}, "/nonexistent/x.npy"},
      {"wrong weights",
       {"--input", "{x}", "--weights", bad_weights},
       "missing weight 'conv2d/kernel' (shape (3, 3, 1, 32))"},
      {"no output dir", {"--input", "{x}", "--output", "/nonexistent/dir/y.npy"}, "y.npy"},
  };
  for (const BadRun& run : runs) {
    const std::string out = (dir_.path() / "y.npy").string();
    std::vector<std::string> args{"predict", model};
    for (const std::string& a : run.args) args.push_back(a == "{x}" ? input_path_ : a);
    if (std::find(args.begin(), args.end(), "--output") == args.end())
      args.insert(args.end(), {"--output", out});
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.status, 2) << run.name;
    EXPECT_EQ(r.out, "") << run.name;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << run.name << ": " << r.err;
    EXPECT_NE(r.err.find(run.expect), std::string::npos) << run.name << ": " << r.err;
    EXPECT_FALSE(fs::exists(out)) << run.name;
  }
  // An existing output file survives a failed run untouched.
  const std::string kept = dir_.file("kept.npy", "precious");
  const CliResult r = run_cli({"predict", model, "--input", wrong_shape, "--output", kept});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(read_text(kept), "precious");
}

}  // namespace
}  // namespace stride::test
