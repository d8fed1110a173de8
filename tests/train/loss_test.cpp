// Losses: hand-worked values (Keras's documented examples where there is one),
// gradients against central finite differences, clipping, and errors.
#include "stride/loss.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "test_util.hpp"

namespace stride {
namespace {

using test::error_of;

Tensor make(Shape shape, std::vector<float> values) {
  return Tensor(std::move(shape), values);
}

void expect_gradient(const LossValue& v, const std::vector<double>& expected) {
  ASSERT_EQ(v.gradient.size(), static_cast<Dim>(expected.size()));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(v.gradient[static_cast<Dim>(i)], expected[i], 1e-6) << "element " << i;
  }
}

TEST(Loss, CategoricalCrossentropyKerasExample) {
  // Keras's CategoricalCrossentropy docstring: rows already sum to 1, the 0
  // is clipped to 1e-7 (and y is 0 there): -log(0.95) = 0.0512933,
  // -log(0.1) = 2.3025851, mean = 1.1769392.
  auto loss = make_loss("categorical_crossentropy");
  LossValue v = loss->compute(make({2, 3}, {0, 1, 0, 0, 0, 1}),
                              make({2, 3}, {0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f}));
  EXPECT_NEAR(v.value, 1.1769392, 1e-6);
  EXPECT_EQ(loss->name(), "categorical_crossentropy");
  // (2, 3, 1) predictions: Keras squeezes the trailing 1, still 3 classes.
  LossValue squeezed = loss->compute(make({2, 3}, {0, 1, 0, 0, 0, 1}),
                                     make({2, 3, 1}, {0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f}));
  EXPECT_EQ(squeezed.value, v.value);
  EXPECT_EQ(squeezed.gradient.shape(), (Shape{2, 3, 1}));
  EXPECT_FALSE(loss->from_logits());
}

TEST(Loss, CategoricalCrossentropyNormalizes) {
  // p = (1, 3) is normalized to q = (0.25, 0.75): L = -log 0.75 = 0.2876821.
  // L = -log p2 + log(p1 + p2): dL/dp1 = 1/4 = 0.25, dL/dp2 = -1/3 + 1/4 = -1/12.
  auto loss = make_loss("categorical_crossentropy");
  LossValue v = loss->compute(make({1, 2}, {0, 1}), make({1, 2}, {1, 3}));
  EXPECT_NEAR(v.value, 0.2876821, 1e-6);
  expect_gradient(v, {0.25, -1.0 / 12});
}

TEST(Loss, CategoricalCrossentropyFromLogits) {
  // z = (1, 2, 3), y = e3: log_softmax(z)_3 = 3 - log(e + e^2 + e^3) = -0.4076060.
  // gradient = softmax(z) - y = (0.0900306, 0.2447285, 0.6652410 - 1).
  auto loss = make_loss("categorical_crossentropy", true);
  EXPECT_TRUE(loss->from_logits());
  LossValue v = loss->compute(make({1, 3}, {0, 0, 1}), make({1, 3}, {1, 2, 3}));
  EXPECT_NEAR(v.value, 0.4076060, 1e-6);
  expect_gradient(v, {0.0900306, 0.2447285, -0.3347590});
  // Stable for large logits: z = (1000, 0), y = e1 -> log_softmax = -log(1 + e^-1000) ~ 0.
  LossValue big = loss->compute(make({1, 2}, {1, 0}), make({1, 2}, {1000, 0}));
  EXPECT_NEAR(big.value, 0.0, 1e-12);
  expect_gradient(big, {0, 0});
}

TEST(Loss, SparseCategoricalCrossentropyMatchesOneHot) {
  // Labels 1 and 2 are the one-hot rows of the categorical example: 1.1769392.
  auto loss = make_loss("sparse_categorical_crossentropy");
  const Tensor pred = make({2, 3}, {0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f});
  LossValue flat = loss->compute(make({2}, {1, 2}), pred);
  LossValue column = loss->compute(make({2, 1}, {1, 2}), pred);
  LossValue dense =
      make_loss("categorical_crossentropy")->compute(make({2, 3}, {0, 1, 0, 0, 0, 1}), pred);
  EXPECT_NEAR(flat.value, 1.1769392, 1e-6);
  EXPECT_EQ(flat.value, column.value);
  EXPECT_EQ(flat.value, dense.value);
  EXPECT_EQ(flat.gradient.values(), dense.gradient.values());
  // From logits, label 2 of z = (1, 2, 3): 0.4076060 as above.
  LossValue logits = make_loss("sparse_categorical_crossentropy", true)
                         ->compute(make({1}, {2}), make({1, 3}, {1, 2, 3}));
  EXPECT_NEAR(logits.value, 0.4076060, 1e-6);
}

TEST(Loss, BinaryCrossentropyKerasExample) {
  // BinaryCrossentropy docstring: y = [[0, 1], [0, 0]], p = [[0.6, 0.4], [0.4, 0.6]].
  // Elements: -log(0.4) three times (0.9162907) and -log(0.6) = 0.5108256;
  // mean over the last axis and the batch = (3 * 0.9162907 + 0.5108256) / 4 = 0.8149245.
  auto loss = make_loss("binary_crossentropy");
  const Tensor y = make({2, 2}, {0, 1, 0, 0});
  LossValue v = loss->compute(y, make({2, 2}, {0.6f, 0.4f, 0.4f, 0.6f}));
  EXPECT_NEAR(v.value, 0.8149245, 1e-6);
  // d/dp = (-y/p + (1 - y)/(1 - p)) / 4: 1/0.4/4, -1/0.4/4, 1/0.6/4, 1/0.4/4.
  expect_gradient(v, {0.625, -0.625, 1.0 / 2.4, 0.625});
}

TEST(Loss, BinaryCrossentropyFromLogits) {
  // z = (0, 2), y = (1, 0): max(z,0) - z*y + log(1 + e^-|z|) = log 2 = 0.6931472
  // and 2 + log(1 + e^-2) = 2.1269280; mean 1.4100376.
  // gradient (sigmoid(z) - y) / 2 = (-0.25, 0.8807971 / 2).
  auto loss = make_loss("binary_crossentropy", true);
  LossValue v = loss->compute(make({1, 2}, {1, 0}), make({1, 2}, {0, 2}));
  EXPECT_NEAR(v.value, 1.4100376, 1e-6);
  expect_gradient(v, {-0.25, 0.4403985});
  // Stable far out: z = -100, y = 1 -> 100 + log(1 + e^-100) = 100.
  LossValue far = loss->compute(make({1, 1}, {1}), make({1, 1}, {-100}));
  EXPECT_NEAR(far.value, 100.0, 1e-9);
  expect_gradient(far, {-1.0});
}

TEST(Loss, RegressionKerasExamples) {
  // MeanSquaredError / MeanAbsoluteError docstrings: y = [[0, 1], [0, 0]],
  // p = [[1, 1], [1, 0]]: errors (1, 0, 1, 0) -> 0.5 for both.
  const Tensor y = make({2, 2}, {0, 1, 0, 0});
  const Tensor p = make({2, 2}, {1, 1, 1, 0});
  LossValue mse = make_loss("mse")->compute(y, p);
  EXPECT_DOUBLE_EQ(mse.value, 0.5);
  expect_gradient(mse, {0.5, 0, 0.5, 0});  // 2 e / 4
  LossValue mae = make_loss("mae")->compute(y, p);
  EXPECT_DOUBLE_EQ(mae.value, 0.5);
  expect_gradient(mae, {0.25, 0, 0.25, 0});  // sign(e) / 4, sign(0) = 0
  // Huber docstring: p = [[0.6, 0.4], [0.4, 0.6]], errors (0.6, -0.6, 0.4, 0.6),
  // all within delta = 1: 0.5 e^2 = (0.18, 0.18, 0.08, 0.18), mean 0.155.
  LossValue huber = make_loss("huber")->compute(y, make({2, 2}, {0.6f, 0.4f, 0.4f, 0.6f}));
  EXPECT_NEAR(huber.value, 0.155, 1e-7);
  expect_gradient(huber, {0.15, -0.15, 0.1, 0.15});  // e / 4
  // Outside delta: e = 3 -> 1 * 3 - 0.5 = 2.5, gradient delta * sign(e) = 1.
  LossValue linear = make_loss("huber")->compute(make({1, 1}, {0}), make({1, 1}, {3}));
  EXPECT_DOUBLE_EQ(linear.value, 2.5);
  expect_gradient(linear, {1.0});
}

TEST(Loss, RegressionAveragesOverAllElements) {
  // (2, 2, 1) predictions against (2, 2) targets: the trailing 1 is squeezed,
  // the mean runs over all 4 elements: errors (1, 2, 3, 4) -> (1+4+9+16)/4 = 7.5.
  LossValue v = make_loss("mean_squared_error")
                    ->compute(make({2, 2}, {0, 0, 0, 0}), make({2, 2, 1}, {1, 2, 3, 4}));
  EXPECT_DOUBLE_EQ(v.value, 7.5);
  EXPECT_EQ(v.gradient.shape(), (Shape{2, 2, 1}));
}

TEST(Loss, ClippingAtZeroAndOne) {
  // Keras clips to [epsilon, 1 - epsilon] in float32: 1e-7f = 1.00000001e-7 and
  // 1 - 1e-7f = 0.99999988. The gradient is zero where a value was clipped.
  // Categorical, p = (0, 1), y = e1: q = (0, 1) -> both clipped,
  // L = -log(1.00000001e-7) = 16.1180956.
  LossValue cce =
      make_loss("categorical_crossentropy")->compute(make({1, 2}, {1, 0}), make({1, 2}, {0, 1}));
  EXPECT_NEAR(cce.value, 16.1180956, 1e-6);
  expect_gradient(cce, {0, 0});
  // Binary: p = 1, y = 0 -> -log(1 - 0.99999988) = -log(1.1920929e-7) = 15.9423852;
  // p = 0, y = 1 -> 16.1180956. All clipped.
  auto bce = make_loss("binary_crossentropy");
  EXPECT_NEAR(bce->compute(make({1, 1}, {0}), make({1, 1}, {1})).value, 15.9423852, 1e-6);
  EXPECT_NEAR(bce->compute(make({1, 1}, {1}), make({1, 1}, {0})).value, 16.1180956, 1e-6);
  // Right answers still cost something: p = 0, y = 0 -> -log(1 - 1.00000001e-7)
  // = 1.00000006e-7; p = 1, y = 1 -> -log(0.99999988) = 1.1920930e-7; mean 1.0960465e-7.
  LossValue zero = bce->compute(make({1, 2}, {0, 1}), make({1, 2}, {0, 1}));
  EXPECT_NEAR(zero.value, 1.0960465e-7, 1e-14);
  expect_gradient(zero, {0, 0});
}

// Central differences of the double loss value. Each input is moved by +-h
// in float and divided by the step actually taken, so float rounding of the
// input does not bias the estimate.
void check_gradient(const Loss& loss, const Tensor& y_true, const Tensor& y_pred) {
  const LossValue analytic = loss.compute(y_true, y_pred);
  for (Dim i = 0; i < y_pred.size(); ++i) {
    const float x = y_pred[i];
    const float h = 1e-3f * std::max(1.0f, std::abs(x));
    Tensor plus = y_pred.clone(), minus = y_pred.clone();
    plus[i] = x + h;
    minus[i] = x - h;
    const double step = static_cast<double>(plus[i]) - minus[i];
    const double numeric =
        (loss.compute(y_true, plus).value - loss.compute(y_true, minus).value) / step;
    EXPECT_NEAR(analytic.gradient[i], numeric, 1e-4 * std::abs(numeric) + 1e-6)
        << loss.name() << " from_logits=" << loss.from_logits() << " element " << i;
  }
}

TEST(Loss, GradientsMatchFiniteDifferences) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> prob(0.05f, 1.0f);  // unnormalized, away from the clip
  std::uniform_real_distribution<float> unit(0.1f, 0.9f);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  const Shape shape{4, 5};
  auto fill = [&](auto& dist) {
    Tensor t(shape);
    for (float& v : t) v = dist(rng);
    return t;
  };
  Tensor one_hot(shape), labels({4});
  for (Dim r = 0; r < 4; ++r) {
    const Dim label = (r * 3 + 1) % 5;
    labels[r] = static_cast<float>(label);
    one_hot[r * 5 + label] = 1;
  }
  Tensor soft = fill(unit);  // soft targets for binary_crossentropy
  for (bool logits : {false, true}) {
    Tensor pred = logits ? fill(normal) : fill(prob);
    check_gradient(*make_loss("categorical_crossentropy", logits), one_hot, pred);
    check_gradient(*make_loss("categorical_crossentropy", logits), soft, pred);  // non-one-hot y
    check_gradient(*make_loss("sparse_categorical_crossentropy", logits), labels, pred);
    Tensor binary = logits ? fill(normal) : fill(unit);
    check_gradient(*make_loss("binary_crossentropy", logits), soft, binary);
  }
  // Regression: errors kept away from the kinks at 0 (mae) and +-1 (huber).
  Tensor target = fill(normal), pred(shape);
  for (Dim i = 0; i < pred.size(); ++i) {
    const float offsets[] = {-2.5f, -0.7f, -0.3f, 0.4f, 0.8f, 1.9f};
    pred[i] = target[i] + offsets[i % 6];
  }
  for (const char* name : {"mse", "mae", "huber"}) check_gradient(*make_loss(name), target, pred);
}

