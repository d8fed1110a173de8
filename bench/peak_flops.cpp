// Peak FLOP/s probe. Each loop iteration issues kAccumulators independent
// FMAs (acc = acc * b + a): an FMA has a latency of about 4 cycles and a
// core retires up to 2 per cycle, so at least 8 chains must be in flight;
// 12 leave a margin and still fit in the 16 ymm registers with a and b.
// The kernels are compiled for their ISA through target attributes, so the
// build needs no -march flag; the ISA is picked at run time.
#include "peak_flops.hpp"

#include <immintrin.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <thread>

#include "timing.hpp"

namespace stride::bench {

namespace {

constexpr int kAccumulators = 12;

// Multiplicands read through volatile so that the loop cannot be folded.
volatile float g_addend = 1e-6f, g_factor = 0.999999f;
volatile float g_sink = 0;

__attribute__((target("avx512f"))) void fma_loop_avx512(long iterations) {
  const __m512 a = _mm512_set1_ps(g_addend), b = _mm512_set1_ps(g_factor);
  __m512 acc[kAccumulators];
  for (__m512& v : acc) v = _mm512_setzero_ps();
  for (long i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < kAccumulators; ++j) acc[j] = _mm512_fmadd_ps(acc[j], b, a);
  }
  __m512 sum = acc[0];
  for (int j = 1; j < kAccumulators; ++j) sum = _mm512_add_ps(sum, acc[j]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  g_sink = lanes[0];
}

__attribute__((target("avx2,fma"))) void fma_loop_avx2(long iterations) {
  const __m256 a = _mm256_set1_ps(g_addend), b = _mm256_set1_ps(g_factor);
  __m256 acc[kAccumulators];
  for (__m256& v : acc) v = _mm256_setzero_ps();
  for (long i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < kAccumulators; ++j) acc[j] = _mm256_fmadd_ps(acc[j], b, a);
  }
  __m256 sum = acc[0];
  for (int j = 1; j < kAccumulators; ++j) sum = _mm256_add_ps(sum, acc[j]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  g_sink = lanes[0];
}

struct Kernel {
  const char* isa;
  void (*loop)(long);
  int lanes;
};

// The CPUs this process may run on, in order.
std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

void pin_this_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

// Runs work(i) on one pinned thread per CPU cpus[i], all released at once;
// returns the wall seconds until the last one finishes. New threads are used
// even for one CPU so that the caller's affinity is left alone.
template <class Work>
double run_pinned(const Work& work, const std::vector<int>& cpus) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < cpus.size(); ++i)
    threads.emplace_back([&, i] {
      pin_this_thread(cpus[i]);
      ready.fetch_add(1);
      while (!go.load()) {
      }
      work(i);
    });
  while (ready.load() < static_cast<int>(cpus.size())) {
  }
  const double start = now_seconds();
  go.store(true);
  for (std::thread& t : threads) t.join();
  return now_seconds() - start;
}

double run_pinned(const Kernel& kernel, long iterations, const std::vector<int>& cpus) {
  return run_pinned([&](std::size_t) { kernel.loop(iterations); }, cpus);
}

// One CPU, then two where the process may use two.
std::vector<std::vector<int>> thread_sets() {
  const std::vector<int> cpus = allowed_cpus();
  std::vector<std::vector<int>> sets{{cpus.empty() ? 0 : cpus[0]}};
  if (cpus.size() >= 2) sets.push_back({cpus[0], cpus[1]});
  return sets;
}

PeakResult measure(const Kernel& kernel, int samples, double sample_seconds) {
  const std::vector<std::vector<int>> sets = thread_sets();
  const std::vector<int>& one = sets[0];

  long iterations = 1 << 16;  // calibrated on one thread
  for (double seconds = 0; seconds < 0.05; iterations *= 2)
    seconds = run_pinned(kernel, iterations, one);
  iterations = static_cast<long>(iterations * sample_seconds / run_pinned(kernel, iterations, one));

  PeakResult result{kernel.isa, kAccumulators, {}};
  for (const std::vector<int>& set : sets)
    result.runs.push_back({static_cast<int>(set.size()), {}});
  const double flops_per_thread =
      2.0 * kernel.lanes * kAccumulators * static_cast<double>(iterations);
  for (int s = 0; s < samples; ++s)
    for (std::size_t t = 0; t < sets.size(); ++t) {
      const double seconds = run_pinned(kernel, iterations, sets[t]);
      result.runs[t].gflops.push_back(flops_per_thread * sets[t].size() / seconds / 1e9);
    }
  return result;
}

__attribute__((target("avx512f"))) void fill_avx512(float* to, std::size_t floats, long times) {
  const __m512 value = _mm512_set1_ps(g_addend);
  for (long t = 0; t < times; ++t)
    for (std::size_t i = 0; i + 16 <= floats; i += 16) _mm512_store_ps(to + i, value);
}

__attribute__((target("avx2"))) void fill_avx2(float* to, std::size_t floats, long times) {
  const __m256 value = _mm256_set1_ps(g_addend);
  for (long t = 0; t < times; ++t)
    for (std::size_t i = 0; i + 8 <= floats; i += 8) _mm256_store_ps(to + i, value);
}

}  // namespace

std::vector<StoreSamples> measure_store_bandwidth(std::size_t bytes, int samples,
                                                  double sample_seconds) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) return {};  // as the FMA probe: nothing to measure with
  const auto fill = __builtin_cpu_supports("avx512f") ? fill_avx512 : fill_avx2;
  const std::size_t floats = bytes / sizeof(float) / 64 * 64;  // whole lines for 2 threads
  std::unique_ptr<float, decltype(&std::free)> buffer(
      static_cast<float*>(std::aligned_alloc(64, floats * sizeof(float))), &std::free);
  float* const data = buffer.get();
  if (!data || floats == 0) return {};
  const auto write = [&](const std::vector<int>& cpus, long times) {
    const std::size_t share = floats / cpus.size();
    return run_pinned([&](std::size_t i) { fill(data + i * share, share, times); }, cpus);
  };
  const std::vector<std::vector<int>> sets = thread_sets();
  long times = 1;  // calibrated on one thread, the buffer's pages touched first
  for (double seconds = 0; seconds < 0.02; times *= 2) seconds = write(sets[0], times);
  times = std::max(1L, static_cast<long>(times * sample_seconds / write(sets[0], times)));
  std::vector<StoreSamples> runs;
  for (const std::vector<int>& set : sets) runs.push_back({static_cast<int>(set.size()), {}});
  for (int s = 0; s < samples; ++s)
    for (std::size_t t = 0; t < sets.size(); ++t)
      runs[t].gbps.push_back(double(floats * sizeof(float)) * times / write(sets[t], times) / 1e9);
  return runs;
}

std::vector<PeakResult> measure_peak_flops(int samples, double sample_seconds) {
  __builtin_cpu_init();
  std::vector<PeakResult> results;
  if (__builtin_cpu_supports("avx512f"))
    results.push_back(measure({"avx512f", fma_loop_avx512, 16}, samples, sample_seconds));
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    results.push_back(measure({"avx2+fma", fma_loop_avx2, 8}, samples, sample_seconds));
  return results;
}

}  // namespace stride::bench
