// Keras 3's training progress display (keras/src/utils/progbar.py): on a
// terminal, a bar per epoch redrawn in place with the step count, ETA, time
// per step and the running metrics; otherwise one line per finished epoch.
#pragma once

#include <cstdio>
#include <string>

#include "stride/train.hpp"

namespace stride::cli {

class ProgressPrinter {
 public:
  // `dynamic`: redraw in place (stdout is a terminal); `color`: ANSI styles.
  ProgressPrinter(std::FILE* out, bool dynamic, bool color);
  // For stdout: dynamic when it is a terminal, colored unless NO_COLOR is set.
  static ProgressPrinter for_stdout();

  void epoch_begin(const Progress& p);
  void batch_end(const Progress& p);
  void epoch_end(const Progress& p);
  // A bar for evaluate(): like an epoch without the "Epoch i/n" header.
  void evaluate_batch_end(const Progress& p);

 private:
  void draw(const Progress& p, bool finished);
  std::string style(const char* code, const std::string& text) const;

  std::FILE* out_;
  bool dynamic_, color_;
  double last_draw_ = -1;           // seconds, in the epoch's clock
  double first_step_seconds_ = -1;  // when step 1 finished
  std::size_t previous_width_ = 0;  // visible width of the last drawn line
};

// Keras's number format in progress lines: 4 decimals, or 4 significant
// digits in e-notation when |x| <= 1e-3.
std::string format_metric(double value);
// "accuracy: 0.8812 - loss: 0.3301 - val_accuracy: ..." in the logs' order.
std::string format_logs(const Logs& logs);

}  // namespace stride::cli
