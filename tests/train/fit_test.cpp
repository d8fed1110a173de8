// fit / evaluate in the C++ API: batching, the epoch averages Keras reports,
// validation, determinism from the seed, checkpoints and resuming, stopping,
// and the errors. The per-step arithmetic itself is checked against PyTorch
// in tests/cli/train_golden_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cli/cli_runner.hpp"  // TempDir, read_text
#include "stride/stride.hpp"
#include "test_util.hpp"

namespace stride {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using test::TempDir;

// A small classifier with dropout: 6x6x1 images, 3 classes.
Sequential classifier() {
  Sequential m;
  m.input({6, 6, 1});
  m.add("Conv2D(4, 3, activation='relu')");
  m.add("MaxPooling2D(2)");
  m.add("Flatten()");
  m.add("Dropout(0.25)");
  m.add("Dense(3, activation='softmax')");
  m.build();
  m.initialize_weights(7);
  return m;
}

// n images whose class is which third of the image is brightest.
Dataset three_class_data(Dim n, std::uint64_t seed) {
  Random random(seed);
  Dataset d{Tensor({n, 6, 6, 1}), Tensor({n})};
  for (Dim i = 0; i < n; ++i) {
    const Dim label = static_cast<Dim>(random.below(3));
    d.y[i] = static_cast<float>(label);
    for (Dim r = 0; r < 6; ++r)
      for (Dim c = 0; c < 6; ++c)
        d.x[(i * 6 + r) * 6 + c] =
            static_cast<float>(random.uniform() * 0.5 + (c / 2 == label ? 0.5 : 0.0));
  }
  return d;
}

std::vector<float> weights_of(const Sequential& m) {
  return m.parameters().values();
}

struct Trainer {
  Sequential model = classifier();
  std::unique_ptr<Loss> loss = make_loss("sparse_categorical_crossentropy");
  std::unique_ptr<Optimizer> optimizer = make_optimizer("adam");
  History fit(const Dataset& d, const FitOptions& o) {
    return stride::fit(model, *loss, *optimizer, d, o);
  }
};

TEST(Fit, BatchesCoverTheDataWithASmallerLastBatch) {
  Trainer run;
  std::vector<Progress> batches;
  FitOptions o{.epochs = 2, .batch_size = 4};
  o.callbacks.on_batch_end = [&](const Progress& p) { batches.push_back(p); };
  const History h = run.fit(three_class_data(10, 1), o);
  ASSERT_EQ(batches.size(), 6u);  // ceil(10 / 4) = 3 per epoch
  EXPECT_EQ(batches[2].step, 3);
  EXPECT_EQ(batches[2].steps, 3);
  EXPECT_EQ(batches[3].epoch, 1);
  EXPECT_EQ(h.samples_trained, 20);
  EXPECT_EQ(h.epochs.size(), 2u);
  EXPECT_EQ(run.optimizer->iterations(), 6);
}

// With a zero learning rate the model never changes, so the epoch's loss
// (Keras's batch-size-weighted mean of batch losses) must equal the loss of
// the whole set at once, and accuracy the fraction right, both computed
// here directly from the model's predictions.
TEST(Fit, EpochLogsAreSampleWeightedAverages) {
  Trainer run;
  // Without dropout the training-mode forward equals inference.
  run.model = Sequential();
  run.model.input({6, 6, 1});
  run.model.add("Flatten()");
  run.model.add("Dense(3, activation='softmax')");
  run.model.build();
  run.model.initialize_weights(3);
  run.optimizer = make_optimizer("sgd", {.learning_rate = 0.0});
  const Dataset d = three_class_data(11, 2);
  const Tensor p = run.model.predict(d.x);
  double loss = 0, right = 0;
  for (Dim i = 0; i < 11; ++i) {
    const Dim label = static_cast<Dim>(d.y[i]);
    loss -= std::log(static_cast<double>(p[i * 3 + label]));
    Dim best = 0;
    for (Dim c = 1; c < 3; ++c)
      if (p[i * 3 + c] > p[i * 3 + best]) best = c;
    right += best == label;
  }
  const History h = run.fit(d, {.epochs = 1, .batch_size = 4, .shuffle = false});
  EXPECT_NEAR(h.epochs[0].at("loss"), loss / 11, 1e-6);
  EXPECT_DOUBLE_EQ(h.epochs[0].at("accuracy"), right / 11);
  const Logs e = evaluate(run.model, *run.loss, d, {.batch_size = 3});
  EXPECT_NEAR(e.at("loss"), loss / 11, 1e-6);
  EXPECT_DOUBLE_EQ(e.at("accuracy"), right / 11);
}

// Named metrics fix their kind; "acc" is "accuracy" under its own name. With
// 3 classes every label is among the top 5.
TEST(Fit, NamedMetricsAreLoggedUnderTheirNames) {
  Trainer run;
  const Logs e = evaluate(run.model, *run.loss, three_class_data(20, 13),
                          {.metrics = {"acc", "sparse_categorical_accuracy",
                                       "sparse_top_k_categorical_accuracy", "loss"}});
  EXPECT_EQ(e.size(), 4u);
  EXPECT_DOUBLE_EQ(e.at("acc"), e.at("sparse_categorical_accuracy"));
  EXPECT_DOUBLE_EQ(e.at("sparse_top_k_categorical_accuracy"), 1.0);
  EXPECT_NE(error_of([&] {
              evaluate(run.model, *run.loss, three_class_data(4, 14),
                       {.metrics = {"categorical_accuracy"}});
            }),
            "");  // class indices are not one-hot rows
}

TEST(Fit, LearnsTheThreeClassTask) {
  Trainer run;
  run.optimizer = make_optimizer("adam", {.learning_rate = 0.01});
  const History h = run.fit(three_class_data(300, 3), {.epochs = 15, .validation_split = 0.2});
  EXPECT_LT(h.epochs.back().at("loss"), h.epochs.front().at("loss"));
  EXPECT_GT(h.epochs.back().at("val_accuracy"), 0.9);
  EXPECT_EQ(h.epochs.back().size(), 4u);  // accuracy, loss, val_accuracy, val_loss
}

TEST(Fit, ValidationIsTheLastFractionEvaluatedAfterTheEpoch) {
  Trainer run;
  const Dataset d = three_class_data(50, 4);
  const History h = run.fit(d, {.epochs = 1, .validation_split = 0.2});
  EXPECT_EQ(h.samples_trained, 40);
  const auto [train, validation] = split_validation(d, 0.2);
  const Logs e = evaluate(run.model, *run.loss, validation);
  EXPECT_DOUBLE_EQ(h.epochs[0].at("val_loss"), e.at("loss"));
  EXPECT_DOUBLE_EQ(h.epochs[0].at("val_accuracy"), e.at("accuracy"));
}

TEST(Fit, SameSeedSameWeightsOtherSeedOtherWeights) {
  const Dataset d = three_class_data(40, 5);
  Trainer a, b, c;
  a.fit(d, {.epochs = 2, .batch_size = 8, .seed = 11});
  b.fit(d, {.epochs = 2, .batch_size = 8, .seed = 11});
  c.fit(d, {.epochs = 2, .batch_size = 8, .seed = 12});
  EXPECT_EQ(weights_of(a.model), weights_of(b.model));
  EXPECT_NE(weights_of(a.model), weights_of(c.model));
}

// The same images as uint8 bytes (Dataset::pixels) train to exactly the same
// weights as their float32 form (value = byte / 255), validation split
// included.
TEST(Fit, CompactPixelsTrainLikeTheirFloats) {
  const Dim n = 40;
  Random random(9);
  auto store = std::make_shared<PixelStore>();
  std::vector<unsigned char> bytes(static_cast<std::size_t>(n * 36));
  Dataset floats{Tensor({n, 6, 6, 1}), Tensor({n})};
  for (Dim i = 0; i < n; ++i) {
    const Dim label = static_cast<Dim>(random.below(3));
    floats.y[i] = static_cast<float>(label);
    for (Dim p = 0; p < 36; ++p) {
      const auto byte =
          static_cast<unsigned char>(random.below(128) + (p % 6 / 2 == label ? 127 : 0));
      bytes[static_cast<std::size_t>(i * 36 + p)] = byte;
      floats.x[i * 36 + p] = static_cast<float>(byte) / 255.0f;
    }
  }
  store->bytes = std::make_shared<const std::vector<unsigned char>>(std::move(bytes));
  store->shape = {n, 6, 6, 1};
  store->divisor = 255.0f;
  const Dataset compact{Tensor(), floats.y, store};
  Trainer a, b;
  const FitOptions o{.epochs = 2, .batch_size = 8, .seed = 3, .validation_split = 0.25};
  const History from_floats = a.fit(floats, o), from_bytes = b.fit(compact, o);
  EXPECT_EQ(weights_of(a.model), weights_of(b.model));
  EXPECT_EQ(from_floats.epochs.back().at("val_loss"), from_bytes.epochs.back().at("val_loss"));
}

TEST(Fit, ResumedRunEndsBitIdenticalToAStraightOne) {
  const Dataset d = three_class_data(40, 6);
  TempDir straight_dir, split_dir;
  Trainer straight;
  const History full = straight.fit(
      d, {.epochs = 4, .batch_size = 8, .seed = 3, .checkpoint_dir = straight_dir.path()});
  for (int e = 1; e <= 4; ++e)
    EXPECT_TRUE(fs::exists(checkpoint_path(straight_dir.path(), e))) << e;

  Trainer first;
  first.fit(d, {.epochs = 2, .batch_size = 8, .seed = 3, .checkpoint_dir = split_dir.path()});
  Trainer second;  // a fresh process: other initial weights, a new optimizer
  second.model.initialize_weights(99);
  const History resumed = second.fit(d, {.epochs = 4,
                                         .batch_size = 8,
                                         .seed = 3,
                                         .checkpoint_dir = split_dir.path(),
                                         .resume = true});
  EXPECT_EQ(resumed.initial_epoch, 2);
  EXPECT_EQ(resumed.samples_trained, 80);
  EXPECT_EQ(weights_of(second.model), weights_of(straight.model));
  EXPECT_EQ(second.optimizer->state(), straight.optimizer->state());
  ASSERT_EQ(resumed.epochs.size(), 4u);
  EXPECT_EQ(resumed.epochs, full.epochs);  // history carried over from the checkpoint
}

TEST(Fit, ResumeWithoutCheckpointsStartsFresh) {
  TempDir dir;
  Trainer run;
  const History h = run.fit(three_class_data(8, 7),
                            {.epochs = 1, .checkpoint_dir = dir.path() / "new", .resume = true});
  EXPECT_EQ(h.initial_epoch, 0);
  EXPECT_TRUE(fs::exists(checkpoint_path(dir.path() / "new", 1)));
}

TEST(Fit, ResumeRefusesOtherSettings) {
  TempDir dir;
  const Dataset d = three_class_data(16, 8);
  Trainer{}.fit(d, {.epochs = 1, .batch_size = 4, .checkpoint_dir = dir.path()});
  const std::string path = checkpoint_path(dir.path(), 1);
  Trainer other;
  const std::vector<float> before = weights_of(other.model);
  try {
    other.fit(d, {.epochs = 2, .batch_size = 8, .checkpoint_dir = dir.path(), .resume = true});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.located(), path +
                               ": the checkpoint was written with batch size 4, this run has 8; "
                               "resume with the same settings (or start a new checkpoint "
                               "directory)");
  }
  EXPECT_EQ(weights_of(other.model), before);
  EXPECT_NE(error_of([&] {
              Trainer{}.fit(d, {.epochs = 2,
                                .batch_size = 4,
                                .seed = 5,
                                .checkpoint_dir = dir.path(),
                                .resume = true});
            }).find("seed 0, this run has 5"),
            std::string::npos);
}

