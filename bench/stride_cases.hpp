// The workloads the stride worker times, by the names compare.py and
// torch_bench.py share: conv_<a..g>_fwd, conv_<a..g>_fwdbwd, mnist_train,
// mnist_infer128, mnist_latency1.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "conv_check.hpp"

namespace stride::bench {

// One timed workload, set up (data loaded, model built, outputs checked,
// warmed up) before its first sample.
class Workload {
 public:
  virtual ~Workload() = default;
  // One sample: milliseconds per call (for mnist_latency1, the median of
  // the single-image calls the sample made).
  virtual double sample_ms() = 0;
  double flops_per_call = 0;  // useful FLOPs, counted as documented in bench/README.md
  double items_per_call = 0;  // images per call for the MNIST cases, 1 for convolutions
  long calls_per_sample = 0;
  std::string check;  // what was verified at set-up, for the reply
};

struct ConvCase {
  char id;
  ConvGeometry geometry;
};
// Issue 5's layer shapes (a)..(g).
const std::vector<ConvCase>& conv_cases();
std::vector<std::string> workload_names();

// A Conv2D workload of any geometry (the start-up check uses small ones).
std::unique_ptr<Workload> make_conv_workload(const std::string& name, const ConvGeometry& g,
                                             bool backward, double min_sample_seconds);
// nullptr for an unknown name. Throws stride::Error when a set-up check fails.
std::unique_ptr<Workload> make_workload(const std::string& name, double min_sample_seconds);

}  // namespace stride::bench
