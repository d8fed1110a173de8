// Keras files on the command line: predict through a .keras / .h5 model
// gives the same outputs as the Keras lines + .npz path, `stride convert`
// round trips are lossless, `train --save` writes the asked-for form, and
// bad files are one-line errors with exit status 2 that leave no output.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_runner.hpp"
#include "stride/stride.hpp"

namespace stride::test {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  return source_path("tests/data/keras/" + name);
}

class Convert : public testing::Test {
 protected:
  std::string path(const std::string& name) const { return (dir_.path() / name).string(); }
  // Runs `stride ARGS` and expects success.
  CliResult ok(const std::vector<std::string>& args) const {
    CliResult r = run_cli(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return r;
  }
  // The files in the temporary directory.
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_.path()))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  TempDir dir_;
};

TEST_F(Convert, PredictThroughKerasFilesEqualsTheNpzPath) {
  struct Case {
    std::vector<std::string> keras;  // MODEL [--weights W]
    std::vector<std::string> reference;
    const char* input;
  };
  const std::vector<Case> cases{
      {{fixture("k2_model.h5")},
       {fixture("k2_model.txt"), "--weights", fixture("k2_weights.npz")},
       "k2_input.npy"},
      {{fixture("k3_legacy.h5")},
       {fixture("k2_model.txt"), "--weights", fixture("k2_weights.npz")},
       "k2_input.npy"},
      {{fixture("k2_model.txt"), "--weights", fixture("k2_weights.h5")},
       {fixture("k2_model.txt"), "--weights", fixture("k2_weights.npz")},
       "k2_input.npy"},
      {{fixture("k3_model.keras")},
       {fixture("k3_model.txt"), "--weights", fixture("k3_weights.npz")},
       "k3_input.npy"},
      {{fixture("k3_model.txt"), "--weights", fixture("k3_model.weights.h5")},
       {fixture("k3_model.txt"), "--weights", fixture("k3_weights.npz")},
       "k3_input.npy"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> a{"predict"}, b{"predict"};
    a.insert(a.end(), c.keras.begin(), c.keras.end());
    b.insert(b.end(), c.reference.begin(), c.reference.end());
    for (auto* args : {&a, &b}) args->insert(args->end(), {"--input", fixture(c.input)});
    a.insert(a.end(), {"--output", path("a.npy")});
    b.insert(b.end(), {"--output", path("b.npy")});
    ok(a);
    ok(b);
    const Array ya = read_npy(path("a.npy")), yb = read_npy(path("b.npy"));
    EXPECT_EQ(ya, yb) << c.keras[0];
    // Not a trivial output: the samples differ from each other.
    const std::vector<float> values = ya.to_float();
    EXPECT_NE(values.front(), values[values.size() / 2]);
  }
}

TEST_F(Convert, WeightsOptionOverridesTheFilesWeights) {
  // The k3 weights do not fit the k2 model: --weights is read, not ignored.
  const CliResult r = run_cli({"predict", fixture("k2_model.h5"), "--weights",
                               fixture("k3_weights.npz"), "--input", fixture("k2_input.npy")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("k3_weights.npz"), std::string::npos) << r.err;
}

TEST_F(Convert, RoundTripsAreLossless) {
  const std::string reference = read_text(fixture("k3_weights.npz"));
  ok({"convert", fixture("k3_model.keras"), path("direct.npz")});
  EXPECT_EQ(read_npz(path("direct.npz")), read_npz(fixture("k3_weights.npz")));
  const std::string summary = ok({"summary", "--style", "keras3", fixture("k3_model.keras")}).out;
  for (const char* form : {"rt.keras", "rt.h5"}) {
    ok({"convert", fixture("k3_model.keras"), path(form)});
    ok({"convert", path(form), path("back.npz")});
    EXPECT_EQ(read_text(path("back.npz")), read_text(path("direct.npz"))) << form;
    EXPECT_EQ(ok({"summary", "--style", "keras3", path(form)}).out, summary) << form;
  }
  // From Keras lines + .npz to .weights.h5 and back.
  ok({"convert", fixture("k3_model.txt"), "--weights", fixture("k3_weights.npz"),
      path("w.weights.h5")});
  ok({"convert", fixture("k3_model.txt"), "--weights", path("w.weights.h5"), path("w.npz")});
  EXPECT_EQ(read_npz(path("w.npz")), read_npz(fixture("k3_weights.npz")));
  // Keras 2 legacy .h5 -> .keras -> legacy .h5 again.
  ok({"convert", fixture("k2_model.h5"), path("k2.keras")});
  ok({"convert", path("k2.keras"), path("k2.h5")});
  ok({"convert", path("k2.h5"), path("k2.npz")});
  EXPECT_EQ(read_npz(path("k2.npz")), read_npz(fixture("k2_weights.npz")));
}

TEST_F(Convert, JsonIsKeras3ToJson) {
  ok({"convert", fixture("k2_model.txt"), path("m.json")});  // no weights needed
  const Json json = Json::parse(read_text(path("m.json")));
  EXPECT_EQ(json["module"], "keras");
  EXPECT_EQ(json["class_name"], "Sequential");
  EXPECT_EQ(json["config"]["layers"].size(), 8u);  // InputLayer included
  EXPECT_EQ(ok({"summary", path("m.json")}).out, ok({"summary", fixture("k2_model.txt")}).out);
}

TEST_F(Convert, TrainSavesTheAskedForForm) {
  // Targets for the k3 model's three outputs.
  const std::string labels = path("y.npy");
  const std::vector<float> y{0.5f, -1, 2, 1, 0, -0.5f};
  write_npy(labels, Array::from_float({2, 3}, y.data()));
  const std::vector<std::string> train{"train",    fixture("k3_model.keras"),
                                       "--data",   fixture("k3_input.npy"),
                                       "--labels", labels,
                                       "--loss",   "mean_squared_error",
                                       "--epochs", "2"};
  auto with_save = [&](const std::string& out) {
    std::vector<std::string> args = train;
    args.insert(args.end(), {"--save", out});
    return args;
  };
  ok(with_save(path("t.npz")));
  ok(with_save(path("t.keras")));
  ok(with_save(path("t.h5")));
  ok(with_save(path("t.weights.h5")));
  // The training starts from the archive's weights and changes them.
  EXPECT_NE(read_npz(path("t.npz")), read_npz(fixture("k3_weights.npz")));
  for (const char* form : {"t.keras", "t.h5"}) {
    ok({"convert", path(form), path("c.npz")});
    EXPECT_EQ(read_npz(path("c.npz")), read_npz(path("t.npz"))) << form;
  }
  ok({"convert", fixture("k3_model.txt"), "--weights", path("t.weights.h5"), path("c.npz")});
  EXPECT_EQ(read_npz(path("c.npz")), read_npz(path("t.npz")));
}

TEST_F(Convert, EvaluateTakesTheWeightsOfAKerasFile) {
  const std::string labels = path("y.npy");
  const std::vector<float> y{0.5f, -1, 2, 1, 0, -0.5f};
  write_npy(labels, Array::from_float({2, 3}, y.data()));
  const CliResult keras = ok({"evaluate", fixture("k3_model.keras"), "--data",
                              fixture("k3_input.npy"), "--labels", labels, "--loss", "mse"});
  const CliResult npz =
      ok({"evaluate", fixture("k3_model.txt"), "--weights", fixture("k3_weights.npz"), "--data",
          fixture("k3_input.npy"), "--labels", labels, "--loss", "mse"});
  EXPECT_EQ(keras.out, npz.out);
  const CliResult none = run_cli({"evaluate", fixture("k3_model.txt"), "--data",
                                  fixture("k3_input.npy"), "--labels", labels, "--loss", "mse"});
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.err.find("--weights is required"), std::string::npos) << none.err;
}

// One line "error: ...", exit status 2, nothing written.
void expect_clean_failure(const CliResult& r, const std::string& mentions) {
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_TRUE(r.err.starts_with("error: ")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(mentions), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(Convert, BadFilesAreOneLineErrorsAndLeaveNoOutput) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"k3_no_weights.keras", "no member 'model.weights.h5'"},
      {"k3_no_config.keras", "no member 'config.json'"},
      {"k3_text_weights.keras", "model.weights.h5: not an HDF5 file"},
      {"k3_lstm.keras", "config.json:1:"},
      {"k2_bad_shape.h5", "/model_weights/dense/dense/kernel:0: has shape (5, 72)"},
      {"k2_bad_dtype.h5", "has dtype int32"},
  };
  for (const auto& [file, mentions] : cases)
    for (const char* out : {"o.keras", "o.h5", "o.npz"}) {
      expect_clean_failure(run_cli({"convert", fixture(file), path(out)}), mentions);
      expect_clean_failure(run_cli({"predict", fixture(file), "--input", fixture("k3_input.npy")}),
                           mentions);
    }
  EXPECT_TRUE(files().empty());
}

