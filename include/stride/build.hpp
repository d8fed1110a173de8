// What the stride library in use was built as, and what it runs on: for
// `stride --version`, benchmarks, and the warning about unoptimized builds.
#pragma once

#include <string>

namespace stride {

struct BuildInfo {
  bool optimized = false;   // compiled with optimization (__OPTIMIZE__)
  bool assertions = true;   // compiled without NDEBUG
  std::string gemm_kernel;  // the micro-kernel picked for this CPU: "avx2 6x16", ...
  int threads = 1;          // num_threads() now
};
BuildInfo build_info();

// "stride was built without optimization ..." when it was, else "".
std::string unoptimized_build_warning();

}  // namespace stride
