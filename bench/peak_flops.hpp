// The machine's measured peak fp32 FLOP/s: a loop of independent fused
// multiply-adds that nothing but the FMA units limits, on 1 thread and on
// one pinned thread per CPU. The "% of peak" figures are relative to it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace stride::bench {

struct PeakSamples {
  int threads = 0;
  std::vector<double> gflops;  // one per sample
};

struct PeakResult {
  std::string isa;  // "avx512f" or "avx2+fma"
  int accumulators = 0;
  std::vector<PeakSamples> runs;  // 1 thread, then 2 (when 2 CPUs are allowed)
};

// Every vector ISA this CPU has (AVX-512 first), `samples` samples of about
// `sample_seconds` each per thread count, the thread counts alternating so
// that a slow spell hits both alike. Empty when the CPU has neither ISA.
std::vector<PeakResult> measure_peak_flops(int samples, double sample_seconds);

// The machine's store bandwidth into a buffer of `bytes` written again and
// again with ordinary vector stores (as a convolution writes its output),
// each thread its own contiguous share: what the output of a layer like
// bench case (a) costs to write at least. 1 thread, then 2 (when allowed).
struct StoreSamples {
  int threads = 0;
  std::vector<double> gbps;  // GB/s (1e9 bytes), one per sample
};
std::vector<StoreSamples> measure_store_bandwidth(std::size_t bytes, int samples,
                                                  double sample_seconds);

}  // namespace stride::bench
