// Training losses with Keras 3 semantics (keras/src/losses/losses.py and the
// backends' nn.py): the batch loss Keras reports (reduction
// "sum_over_batch_size": the mean of the per-sample losses) and its gradient
// with respect to y_pred, derived by hand and computed in double.
#pragma once

#include <memory>
#include <string>

#include "stride/error.hpp"
#include "stride/tensor.hpp"

namespace stride {

// The loss of a batch and its gradient with respect to y_pred (same shape as
// y_pred).
struct LossValue {
  double value = 0;
  Tensor gradient;
};

class Loss {
 public:
  explicit Loss(bool from_logits) : from_logits_(from_logits) {}
  virtual ~Loss() = default;
  // Keras's name, e.g. "sparse_categorical_crossentropy".
  virtual const std::string& name() const = 0;
  // y_true: class indices (shape y_pred.shape[:-1], or that with a trailing 1;
  // float-coded integers) for sparse_*; y_pred's shape otherwise (a trailing
  // dimension of 1 on either side is squeezed, as Keras does).
  // "Per sample" means per position along every axis but the last, so
  // (N, H, W, C) outputs average over N*H*W, as Keras's reduction does.
  virtual LossValue compute(const Tensor& y_true, const Tensor& y_pred) const = 0;
  bool from_logits() const { return from_logits_; }

 private:
  bool from_logits_ = false;
};

// The names compile() accepts (keras.losses.get): categorical_crossentropy,
// sparse_categorical_crossentropy, binary_crossentropy (each with
// from_logits; also "bce"/"BCE"), mean_squared_error ("mse"/"MSE"),
// mean_absolute_error ("mae"/"MAE"), huber (delta 1.0), and the class names
// CategoricalCrossentropy, SparseCategoricalCrossentropy, BinaryCrossentropy,
// MeanSquaredError, MeanAbsoluteError, Huber. Case-sensitive, as in Keras.
// An unknown name, or from_logits for a regression loss, is a stride::Error
// (the first lists the known names).
std::unique_ptr<Loss> make_loss(const std::string& name, bool from_logits = false);

}  // namespace stride