TEST(Fit, LatestCheckpointIgnoresTemporaryAndForeignFiles) {
  TempDir dir;
  EXPECT_EQ(latest_checkpoint(dir.path() / "missing"), std::nullopt);
  EXPECT_EQ(latest_checkpoint(dir.path()), std::nullopt);
  dir.file("epoch-0002.npz", "");
  dir.file("epoch-0010.npz", "");
  dir.file("epoch-0011.npz.tmp.123", "");
  dir.file("epoch-12.npz", "");
  dir.file("notes.txt", "");
  // Near misses of "epoch-" + 4 or more digits + ".npz", all above epoch 10.
  for (const char* name :
       {"epoch-0099.npzx", "epoch-0099.npy", "epoch-00a99.npz", "xepoch-0099.npz", "Epoch-0099.npz",
        "epoch-0099npz", "epoch--0099.npz", "epoch-1234567890123.npz"})
    dir.file(name, "");
  EXPECT_EQ(latest_checkpoint(dir.path()), checkpoint_path(dir.path(), 10));
  dir.file("epoch-123456789012.npz", "");  // 12 digits: still an epoch
  EXPECT_EQ(latest_checkpoint(dir.path()), (dir.path() / "epoch-123456789012.npz").string());
  EXPECT_EQ(checkpoint_path("d", 3), "d/epoch-0003.npz");
}

