// `stride train` end to end against PyTorch: for every case of
// tests/golden/train/cases.txt (made by scripts/make_train_goldens.py, float64
// autograd with Keras 3 semantics written out), one SGD step and one Adam step
// on the whole batch from the given initial weights. Every weight afterwards,
// BatchNormalization's moving statistics included, must match the reference
// within 1e-5 relative.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_runner.hpp"
#include "stride/npy.hpp"

namespace stride::test {
namespace {

namespace fs = std::filesystem;

const std::string kGoldenDir = source_path("tests/golden/train");

// One line of cases.txt: the flags a case is trained with.
struct TrainCase {
  std::string name, loss, batch_size, sgd_learning_rate, adam_learning_rate;
};

std::vector<TrainCase> train_cases() {
  std::ifstream in(kGoldenDir + "/cases.txt");
  std::vector<TrainCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    TrainCase c;
    fields >> c.name >> c.loss >> c.batch_size >> c.sgd_learning_rate >> c.adam_learning_rate;
    cases.push_back(c);
  }
  return cases;
}

struct TrainRun {
  TrainCase c;
  std::string optimizer;  // "sgd" or "adam"
  std::string base() const { return kGoldenDir + "/" + c.name; }
  std::string learning_rate() const {
    return optimizer == "sgd" ? c.sgd_learning_rate : c.adam_learning_rate;
  }
};

void PrintTo(const TrainRun& run, std::ostream* os) {
  *os << run.c.name << " " << run.optimizer;
}

std::vector<TrainRun> train_runs() {
  std::vector<TrainRun> runs;
  for (const TrainCase& c : train_cases())
    for (const char* optimizer : {"sgd", "adam"}) runs.push_back({c, optimizer});
  return runs;
}

std::map<std::string, Array> by_name(const NamedArrays& arrays) {
  return {arrays.begin(), arrays.end()};
}

std::vector<std::string> names_of(const std::map<std::string, Array>& arrays) {
  std::vector<std::string> names;
  for (const auto& [name, array] : arrays) names.push_back(name);
  return names;
}

// The largest |a - b| over the elements of two arrays of one shape.
double max_difference(const Array& a, const Array& b) {
  const std::vector<float> x = a.to_float(), y = b.to_float();
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    worst = std::max(worst, std::abs(double(x[i]) - double(y[i])));
  return worst;
}

class TrainGolden : public testing::TestWithParam<TrainRun> {};

TEST_P(TrainGolden, OneStepMatchesPyTorch) {
  const TrainRun& run = GetParam();
  const std::string base = run.base();
  TempDir dir;
  const std::string out = (dir.path() / "trained.npz").string();
  const CliResult r = run_cli({"train",
                               base + ".txt",
                               "--data",
                               base + ".x.npy",
                               "--labels",
                               base + ".y.npy",
                               "--loss",
                               run.c.loss,
                               "--optimizer",
                               run.optimizer,
                               "--learning-rate",
                               run.learning_rate(),
                               "--epochs",
                               "1",
                               "--batch-size",
                               run.c.batch_size,
                               "--no-shuffle",
                               "--weights",
                               base + ".init.npz",
                               "--save",
                               out});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::map<std::string, Array> got = by_name(read_npz(out));
  const std::map<std::string, Array> want = by_name(read_npz(base + "." + run.optimizer + ".npz"));
  EXPECT_EQ(names_of(got), names_of(want));
  for (const auto& [name, expected] : want) {
    const auto it = got.find(name);
    if (it == got.end()) continue;  // reported by the names above
    ASSERT_EQ(it->second.shape, expected.shape) << name;
    const std::vector<float> g = it->second.to_float(), w = expected.to_float();
    int reported = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const double tolerance = 1e-5 * std::max(1.0, std::abs(double(w[i])));
      if (!(std::abs(double(g[i]) - double(w[i])) <= tolerance) && reported++ < 5)
        ADD_FAILURE() << name << ": element " << i << " is " << g[i] << ", want " << w[i];
    }
  }
}

// The comparison above means something only if the step moves the weights
// well beyond its tolerance: every array of every case moves by more than
// 1e-4 somewhere (the script asserts the same before writing).
TEST_P(TrainGolden, ReferenceStepMovesEveryWeight) {
  const TrainRun& run = GetParam();
  const std::map<std::string, Array> init = by_name(read_npz(run.base() + ".init.npz"));
  const std::map<std::string, Array> after =
      by_name(read_npz(run.base() + "." + run.optimizer + ".npz"));
  ASSERT_EQ(names_of(init), names_of(after));
  for (const auto& [name, start] : init) {
    ASSERT_EQ(after.at(name).shape, start.shape) << name;
    EXPECT_GT(max_difference(after.at(name), start), 1e-4) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, TrainGolden, testing::ValuesIn(train_runs()),
                         [](const testing::TestParamInfo<TrainRun>& info) {
                           return info.param.c.name + "_" + info.param.optimizer;
                         });

// cases.txt lists every model of the directory, so no case is silently left out.
TEST(TrainGoldenCases, ListEveryModelInTheDirectory) {
  std::vector<std::string> listed, models;
  for (const TrainCase& c : train_cases()) {
    listed.push_back(c.name);
    EXPECT_TRUE(c.loss == "sparse_categorical_crossentropy" ||
                c.loss == "categorical_crossentropy" || c.loss == "mean_squared_error")
        << c.name << ": " << c.loss;
    EXPECT_FALSE(c.adam_learning_rate.empty()) << c.name;
  }
  for (const auto& entry : fs::directory_iterator(kGoldenDir))
    if (entry.path().extension() == ".txt" && entry.path().filename() != "cases.txt")
      models.push_back(entry.path().stem().string());
  std::sort(listed.begin(), listed.end());
  std::sort(models.begin(), models.end());
  EXPECT_EQ(listed, models);
  EXPECT_GE(listed.size(), 3u);
}

}  // namespace
}  // namespace stride::test
