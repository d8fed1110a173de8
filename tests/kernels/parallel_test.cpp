// Threads: parallel_for hands out every piece exactly once, and the kernels
// that use it give bit-identical results for every thread count (each
// output is computed by one piece, in a fixed order).
#include "kernels/parallel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "kernels/conv.hpp"
#include "kernels/gemm.hpp"
#include "kernels/internal.hpp"
#include "kernels/kernel_test_util.hpp"
#include "kernels/onednn.hpp"
#include "stride/parallel.hpp"

namespace stride::kernels {
namespace {

// Restores the thread count a test changes.
class ThreadCount {
 public:
  ThreadCount() : saved_(num_threads()) {}
  ~ThreadCount() { set_num_threads(saved_); }

 private:
  int saved_;
};

TEST(Parallel, EveryPieceRunsOnceWithItsFixedBounds) {
  ThreadCount restore;
  for (int threads : {1, 2, 3, 5}) {
    set_num_threads(threads);
    EXPECT_EQ(num_threads(), threads);
    for (Dim count : {Dim{1}, Dim{7}, Dim{64}, Dim{1000}}) {
      for (Dim grain : {Dim{1}, Dim{3}, Dim{64}}) {
        std::mutex mutex;
        std::set<std::pair<Dim, Dim>> pieces;
        std::vector<std::atomic<int>> hits(count);
        parallel_for(count, grain, [&](Dim begin, Dim end) {
          for (Dim i = begin; i < end; ++i) hits[i]++;
          std::lock_guard lock(mutex);
          pieces.insert({begin, end});
        });
        for (Dim i = 0; i < count; ++i) ASSERT_EQ(hits[i].load(), 1) << i;
        EXPECT_EQ(Dim(pieces.size()), (count + grain - 1) / grain);
        for (const auto& [begin, end] : pieces) {
          EXPECT_EQ(begin % grain, 0);
          EXPECT_EQ(end, std::min(count, begin + grain));
        }
      }
    }
  }
}

// A thread that has finished its own share helps with another's from its
// back end, so the owner keeps streaming forward. Here piece 0 waits until
// piece 31, the last of its share, has run, and piece 31 must run before
// piece 1 (a helper taking from the front would run 1 first). Whatever the
// timing, the caller (the owner of the first share) runs a prefix of the
// first share and a suffix of the second.
TEST(Parallel, HelpersTakePiecesFromTheBackOfAShare) {
  ThreadCount restore;
  set_num_threads(2);
  constexpr Dim kCount = 64, kShare = kCount / 2;
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<std::atomic<int>> hits(kCount);
  std::vector<std::thread::id> runner(kCount);
  std::atomic<bool> last_done{false};
  bool last_before_second = false, timed_out = false;
  parallel_for(kCount, 1, [&](Dim begin, Dim) {
    runner[begin] = std::this_thread::get_id();
    hits[begin]++;
    if (begin == kShare - 1) {
      last_before_second = hits[1].load() == 0;
      last_done = true;
    }
    if (begin == 0) {
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!last_done && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
      timed_out = !last_done;
    }
  });
  for (Dim i = 0; i < kCount; ++i) ASSERT_EQ(hits[i].load(), 1) << i;
  EXPECT_FALSE(timed_out) << "no thread ran the share's last piece";
  EXPECT_TRUE(last_before_second) << "a helper took the share's pieces from the front";
  const auto by_caller = [&](Dim i) { return runner[i] == caller; };
  Dim i = 0;
  while (i < kShare && by_caller(i)) ++i;  // the caller's prefix of its own share
  for (; i < kShare; ++i) EXPECT_FALSE(by_caller(i)) << "piece " << i;
  while (i < kCount && !by_caller(i)) ++i;  // the other thread's prefix of its share
  for (; i < kCount; ++i) EXPECT_TRUE(by_caller(i)) << "piece " << i;
}

TEST(Parallel, NestedCallsRunInline) {
  ThreadCount restore;
  set_num_threads(3);
  std::atomic<int> inner{0};
  parallel_for(6, 1, [&](Dim, Dim) {
    parallel_for(4, 1, [&](Dim begin, Dim end) { inner += int(end - begin); });
  });
  EXPECT_EQ(inner.load(), 24);
}

TEST(Parallel, AnExceptionInAPieceReachesTheCaller) {
  ThreadCount restore;
  for (int threads : {1, 3}) {
    set_num_threads(threads);
    std::atomic<int> ran{0};
    EXPECT_THROW(parallel_for(8, 1,
                              [&](Dim begin, Dim) {
                                ++ran;
                                if (begin == 5) throw std::bad_alloc();
                              }),
                 std::bad_alloc);
    // The pool is usable afterwards.
    std::atomic<int> after{0};
    parallel_for(8, 1, [&](Dim, Dim) { ++after; });
    EXPECT_EQ(after.load(), 8);
  }
}

TEST(Parallel, ThreadCountIsClamped) {
  ThreadCount restore;
  set_num_threads(0);
  EXPECT_EQ(num_threads(), 1);
  set_num_threads(100000);
  EXPECT_EQ(num_threads(), 256);
}

// The same computation at 1, 2 and 3 threads, compared bit for bit.
template <class Compute>
void expect_same_for_every_thread_count(Compute compute) {
  ThreadCount restore;
  set_num_threads(1);
  const std::vector<float> one = compute();
  for (int threads : {2, 3}) {
    set_num_threads(threads);
    EXPECT_EQ(compute(), one) << threads << " threads";
  }
}

TEST(Parallel, GemmIsBitIdenticalAcrossThreadCounts) {
  test::Rng rng(5);
  const Dim m = 517, n = 70, k = 300;
  const std::vector<float> a = rng.floats(m * k), b = rng.floats(k * n);
  expect_same_for_every_thread_count([&] {
    std::vector<float> c(m * n);
    gemm(KernelPath::kFast, m, n, k, a.data(), k, b.data(), n, c.data(), n, false);
    return c;
  });
}

ConvGeometry conv3x3(Dim batch, Dim size, Dim cin, Dim cout) {
  ConvGeometry g;
  g.batch = batch;
  g.input = {1, size, size};
  g.output = {1, size - 2, size - 2};
  g.kernel = {1, 3, 3};
  g.in_channels = cin;
  g.out_channels = cout;
  return g;
}

void expect_convolutions_same_for_every_thread_count() {
  test::Rng rng(6);
  for (Dim batch : {Dim{1}, Dim{5}, Dim{11}}) {
    const ConvGeometry g = conv3x3(batch, 20, 6, 9);
    const Dim in_size = batch * 20 * 20 * 6, out_size = batch * 18 * 18 * 9;
    const std::vector<float> x = rng.floats(in_size), w = rng.floats(9 * 6 * 9),
                             bias = rng.floats(9), dy = rng.floats(out_size);
    expect_same_for_every_thread_count([&] {
      std::vector<float> y(out_size);
      conv_forward(KernelPath::kFast, g, x.data(), w.data(), bias.data(), y.data());
      return y;
    });
    expect_same_for_every_thread_count([&] {
      std::vector<float> dx(in_size);
      conv_backward_input(KernelPath::kFast, g, dy.data(), w.data(), dx.data());
      return dx;
    });
    expect_same_for_every_thread_count([&] {
      std::vector<float> dw(9 * 6 * 9 + 9);
      conv_backward_kernel(KernelPath::kFast, g, x.data(), dy.data(), dw.data(),
                           dw.data() + 9 * 6 * 9);
      return dw;
    });
  }
}

// With oneDNN off too (STRIDE_ONEDNN=0, or a build without it), and with
// stride's direct kernels off as well: the im2col paths, whose bands once
// depended on the thread count (a lone image's last band of 4 rows, which
// gemm sums by another loop, gave other bits on 3 threads).
TEST(Parallel, ConvolutionAndGradientsAreBitIdenticalAcrossThreadCounts) {
  const bool onednn_was_on = onednn::enabled(), direct_was_on = detail::direct_kernels();
  for (int paths = 0; paths < 3; ++paths) {
    onednn::set_enabled(paths == 0);
    detail::set_direct_kernels(paths < 2);
    SCOPED_TRACE(paths == 0 ? "default paths" : paths == 1 ? "oneDNN off" : "im2col");
    expect_convolutions_same_for_every_thread_count();
  }
  onednn::set_enabled(onednn_was_on);
  detail::set_direct_kernels(direct_was_on);
}

}  // namespace
}  // namespace stride::kernels