TEST_F(Convert, TruncatedFilesAreOneLineErrors) {
  for (const char* name : {"k3_model.keras", "k2_model.h5", "k3_model.weights.h5"}) {
    const std::string bytes = read_text(fixture(name));
    for (std::size_t n :
         {std::size_t{0}, std::size_t{8}, std::size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
      const std::string cut = dir_.file(std::string("cut_") + name, bytes.substr(0, n));
      const bool weights_only = std::string(name).ends_with(".weights.h5");
      const CliResult r =
          weights_only
              ? run_cli({"convert", fixture("k3_model.txt"), "--weights", cut, path("o.keras")})
              : run_cli({"convert", cut, path("o.keras")});
      expect_clean_failure(r, "cut_");
      EXPECT_FALSE(fs::exists(path("o.keras")));
    }
  }
}

TEST_F(Convert, RefusesWhatItCannotWrite) {
  expect_clean_failure(run_cli({"convert", fixture("k3_model.keras"), path("m.txt")}),
                       "cannot tell the form");
  expect_clean_failure(run_cli({"convert", fixture("k3_model.txt"), path("m.keras")}),
                       "holds no weights");
  EXPECT_TRUE(files().empty());
}

// corrupt_hang.h5 is a fuzzer-made mutation of k2_model.h5 on which libhdf5
// 1.10.8 loops forever (in its global heap, reading a variable-length string
// attribute): the watchdog turns that into the usual error.
TEST_F(Convert, AFileLibhdf5LoopsOnIsAnErrorAfterTheTimeLimit) {
  const CliResult r = run_cli({"convert", fixture("corrupt_hang.h5"), path("out.keras")}, "",
                              "STRIDE_HDF5_TIMEOUT_S=2");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, fmt::format("error: {}: reading its HDF5 data did not finish in 2 s; the file "
                               "is probably damaged (libhdf5 loops on some corrupt files)\n",
                               fixture("corrupt_hang.h5")));
  EXPECT_TRUE(files().empty());
}

}  // namespace
}  // namespace stride::test
