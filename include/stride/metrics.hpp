// Accuracy metrics as Keras 3 computes them (keras/src/metrics/
// accuracy_metrics.py), returned per batch as a sum over samples so that the
// caller can average over an epoch the way Keras's Mean metric does
// (total += sum of per-sample values, count += number of samples).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stride/error.hpp"
#include "stride/tensor.hpp"

namespace stride {

enum class AccuracyKind { kBinary, kCategorical, kSparseCategorical };

// "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy".
std::string accuracy_name(AccuracyKind kind);

// What compile(metrics=["accuracy"]) (or "acc", any case) becomes. Keras 3
// (keras/src/trainers/compile_utils.py, get_metric) looks only at the shapes
// of y_true and y_pred, not at the loss: y_pred's last dim 1 -> binary;
// else y_true of lower rank than y_pred, or y_true's last dim 1 -> sparse;
// else categorical. With the natural shapes of each loss this gives
// sparse_categorical_crossentropy -> sparse_categorical_accuracy,
// categorical_crossentropy -> categorical_accuracy and binary_crossentropy
// with one output -> binary_accuracy; binary_crossentropy over C > 1 outputs
// (multi-label) gives categorical_accuracy, as in Keras. Keras names the
// resulting metric "accuracy" (the string it was given).
AccuracyKind resolve_accuracy(const Shape& y_true, const Shape& y_pred);

// Sum over the batch of the per-sample accuracy. For the categorical kinds
// it is the number of samples whose argmax (first on ties) is right. For
// binary, a sample's value is the fraction of its last-axis entries where
// (y_pred > threshold) equals y_true, so the sum is a count only when each
// sample has one output. "Sample" means a position along every axis but the
// last. Shape mismatches and bad labels are stride::Errors.
double binary_accuracy_sum(const Tensor& y_true, const Tensor& y_pred, double threshold = 0.5);
double categorical_accuracy_sum(const Tensor& y_true, const Tensor& y_pred);
double sparse_categorical_accuracy_sum(const Tensor& y_true, const Tensor& y_pred);
// Dispatch on kind (threshold applies to binary only).
double accuracy_sum(AccuracyKind kind, const Tensor& y_true, const Tensor& y_pred,
                    double threshold = 0.5);

// sparse_top_k_categorical_accuracy: the number of samples whose true class
// is among the k highest scores. Ties count in its favour, as in_top_k does:
// a label is in the top k when fewer than k scores are strictly greater.
std::int64_t sparse_top_k_correct(const Tensor& y_true, const Tensor& y_pred, int k = 5);

// The number of samples the functions above average over: y_pred.size()
// divided by its last dimension.
Dim sample_count(const Tensor& y_pred);

// classes x classes counts, row-major: rows = true class, columns =
// predicted class. y_pred: scores (N, classes) -> argmax, or (N, 1) with
// classes == 2 -> (p > 0.5). y_true: class indices ((N,) or (N, 1)) or
// one-hot rows of y_pred's shape (argmax).
std::vector<std::int64_t> confusion_matrix(const Tensor& y_true, const Tensor& y_pred, Dim classes);

}  // namespace stride