TEST(Fit, WritingACheckpointRemovesOnlyTemporariesOfKilledWrites) {
  TempDir dir;
  const std::vector<std::string> temporaries{"epoch-0001.npz.tmp.77", "epoch-00042.npz.tmp.1"};
  const std::vector<std::string> others{"epoch-0001.npz.tmp.", "epoch-0001.npz.tmp.7x",
                                        "epoch-01.npz.tmp.5", "notes.tmp.3",
                                        "epoch-0001.npy.tmp.2"};
  for (const std::string& name : temporaries) dir.file(name, "");
  for (const std::string& name : others) dir.file(name, "");
  Trainer{}.fit(three_class_data(8, 9), {.epochs = 1, .checkpoint_dir = dir.path()});
  for (const std::string& name : temporaries) EXPECT_FALSE(fs::exists(dir.path() / name)) << name;
  for (const std::string& name : others) EXPECT_TRUE(fs::exists(dir.path() / name)) << name;
  EXPECT_TRUE(fs::exists(checkpoint_path(dir.path(), 1)));
}

TEST(Fit, CheckpointLoadsAsWeights) {
  TempDir dir;
  Trainer run;
  run.fit(three_class_data(8, 9), {.epochs = 1, .checkpoint_dir = dir.path()});
  Sequential fresh = classifier();
  fresh.initialize_weights(1234);
  fresh.load_weights(checkpoint_path(dir.path(), 1));
  EXPECT_EQ(weights_of(fresh), weights_of(run.model));
}

