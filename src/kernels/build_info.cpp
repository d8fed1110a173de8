// build_info(): how this library was compiled and which kernels it picked.
#include <fmt/format.h>

#include "kernels/gemm_micro.hpp"
#include "stride/build.hpp"
#include "stride/parallel.hpp"

namespace stride {

BuildInfo build_info() {
  BuildInfo info;
#ifdef __OPTIMIZE__
  info.optimized = true;
#endif
#ifdef NDEBUG
  info.assertions = false;
#endif
  const kernels::detail::MicroKernel& micro = kernels::detail::best_micro_kernel();
  info.gemm_kernel = fmt::format("{} {}x{}", micro.name, micro.mr, micro.nr);
  info.threads = num_threads();
  return info;
}

std::string unoptimized_build_warning() {
  if (build_info().optimized) return "";
  return "stride was built without optimization and computes many times slower than it can; "
         "build with -DCMAKE_BUILD_TYPE=Release (or RelWithDebInfo)";
}

}  // namespace stride
