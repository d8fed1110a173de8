// stride_bench: the stride worker of the benchmark suite (bench/README.md).
//
//   stride_bench [--threads N] [--min-sample-ms MS]   worker: reads requests on stdin
//   stride_bench --peak [--peak-samples K]            peak FLOP/s and store bandwidth
//                                                      probes, one JSON line
//   stride_bench --list                               the case names
//
// A request is one line, "CASE [SAMPLES]" (a case name, "peak", "rss" or "quit");
// each answer is one JSON line. The first line printed describes the worker
// (build, threads, the start-up check). bench/torch_bench.py speaks the same
// protocol, so compare.py can alternate between the two.
#include <sys/resource.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stride/build.hpp>
#include <stride/parallel.hpp>
#include <string>

#include "peak_flops.hpp"
#include "stride_cases.hpp"
#include "timing.hpp"

namespace {

using nlohmann::json;
using stride::bench::Workload;

// How the library was built (stride::build_info, from its own translation
// units) and how this file was: both come from one CMake configuration, but
// the library's own answer is the one that matters for its times.
json build_info() {
#if defined(__OPTIMIZE__)
  const bool bench_optimized = true;
#else
  const bool bench_optimized = false;
#endif
  const stride::BuildInfo library = stride::build_info();
  const std::string type = STRIDE_BENCH_BUILD_TYPE;
  json warnings = json::array();
  if (!library.optimized || !bench_optimized)
    warnings.push_back(std::string(library.optimized ? "stride_bench" : "the stride library") +
                       " was built without optimization (build type '" + type +
                       "'): the times mean nothing; configure with -DCMAKE_BUILD_TYPE=Release");
  else if (library.assertions)
    warnings.push_back("the stride library was built without NDEBUG (build type '" + type +
                       "'): assertions are on; use -DCMAKE_BUILD_TYPE=Release");
  if (STRIDE_BENCH_SANITIZE)
    warnings.push_back("built with sanitizers (STRIDE_SANITIZE=ON): the times mean nothing");
  return {{"type", type},
          {"library_optimized", library.optimized},
          {"library_assertions", library.assertions},
          {"bench_optimized", bench_optimized},
          {"gemm_kernel", library.gemm_kernel},
          {"warnings", warnings}};
}

// Threads stride runs with (0 keeps the library's default: the CPUs this
// process may use, or $STRIDE_NUM_THREADS).
json apply_threads(int requested) {
  if (requested > 0) stride::set_num_threads(requested);
  return {{"requested", requested},
          {"used", stride::num_threads()},
          {"note", "stride::set_num_threads"}};
}

// The naive-loop check of two small layers before anything is timed: SAME
// with odd total padding (1 before, 2 after) and stride 2, and VALID with
// stride 2 leaving the last row and column unread (case g). Each timed case
// checks its own output at set-up too.
json startup_check() {
  json out = json::object();
  const stride::bench::ConvGeometry same_odd{2, 9, 7, 3, 4, 4, 2, true};
  out["conv_same_odd_fwdbwd"] =
      stride::bench::make_conv_workload("same_odd", same_odd, true, 0)->check;
  out["conv_g_fwdbwd"] = stride::bench::make_workload("conv_g_fwdbwd", 0)->check;
  return out;
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

json run_peak(int samples) {
  json results = json::array();
  for (const stride::bench::PeakResult& r : stride::bench::measure_peak_flops(samples, 0.2)) {
    json runs = json::array();
    for (const stride::bench::PeakSamples& s : r.runs)
      runs.push_back({{"threads", s.threads},
                      {"samples_gflops", s.gflops},
                      {"median_gflops", stride::bench::median(s.gflops)},
                      {"best_gflops", *std::max_element(s.gflops.begin(), s.gflops.end())}});
    results.push_back({{"isa", r.isa}, {"accumulators", r.accumulators}, {"runs", runs}});
  }
  return {{"case", "peak"}, {"results", results}};
}

// The store bandwidth into a buffer the size of case (a)'s output, which
// that case must write whatever its kernel: the floor of its time.
json run_store_probe(int samples) {
  const auto& cases = stride::bench::conv_cases();
  const auto a = std::find_if(cases.begin(), cases.end(), [](const auto& c) { return c.id == 'a'; });
  const stride::bench::ConvGeometry& g = a->geometry;
  const std::size_t bytes = std::size_t(g.n * g.out_h() * g.out_w() * g.cout) * sizeof(float);
  json runs = json::array();
  for (const stride::bench::StoreSamples& s :
       stride::bench::measure_store_bandwidth(bytes, samples, 0.1))
    runs.push_back({{"threads", s.threads},
                    {"samples_gbps", s.gbps},
                    {"median_gbps", stride::bench::median(s.gbps)},
                    {"best_gbps", *std::max_element(s.gbps.begin(), s.gbps.end())}});
  return {{"bytes", bytes}, {"buffer", "conv_a output"}, {"runs", runs}};
}

json answer(const std::string& name, int samples, double min_seconds,
            std::map<std::string, std::unique_ptr<Workload>>& workloads) {
  if (name == "rss") return {{"case", "rss"}, {"peak_rss_mib", peak_rss_mib()}};
  if (name == "peak") return run_peak(samples);  // compare.py samples it every round
  std::unique_ptr<Workload>& workload = workloads[name];
  if (!workload) workload = stride::bench::make_workload(name, min_seconds);
  if (!workload) {
    workloads.erase(name);
    return {{"case", name}, {"error", "unknown case"}};
  }
  std::vector<double> ms;
  for (int i = 0; i < samples; ++i) ms.push_back(workload->sample_ms());
  return {{"case", name},
          {"samples_ms", ms},
          {"median_ms", stride::bench::median(ms)},
          {"best_ms", *std::min_element(ms.begin(), ms.end())},
          {"flops", workload->flops_per_call},
          {"items", workload->items_per_call},
          {"calls_per_sample", workload->calls_per_sample},
          {"check", workload->check}};
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 0, peak_samples = 7;  // threads 0: the library's default
  double min_seconds = 0.3;
  bool peak = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--threads" && has_value) {
      threads = std::stoi(argv[++i]);
    } else if (arg == "--min-sample-ms" && has_value) {
      min_seconds = std::stod(argv[++i]) / 1e3;
    } else if (arg == "--peak") {
      peak = true;
    } else if (arg == "--peak-samples" && has_value) {
      peak_samples = std::stoi(argv[++i]);
    } else if (arg == "--list") {
      for (const std::string& name : stride::bench::workload_names()) std::cout << name << "\n";
      return 0;
    } else {
      std::cerr << "usage: stride_bench [--threads N] [--min-sample-ms MS] | --peak "
                   "[--peak-samples K] | --list\n";
      return 2;
    }
  }
  if (peak) {
    json reply = run_peak(peak_samples);
    reply["store"] = run_store_probe(peak_samples);
    std::cout << reply.dump() << std::endl;
    return 0;
  }

  json hello = {{"worker", "stride"}, {"build", build_info()}, {"threads", apply_threads(threads)}};
  for (const auto& warning : hello["build"]["warnings"])
    std::cerr << "warning: " << warning.get<std::string>() << "\n";
  try {
    hello["startup_check"] = startup_check();
  } catch (const std::exception& e) {
    hello["error"] = e.what();
    std::cout << hello.dump() << std::endl;
    return 1;
  }
  std::cout << hello.dump() << std::endl;

  std::map<std::string, std::unique_ptr<Workload>> workloads;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream request(line);
    std::string name;
    int samples = 1;
    if (!(request >> name)) continue;
    if (name == "quit") break;
    request >> samples;
    json reply;
    try {
      reply = answer(name, std::max(samples, 1), min_seconds, workloads);
    } catch (const std::exception& e) {
      reply = {{"case", name}, {"error", e.what()}};
    }
    std::cout << reply.dump() << std::endl;
  }
  return 0;
}
