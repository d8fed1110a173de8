// `stride train` and `stride evaluate` end to end: a run killed with SIGKILL
// and resumed ends bit-identical to an uninterrupted one; checkpoints are
// never left half-written however the run dies; Ctrl-C stops and saves; the
// per-epoch lines; evaluate's figures against the PyTorch forward goldens;
// the errors.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <regex>
#include <thread>

#include "cli/cli_runner.hpp"
#include "kernels/internal.hpp"
#include "stride/npy.hpp"
#include "stride/random.hpp"

namespace stride::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const char* const kModel = R"(model = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    layers.Conv2D(4, 3, activation="relu"),
    layers.MaxPooling2D(2),
    layers.Flatten(),
    layers.Dropout(0.3),
    layers.Dense(3, activation="softmax"),
])
)";

// Wide enough that writing a checkpoint (weights + two Adam slots, ~6 MB)
// takes a while, so that kills land in the middle of writes.
const char* const kWideModel = R"(model = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    layers.Flatten(),
    layers.Dense(6000, activation="relu"),
    layers.Dense(3, activation="softmax"),
])
)";

bool wait_for(const std::function<bool()>& condition, std::chrono::seconds limit = 120s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

class Train : public testing::Test {
 protected:
  void SetUp() override {
    model_ = dir_.file("model.txt", kModel);
    // n images whose class is the brightest third of the columns.
    constexpr Dim n = 600;
    Random random(42);
    std::vector<float> x(n * 64);
    std::vector<std::int64_t> y(n);
    for (Dim i = 0; i < n; ++i) {
      y[i] = static_cast<std::int64_t>(random.below(3));
      for (Dim p = 0; p < 64; ++p)
        x[i * 64 + p] = static_cast<float>(random.uniform() * 0.6 + ((p % 8) / 3 == y[i]) * 0.4);
    }
    x_ = (dir_.path() / "x.npy").string();
    y_ = (dir_.path() / "y.npy").string();
    write_npy(x_, Array::from_float({n, 8, 8, 1}, x.data()));
    Array labels{DType::kInt64, {n}, std::vector<unsigned char>(n * 8)};
    std::memcpy(labels.bytes.data(), y.data(), labels.bytes.size());
    write_npy(y_, labels);
  }
  std::vector<std::string> train_args(const std::string& model,
                                      const std::vector<std::string>& extra,
                                      const std::string& batch_size = "16") const {
    std::vector<std::string> args{"train", model,          "--data",   x_,       "--labels",
                                  y_,      "--batch-size", batch_size, "--seed", "5"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  std::string path(const std::string& name) const { return (dir_.path() / name).string(); }

  TempDir dir_;
  std::string model_, x_, y_;
};

TEST_F(Train, KilledAndResumedRunIsBitIdentical) {
  const std::vector<std::string> common{"--epochs", "8", "--validation-split", "0.2"};
  auto args = [&](std::vector<std::string> more) {
    std::vector<std::string> a = train_args(model_, common);
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  const CliResult straight =
      run_cli(args({"--checkpoint", path("straight"), "--save", path("straight.npz"), "--history",
                    path("straight.csv")}));
  ASSERT_EQ(straight.status, 0) << straight.err;

  const std::string ckpt = path("killed");
  int killed_by = 0;
  {
    CliProcess run(args({"--checkpoint", ckpt, "--history", path("resumed.csv")}), dir_.path());
    // Kill it somewhere in epoch 3, after the second checkpoint.
    ASSERT_TRUE(wait_for([&] { return fs::exists(ckpt + "/epoch-0002.npz") || !run.running(); }));
    std::this_thread::sleep_for(5ms);
    run.signal(SIGKILL);
    const CliResult r = run.wait(&killed_by);
    ASSERT_EQ(killed_by, SIGKILL) << "the run ended before it could be killed: " << r.out << r.err;
  }
  ASSERT_FALSE(fs::exists(ckpt + "/epoch-0008.npz"));

  const CliResult resumed = run_cli(args({"--checkpoint", ckpt, "--resume", "--save",
                                          path("resumed.npz"), "--history", path("resumed.csv")}));
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("Resuming from " + ckpt + "/epoch-000"), std::string::npos)
      << resumed.out;
  const NamedArrays a = read_npz(path("straight.npz")), b = read_npz(path("resumed.npz"));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(a[i].second == b[i].second) << a[i].first << " differs";
  }
  // The checkpoints (optimizer state included) and the history agree too.
  EXPECT_EQ(read_text(path("straight") + "/epoch-0008.npz"), read_text(ckpt + "/epoch-0008.npz"));
  EXPECT_EQ(read_text(path("straight.csv")), read_text(path("resumed.csv")));
  const std::string history = read_text(path("resumed.csv"));
  EXPECT_EQ(std::count(history.begin(), history.end(), '\n'), 9);  // header + 8 epochs
}

// Killing the run at random moments, many of them inside a checkpoint
// write, never leaves a checkpoint that does not load; each resume goes on
// from the newest one and cleans up the temporary files of killed writes.
TEST_F(Train, CheckpointIsNeverHalfWritten) {
  const std::string wide = dir_.file("wide.txt", kWideModel);
  const std::string ckpt = path("ckpt");
  Random random(9);
  Dim last_epoch = 0;
  for (int attempt = 0; attempt < 6; ++attempt) {
    {
      CliProcess run(
          train_args(wide, {"--epochs", "100000", "--checkpoint", ckpt, "--resume"}, "600"),
          dir_.path());
      ASSERT_TRUE(wait_for([&] {
        return fs::exists(fmt::format("{}/epoch-{:04d}.npz", ckpt, last_epoch + 1)) ||
               !run.running();
      }));
      std::this_thread::sleep_for(std::chrono::milliseconds(random.below(150)));
      run.signal(SIGKILL);
      int killed_by = 0;
      const CliResult r = run.wait(&killed_by);
      ASSERT_EQ(killed_by, SIGKILL) << r.out << r.err;
    }
    int temporaries = 0;
    Dim newest = 0;
    for (const fs::directory_entry& entry : fs::directory_iterator(ckpt)) {
      const std::string name = entry.path().filename().string();
      if (name.find(".tmp.") != std::string::npos) {
        ++temporaries;
        continue;
      }
      // Every checkpoint there is whole: it reads, and loads as weights.
      const NamedArrays arrays = read_npz(entry.path().string());
      EXPECT_EQ(arrays.size(), 20u) << name;  // 4 weights, 8 slots + iterations, 5 + 2 history
      newest = std::max<Dim>(newest, std::stoll(name.substr(6, 4)));
    }
    EXPECT_LE(temporaries, 1);  // at most the write the kill interrupted
    EXPECT_GT(newest, last_epoch);
    last_epoch = newest;
  }
  const CliResult evaluated =
      run_cli({"evaluate", wide, "--weights", fmt::format("{}/epoch-{:04d}.npz", ckpt, last_epoch),
               "--data", x_, "--labels", y_});
  EXPECT_EQ(evaluated.status, 0) << evaluated.err;
  // A resumed run that writes a checkpoint removes what killed writes left.
  const CliResult finish = run_cli(train_args(
      wide, {"--epochs", std::to_string(last_epoch + 1), "--checkpoint", ckpt, "--resume"}, "600"));
  ASSERT_EQ(finish.status, 0) << finish.err;
  for (const fs::directory_entry& entry : fs::directory_iterator(ckpt))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
}

TEST_F(Train, CtrlCStopsAfterTheBatchAndSaves) {
  const std::string ckpt = path("ckpt"), saved = path("saved.npz");
  CliProcess run(train_args(model_, {"--epochs", "100000", "--checkpoint", ckpt, "--save", saved}),
                 dir_.path());
  ASSERT_TRUE(wait_for([&] { return fs::exists(ckpt + "/epoch-0001.npz") || !run.running(); }));
  run.signal(SIGINT);
  const CliResult r = run.wait();
  EXPECT_EQ(r.status, 130) << r.err;
  EXPECT_NE(r.out.find("Interrupted in epoch "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("weights saved to " + saved), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(continue with --resume)"), std::string::npos) << r.out;
  const CliResult evaluated =
      run_cli({"evaluate", model_, "--weights", saved, "--data", x_, "--labels", y_});
  EXPECT_EQ(evaluated.status, 0) << evaluated.err;
}

// stride's own kernels give the same result whatever the thread count.
TEST_F(Train, ThreadCountDoesNotChangeTheResultOfStridesOwnKernels) {
  for (const char* threads : {"1", "2", "3"}) {
    const CliResult r = run_cli(train_args(model_, {"--epochs", "2", "--threads", threads, "--save",
                                                    path(std::string(threads) + ".npz")}),
                                "", "STRIDE_ONEDNN=0");
    ASSERT_EQ(r.status, 0) << r.err;
  }
  EXPECT_EQ(read_text(path("1.npz")), read_text(path("2.npz")));
  EXPECT_EQ(read_text(path("1.npz")), read_text(path("3.npz")));
  EXPECT_EQ(run_cli(train_args(model_, {"--threads", "0"})).status, 2);
}

// With oneDNN too (the default build), a given thread count repeats exactly.
// Where stride's direct kernel computes the convolution kernel gradients
// (AVX2 CPUs), the counts agree with each other as well.
TEST_F(Train, AThreadCountRepeatsItsResultExactly) {
  for (const char* threads : {"1", "2", "3"}) {
    for (const char* run : {"a", "b"}) {
      const CliResult r =
          run_cli(train_args(model_, {"--epochs", "2", "--threads", threads, "--save",
                                      path(std::string(threads) + run + ".npz")}));
      ASSERT_EQ(r.status, 0) << r.err;
    }
    EXPECT_EQ(read_text(path(std::string(threads) + "a.npz")),
              read_text(path(std::string(threads) + "b.npz")))
        << threads << " thread(s)";
  }
  float x = 1.0f, dy = 1.0f, dk = 0.0f;
  kernels::ConvGeometry g;
  if (!kernels::detail::conv_backward_kernel_direct(g, &x, &dy, &dk)) return;  // no AVX2
  EXPECT_EQ(read_text(path("1a.npz")), read_text(path("2a.npz")));
  EXPECT_EQ(read_text(path("1a.npz")), read_text(path("3a.npz")));
}

TEST_F(Train, OneLinePerEpochWhenNotATerminal) {
  const CliResult r =
      run_cli(train_args(model_, {"--epochs", "2", "--validation-split", "0.25", "--optimizer",
                                  "sgd", "--learning-rate", "0.05"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const std::regex epoch_line(
      R"(Epoch [12]/2 - 29/29 - \d+s - \d+(us|ms|s)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4} )"
      R"(- val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4})");
  std::istringstream lines(r.out);
  std::string line;
  int epochs = 0;
  while (std::getline(lines, line)) {
    if (line.starts_with("Epoch ")) {
      EXPECT_TRUE(std::regex_match(line, epoch_line)) << line;
      ++epochs;
    }
  }
  EXPECT_EQ(epochs, 2);
  EXPECT_NE(r.out.find("Trained 900 examples in "), std::string::npos) << r.out;  // 2 x 450
}

// evaluate's loss and accuracy from the PyTorch forward golden of the MNIST
// convnet: with labels [argmax of output 0, another class for output 1],
// accuracy is 0.5 and the loss is the mean of -log p(label).
TEST_F(Train, EvaluateMatchesTheForwardGolden) {
  const std::string golden = source_path("tests/golden/forward/mnist_convnet");
  const NamedArrays io = read_npz(golden + ".io.npz");
  const Array& input = io[0].first == "input" ? io[0].second : io[1].second;
  const std::vector<float> out = (io[0].first == "output" ? io[0].second : io[1].second).to_float();
  ASSERT_EQ(out.size(), 20u);
  auto argmax = [&](int row) {
    return static_cast<std::int64_t>(
        std::max_element(out.begin() + row * 10, out.begin() + row * 10 + 10) -
        (out.begin() + row * 10));
  };
  const std::int64_t labels[2] = {argmax(0), (argmax(1) + 1) % 10};
  const double loss = -(std::log(out[labels[0]]) + std::log(out[10 + labels[1]])) / 2;
  write_npy(path("gx.npy"), input);
  Array y{DType::kInt64, {2}, std::vector<unsigned char>(16)};
  std::memcpy(y.bytes.data(), labels, 16);
  write_npy(path("gy.npy"), y);
  const CliResult r =
      run_cli({"evaluate", source_path("examples/mnist_convnet.txt"), "--weights",
               golden + ".weights.npz", "--data", path("gx.npy"), "--labels", path("gy.npy")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("2 examples\naccuracy: 0.5000\n" + fmt::format("loss: {:.4f}\n", loss)),
            std::string::npos)
      << r.out;
  // Row labels[1] has its one example in column argmax(1).
  std::string row = fmt::format("{:<4}", labels[1]);
  for (int c = 0; c < 10; ++c) row += fmt::format(" {:>3}", c == argmax(1) ? 1 : 0);
  EXPECT_NE(r.out.find(row + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Confusion matrix (rows: true class, columns: predicted class):"),
            std::string::npos);
}

// A damaged checkpoint is named in the error, not the labels file the
// training run is reported under.
TEST_F(Train, DamagedCheckpointIsNamed) {
  const std::string ckpt = path("ckpt");
  fs::create_directories(ckpt);
  write_text(ckpt + "/epoch-0002.npz", "PK\x03\x04 truncated");
  const CliResult r =
      run_cli(train_args(model_, {"--epochs", "3", "--checkpoint", ckpt, "--resume"}));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("error: " + ckpt + "/epoch-0002.npz: ", 0), 0u) << r.err;
}

TEST_F(Train, FailuresAreOneLineBeforeAnyTraining) {
  const std::string floats = path("floats.npy");
  std::vector<float> f(600, 0.5f);
  write_npy(floats, Array::from_float({600}, f.data()));
  const std::string short_labels = path("short.npy");
  write_npy(short_labels, Array::from_float({5}, f.data()));
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{"train", model_, "--dataset", "fashion-mnist", "--dataset-dir", "/nonexistent"},
       "apt-get install dataset-fashion-mnist"},
      {{"train", model_, "--dataset", "cifar"}, "unknown dataset 'cifar'"},
      {{"train", model_}, "no data: give --dataset fashion-mnist, or --data X.npy and --labels"},
      {{"train", model_, "--data", x_, "--labels", y_, "--resume"},
       "--resume needs --checkpoint DIR"},
      {{"train", model_, "--data", x_, "--labels", floats},
       floats + ": labels of shape (600,) are neither class indices nor one-hot rows"},
      {{"train", model_, "--data", x_, "--labels", short_labels}, short_labels},
      {{"train", model_, "--data", x_, "--labels", y_, "--loss", "hinge"}, "unknown loss 'hinge'"},
      {{"train", model_, "--data", x_, "--labels", y_, "--optimizer", "lion"}, "lion"},
      {{"train", model_, "--data", x_, "--labels", y_, "--save", "/nonexistent/w.npz"},
       "/nonexistent"},
      {{"train", model_, "--data", x_, "--labels", y_, "--metrics", "auc"}, "unknown metric 'auc'"},
      {{"evaluate", model_, "--data", x_, "--labels", y_}, "--weights is required"},
  };
  for (const Case& c : cases) {
    const CliResult r = run_cli(c.args);
    EXPECT_EQ(r.status, 2) << c.expect;
    EXPECT_EQ(r.out, "") << c.expect;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace stride::test