TEST(Loss, SparseLabelErrors) {
  auto loss = make_loss("sparse_categorical_crossentropy");
  const Tensor pred = make({2, 3}, {0.2f, 0.3f, 0.5f, 0.1f, 0.1f, 0.8f});
  std::string msg = error_of([&] { loss->compute(make({2}, {0, 3}), pred); });
  EXPECT_NE(msg.find("label 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3 classes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sparse_categorical_crossentropy"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] {
              loss->compute(make({2}, {-1, 0}), pred);
            }).find("label -1"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              loss->compute(make({2}, {1.5f, 0}), pred);
            }).find("label 1.5"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              loss->compute(make({2}, {NAN, 0}), pred);
            }).find("label nan"),
            std::string::npos);
  msg = error_of([&] { loss->compute(make({2, 3}, {0, 0, 1, 0, 0, 1}), pred); });
  EXPECT_NE(msg.find("y_true shape (2, 3)"), std::string::npos) << msg;
}

TEST(Loss, ShapeAndNameErrors) {
  std::string msg = error_of([] {
    make_loss("mse")->compute(Tensor({2}), Tensor({2, 3}));  // would broadcast in Keras
  });
  EXPECT_NE(msg.find("y_true shape (2,) does not match y_pred shape (2, 3)"), std::string::npos)
      << msg;
  EXPECT_NE(error_of([] {
              make_loss("mse")->compute(Tensor({0, 3}), Tensor({0, 3}));
            }).find("empty"),
            std::string::npos);
  msg = error_of([] { make_loss("hinge"); });
  EXPECT_NE(msg.find("unknown loss 'hinge'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sparse_categorical_crossentropy"), std::string::npos) << msg;
  EXPECT_NE(error_of([] { make_loss("mse", true); }).find("no from_logits"), std::string::npos);
  EXPECT_NE(error_of([] { make_loss("MSE_"); }), "");
}

TEST(Loss, NamesAndAliases) {
  EXPECT_EQ(make_loss("mse")->name(), "mean_squared_error");
  EXPECT_EQ(make_loss("MAE")->name(), "mean_absolute_error");
  EXPECT_EQ(make_loss("bce", true)->name(), "binary_crossentropy");
  EXPECT_TRUE(make_loss("BinaryCrossentropy", true)->from_logits());
  EXPECT_EQ(make_loss("SparseCategoricalCrossentropy")->name(), "sparse_categorical_crossentropy");
  EXPECT_EQ(make_loss("huber")->name(), "huber");
  EXPECT_EQ(make_loss("Huber")->name(), "huber_loss");  // the class's default name
}

}  // namespace
}  // namespace stride