TEST(Fit, StopRequestEndsAfterTheCurrentBatch) {
  TempDir dir;
  Trainer run;
  std::atomic<bool> stop{false};
  FitOptions o{.epochs = 3, .batch_size = 4, .checkpoint_dir = dir.path(), .stop_requested = &stop};
  o.callbacks.on_batch_end = [&](const Progress& p) {
    if (p.epoch == 1 && p.step == 2) stop = true;
  };
  const History h = run.fit(three_class_data(20, 10), o);
  EXPECT_TRUE(h.interrupted);
  EXPECT_EQ(h.interrupted_at_step, 2);
  EXPECT_EQ(h.epochs.size(), 1u);
  EXPECT_EQ(h.samples_trained, 28);
  EXPECT_EQ(h.last_checkpoint, checkpoint_path(dir.path(), 1));
  EXPECT_FALSE(fs::exists(checkpoint_path(dir.path(), 2)));
}

TEST(Fit, NonFiniteLossStopsWithAnError) {
  Trainer run;
  run.optimizer = make_optimizer("sgd", {.learning_rate = 1e30});
  EXPECT_NE(error_of([&] {
              run.fit(three_class_data(32, 11), {.epochs = 3, .batch_size = 4});
            }).find("the loss became"),
            std::string::npos);
}

TEST(Fit, BadOptionsAndData) {
  const Dataset d = three_class_data(8, 12);
  EXPECT_EQ(error_of([&] { Trainer{}.fit(d, {.batch_size = 0}); }),
            "batch size must be positive, got 0");
  EXPECT_EQ(error_of([&] { Trainer{}.fit(d, {.validation_split = 1.0}); }),
            "validation_split must be in [0, 1), got 1");
  EXPECT_EQ(error_of([&] { Trainer{}.fit(d, {.resume = true}); }),
            "resume needs a checkpoint directory");
  EXPECT_EQ(error_of([&] { Trainer{}.fit(d, {.metrics = {"precision"}}); }).substr(0, 25),
            "unknown metric 'precision");
  Dataset mismatched{d.x, Tensor({7})};
  EXPECT_EQ(error_of([&] { Trainer{}.fit(mismatched, {}); }),
            "training data: examples (8, 6, 6, 1) and labels (7,) must share their first "
            "dimension");
  Dataset wrong_classes{d.x, Tensor({8})};
  wrong_classes.y[0] = 5;  // the model has 3 classes
  EXPECT_NE(error_of([&] { Trainer{}.fit(wrong_classes, {}); }), "");
}

TEST(Fit, HistoryCsvIsKerasCsvLogger) {
  TempDir dir;
  const std::string path = (dir.path() / "h.csv").string();
  write_history_csv(path, {{{"loss", 0.5}, {"accuracy", 0.75}, {"val_loss", 0.625}},
                           {{"loss", 0.25}, {"accuracy", 1.0}, {"val_loss", 0.125}}});
  EXPECT_EQ(test::read_text(path),
            "epoch,accuracy,loss,val_loss\n0,0.75,0.5,0.625\n1,1.0,0.25,0.125\n");
}

TEST(Fit, OneHotIsToCategorical) {
  const Tensor y = one_hot(Tensor({3}, {2, 0, 1}), 3);
  EXPECT_EQ(y.shape(), (Shape{3, 3}));
  EXPECT_EQ(y.values(), (std::vector<float>{0, 0, 1, 1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(error_of([] {
              one_hot(Tensor({2}, {0, 3}), 3);
            }),
            "label 3 of example 1 is not a class index in [0, 3)");
  EXPECT_EQ(error_of([] { one_hot(Tensor({1}, {0.5f}), 3); }),
            "label 0.5 of example 0 is not a class index in [0, 3)");
}

}  // namespace
}  // namespace stride
