// Timing helpers shared by the benchmark worker: a clock, a sampler that
// repeats an operation until one sample lasts long enough to be measured
// well, and medians.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace stride::bench {

inline double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

// Runs `op` `calls` times per sample; calibrate() picks `calls` so that a
// sample takes at least min_seconds (short ops would otherwise be timed at
// the clock's resolution and dominated by the loop's jitter).
class Sampler {
 public:
  explicit Sampler(std::function<void()> op) : op_(std::move(op)) {}

  // Warm-up calls first: caches, lazily allocated buffers, page faults.
  void calibrate(double min_seconds, int warmup_calls = 2) {
    for (int i = 0; i < warmup_calls; ++i) op_();
    calls_ = 1;
    for (;;) {
      const double seconds = run();
      if (seconds >= min_seconds) break;
      // Grow toward the target in one or two steps rather than doubling.
      const double factor = seconds > 0 ? 1.2 * min_seconds / seconds : 8.0;
      calls_ = std::max(calls_ + 1, static_cast<long>(calls_ * std::min(factor, 64.0)));
    }
  }

  // Milliseconds per call, averaged over one sample.
  double sample_ms() { return 1e3 * run() / static_cast<double>(calls_); }
  long calls() const { return calls_; }

 private:
  double run() {
    const double start = now_seconds();
    for (long i = 0; i < calls_; ++i) op_();
    return now_seconds() - start;
  }

  std::function<void()> op_;
  long calls_ = 1;
};

}  // namespace stride::bench
