// Accuracy metrics (Keras's documented examples), "accuracy" resolution,
// top-k with ties, and the confusion matrix.
#include "stride/metrics.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace stride {
namespace {

using test::error_of;

Tensor make(Shape shape, std::vector<float> values) {
  return Tensor(std::move(shape), values);
}

TEST(Metrics, ResolveAccuracyFromShapes) {
  // compile_utils.get_metric: y_pred last dim 1 -> binary; y_true of lower
  // rank or last dim 1 (and y_pred's > 1) -> sparse; else categorical.
  EXPECT_EQ(resolve_accuracy({32}, {32, 10}), AccuracyKind::kSparseCategorical);  // sparse CCE
  EXPECT_EQ(resolve_accuracy({32, 1}, {32, 10}), AccuracyKind::kSparseCategorical);
  EXPECT_EQ(resolve_accuracy({32, 10}, {32, 10}), AccuracyKind::kCategorical);  // CCE
  EXPECT_EQ(resolve_accuracy({32, 1}, {32, 1}), AccuracyKind::kBinary);         // BCE
  EXPECT_EQ(resolve_accuracy({32}, {32, 1}), AccuracyKind::kBinary);
  EXPECT_EQ(resolve_accuracy({32, 5}, {32, 5}), AccuracyKind::kCategorical);  // multi-label BCE
  EXPECT_EQ(accuracy_name(AccuracyKind::kSparseCategorical), "sparse_categorical_accuracy");
  EXPECT_EQ(accuracy_name(AccuracyKind::kCategorical), "categorical_accuracy");
  EXPECT_EQ(accuracy_name(AccuracyKind::kBinary), "binary_accuracy");
}

TEST(Metrics, BinaryAccuracy) {
  // BinaryAccuracy docstring: [[1], [1], [0], [0]] vs [[0.98], [1], [0], [0.6]]:
  // thresholded (1, 1, 0, 1) -> 3 of 4 right (0.75).
  const Tensor y = make({4, 1}, {1, 1, 0, 0});
  const Tensor p = make({4, 1}, {0.98f, 1, 0, 0.6f});
  EXPECT_EQ(binary_accuracy_sum(y, p), 3.0);
  EXPECT_EQ(sample_count(p), 4);
  // Strictly greater than the threshold: 0.5 -> 0.
  EXPECT_EQ(binary_accuracy_sum(make({1, 1}, {0}), make({1, 1}, {0.5f})), 1.0);
  EXPECT_EQ(binary_accuracy_sum(make({1, 1}, {1}), make({1, 1}, {0.5f}), 0.4), 1.0);
  // Two outputs per sample: each sample scores the fraction right:
  // (1, 0) vs (0.7, 0.6) -> (1, 1): 1/2; (0, 0) vs (0.1, 0.2): 2/2. Sum 1.5.
  EXPECT_EQ(binary_accuracy_sum(make({2, 2}, {1, 0, 0, 0}), make({2, 2}, {0.7f, 0.6f, 0.1f, 0.2f})),
            1.5);
  EXPECT_EQ(accuracy_sum(AccuracyKind::kBinary, y, p), 3.0);
}

TEST(Metrics, CategoricalAccuracy) {
  // CategoricalAccuracy docstring: [[0, 0, 1], [0, 1, 0]] vs
  // [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]: argmax 1 vs 2 (wrong), 1 vs 1 -> 1 right.
  const Tensor y = make({2, 3}, {0, 0, 1, 0, 1, 0});
  const Tensor p = make({2, 3}, {0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0});
  EXPECT_EQ(categorical_accuracy_sum(y, p), 1.0);
  EXPECT_EQ(accuracy_sum(AccuracyKind::kCategorical, y, p), 1.0);
  EXPECT_NE(error_of([&] {
              categorical_accuracy_sum(make({2}, {2, 1}), p);
            }).find("one-hot"),
            std::string::npos);
}

TEST(Metrics, SparseCategoricalAccuracy) {
  // SparseCategoricalAccuracy docstring: [[2], [1]] vs [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]:
  // argmax 1 (wrong), 1 (right) -> 1.
  const Tensor p = make({2, 3}, {0.1f, 0.6f, 0.3f, 0.05f, 0.95f, 0});
  EXPECT_EQ(sparse_categorical_accuracy_sum(make({2, 1}, {2, 1}), p), 1.0);
  EXPECT_EQ(sparse_categorical_accuracy_sum(make({2}, {2, 1}), p), 1.0);
  EXPECT_EQ(accuracy_sum(AccuracyKind::kSparseCategorical, make({2}, {1, 1}), p), 2.0);
  // Ties: argmax takes the first maximum.
  const Tensor tie = make({1, 2}, {0.5f, 0.5f});
  EXPECT_EQ(sparse_categorical_accuracy_sum(make({1}, {0}), tie), 1.0);
  EXPECT_EQ(sparse_categorical_accuracy_sum(make({1}, {1}), tie), 0.0);
  std::string msg = error_of([&] { sparse_categorical_accuracy_sum(make({2}, {3, 1}), p); });
  EXPECT_NE(msg.find("label 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3 classes"), std::string::npos) << msg;
}

TEST(Metrics, SparseTopK) {
  // SparseTopKCategoricalAccuracy docstring, k = 1: [2, 1] vs
  // [[0.1, 0.9, 0.8], [0.05, 0.95, 0]] -> only the second -> 1. With k = 2
  // class 2 (0.8) is second in the first row too -> 2.
  const Tensor y = make({2}, {2, 1});
  const Tensor p = make({2, 3}, {0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0});
  EXPECT_EQ(sparse_top_k_correct(y, p, 1), 1);
  EXPECT_EQ(sparse_top_k_correct(y, p, 2), 2);
  EXPECT_EQ(sparse_top_k_correct(y, p), 2);  // k = 5 >= 3 classes
  // Ties count in the label's favour: three equal scores, k = 1, any of them is in.
  const Tensor tie = make({1, 4}, {0.3f, 0.3f, 0.3f, 0.1f});
  EXPECT_EQ(sparse_top_k_correct(make({1}, {2}), tie, 1), 1);
  EXPECT_EQ(sparse_top_k_correct(make({1}, {3}), tie, 3), 0);  // 3 scores are greater
  // k = 5 of 10 classes: label 4 has score rank 6 (5 greater) -> out; label 9 rank 1 -> in.
  std::vector<float> scores{0.0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f};
  std::vector<float> both = scores;
  both.insert(both.end(), scores.begin(), scores.end());
  EXPECT_EQ(sparse_top_k_correct(make({2}, {4, 9}), make({2, 10}, both)), 1);
  EXPECT_NE(error_of([&] { sparse_top_k_correct(y, p, 0); }).find("k must be"), std::string::npos);
}

TEST(Metrics, ConfusionMatrix) {
  // True (0, 1, 2, 2, 1), predicted argmax (0, 2, 2, 1, 1):
  //   row 0: (1, 0, 0); row 1: (0, 1, 1); row 2: (0, 1, 1).
  const Tensor y = make({5}, {0, 1, 2, 2, 1});
  const Tensor p = make({5, 3}, {0.8f, 0.1f, 0.1f, 0.1f, 0.2f, 0.7f, 0.0f, 0.4f, 0.6f, 0.3f, 0.5f,
                                 0.2f, 0.1f, 0.8f, 0.1f});
  const std::vector<std::int64_t> expected{1, 0, 0, 0, 1, 1, 0, 1, 1};
  EXPECT_EQ(confusion_matrix(y, p, 3), expected);
  // One-hot truth gives the same.
  const Tensor one_hot = make({5, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0});
  EXPECT_EQ(confusion_matrix(one_hot, p, 3), expected);
  // A sigmoid output with 2 classes: p > 0.5 is class 1.
  // truth (1, 0, 1, 0), predicted (1, 1, 0, 0): [[1, 1], [1, 1]].
  EXPECT_EQ(confusion_matrix(make({4, 1}, {1, 0, 1, 0}), make({4, 1}, {0.9f, 0.6f, 0.5f, 0.2f}), 2),
            (std::vector<std::int64_t>{1, 1, 1, 1}));
  EXPECT_NE(error_of([&] { confusion_matrix(y, p, 4); }).find("4 classes"), std::string::npos);
  EXPECT_NE(error_of([&] {
              confusion_matrix(make({5}, {0, 1, 2, 3, 1}), p, 3);
            }).find("label 3"),
            std::string::npos);
}

}  // namespace
}  // namespace stride
