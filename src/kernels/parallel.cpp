// The threads behind parallel_for (see parallel.hpp). Built with oneDNN,
// whose primitives run on OpenMP threads, parallel_for runs on the same
// OpenMP team (STRIDE_OPENMP_POOL): a second pool of our own would compete
// with OpenMP's threads, which spin for a while after each primitive, and on
// a 2-core machine each side would lose half its time. Without oneDNN it is
// a small pool of std::threads. Either way pieces are claimed dynamically.
#include "kernels/parallel.hpp"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "stride/parallel.hpp"

#if defined(STRIDE_OPENMP_POOL)
#include <omp.h>
#endif

namespace stride {

namespace {

constexpr int kMaxThreads = 256;

int default_threads() {
  if (const char* env = std::getenv("STRIDE_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1) return std::min(n, kMaxThreads);
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// The pieces of one parallel_for, cut into one contiguous share per thread.
// A thread claims its own share's pieces from the front, in order, then
// helps with the others' from their back ends: each thread's outputs lie
// together and it tends to get the same share from one call to the next, so
// a layer finds its input in the cache of the core that wrote it, while a
// slowed core still does less; and a helper's writes stay away from those
// of the share's owner, which goes on streaming forward. Handed out round
// the team from one counter instead, the MNIST convnet trained 1.18x and
// inferred 1.19x slower on 2 threads, and a kernel that only stored its 11
// MB output took 1.6x as long.
class Shares {
 public:
  // At most kMaxPieces pieces: a share's front and back share one atomic word.
  static constexpr Dim kMaxPieces = Dim(1) << 31;

  Shares(Dim pieces, int team) : shares_(static_cast<std::size_t>(team)) {
    for (int t = 0; t < team; ++t)
      shares_[t].range.store(pack(pieces * t / team, pieces * (t + 1) / team));
  }
  // run_piece(piece) for every piece this thread claims.
  template <class RunPiece>
  void claim(int own, const RunPiece& run_piece) {
    const int team = static_cast<int>(shares_.size());
    for (Dim piece; (piece = shares_[own].take(true)) >= 0;) run_piece(piece);
    for (int k = 1; k < team; ++k) {
      Share& share = shares_[(own + k) % team];
      for (Dim piece; (piece = share.take(false)) >= 0;) run_piece(piece);
    }
  }

 private:
  static std::uint64_t pack(Dim front, Dim back) {
    return std::uint64_t(front) << 32 | std::uint64_t(back);
  }
  struct alignas(64) Share {              // a cache line each: the words are contended
    std::atomic<std::uint64_t> range{0};  // [front, back) of the unclaimed pieces
    // The piece taken from the front (the owner) or the back (a helper); -1
    // when none is left.
    Dim take(bool front) {
      std::uint64_t now = range.load(std::memory_order_relaxed);
      for (;;) {
        const Dim first = Dim(now >> 32), end = Dim(now & 0xFFFFFFFFu);
        if (first >= end) return -1;
        const std::uint64_t next = front ? pack(first + 1, end) : pack(first, end - 1);
        if (range.compare_exchange_weak(now, next, std::memory_order_acq_rel))
          return front ? first : end - 1;
      }
    }
  };
  std::vector<Share> shares_;
};

// One parallel_for at a time: the job is published under the mutex, workers
// and caller claim pieces from its Shares, the last one out wakes the caller.
class Pool {
 public:
  static Pool& instance() {
    static Pool pool;
    return pool;
  }

  int threads() const { return threads_; }

  void resize(int threads) {
    stop_workers();
    threads_ = std::clamp(threads, 1, kMaxThreads);
  }

  void run(Dim pieces, Dim count, Dim grain, const std::function<void(Dim, Dim)>& body) {
#if defined(STRIDE_OPENMP_POOL)
    run_openmp(pieces, count, grain, body);
#else
    run_pool(pieces, count, grain, body);
#endif
  }

  ~Pool() {
    stop_workers();
  }

 private:
#if defined(STRIDE_OPENMP_POOL)
  // Every member of the team claims pieces; the job lives on this stack, so
  // callers on different threads never share one.
  void run_openmp(Dim pieces, Dim count, Dim grain, const std::function<void(Dim, Dim)>& body) {
    std::mutex error_mutex;
    std::exception_ptr error;
    const int team = static_cast<int>(std::min<Dim>(threads_, pieces));
    Shares shares(pieces, team);
#pragma omp parallel num_threads(team)
    {
      inside_ = true;
      shares.claim(omp_get_thread_num(), [&](Dim piece) {
        const Dim begin = piece * grain;
        try {
          body(begin, std::min(count, begin + grain));
        } catch (...) {
          // Exceptions must not leave an OpenMP region; kept for the caller.
          std::lock_guard lock(error_mutex);
          if (!error) error = std::current_exception();
        }
      });
      inside_ = false;
    }
    if (error) std::rethrow_exception(error);
  }
#endif

  void run_pool(Dim pieces, Dim count, Dim grain, const std::function<void(Dim, Dim)>& body) {
    std::unique_lock lock(mutex_);
    start_workers();
    Shares shares(pieces, threads_);
    job_ = {&body, &shares, count, grain};
    unfinished_.store(pieces);
    ++generation_;
    lock.unlock();
    wake_.notify_all();
    work(0);
    lock.lock();
    // Every piece done and every worker out of work(): the job may change.
    done_.wait(lock, [&] { return unfinished_.load() == 0 && active_ == 0; });
    job_.body = nullptr;
    if (std::exception_ptr error = std::exchange(error_, nullptr)) std::rethrow_exception(error);
  }

  struct Job {
    const std::function<void(Dim, Dim)>* body = nullptr;
    Shares* shares = nullptr;
    Dim count = 0, grain = 1;
  };

  Pool() : threads_(default_threads()) {}

  // Claims pieces of the current job until none is left; `own` is the
  // thread's share (the caller's is 0).
  void work(int own) {
    inside_ = true;
    job_.shares->claim(own, [&](Dim piece) {
      const Dim begin = piece * job_.grain;
      try {
        (*job_.body)(begin, std::min(job_.count, begin + job_.grain));
      } catch (...) {
        // Kept for the caller (out of memory, say); the other pieces still run.
        std::lock_guard lock(error_mutex_);
        if (!error_) error_ = std::current_exception();
      }
      unfinished_.fetch_sub(1);
    });
    inside_ = false;
  }

  void worker_loop(int own) {
    std::uint64_t seen = 0;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || (generation_ != seen && job_.body); });
      if (stopping_) return;
      seen = generation_;
      ++active_;
      lock.unlock();
      work(own);
      lock.lock();
      --active_;
      done_.notify_one();
    }
  }

  // Called with mutex_ held.
  void start_workers() {
    if (!workers_.empty() || threads_ == 1) return;
    for (int i = 1; i < threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
  }

  void stop_workers() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    stopping_ = false;
  }

 public:
  static thread_local bool inside_;

 private:
  int threads_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  Job job_;
  std::atomic<Dim> unfinished_{0};
  std::uint64_t generation_ = 0;
  int active_ = 0;  // workers inside work()
  std::mutex error_mutex_;
  std::exception_ptr error_;  // the first exception a piece threw
  bool stopping_ = false;
};

thread_local bool Pool::inside_ = false;

}  // namespace

void set_num_threads(int threads) {
  Pool::instance().resize(threads);
}
int num_threads() {
  return Pool::instance().threads();
}

namespace kernels {

void parallel_for(Dim count, Dim grain, const std::function<void(Dim, Dim)>& body) {
  if (count <= 0) return;
  grain = std::max<Dim>(grain, 1);
  // Beyond Shares' range only for absurd counts; the pieces still depend
  // only on count and grain.
  if ((count + grain - 1) / grain > Shares::kMaxPieces)
    grain = (count + Shares::kMaxPieces - 1) / Shares::kMaxPieces;
  const Dim pieces = (count + grain - 1) / grain;
  Pool& pool = Pool::instance();
  if (pieces == 1 || pool.threads() == 1 || Pool::inside_) {
    for (Dim begin = 0; begin < count; begin += grain) body(begin, std::min(count, begin + grain));
    return;
  }
  pool.run(pieces, count, grain, body);
}

Dim parallel_pieces(Dim count, Dim min_grain) {
  const Dim threads = num_threads();
  return std::clamp<Dim>(count / std::max<Dim>(min_grain, 1), 1, threads);
}

Dim flop_grain(Dim count, double item_flops) {
  return std::max<Dim>({1, Dim(5e5 / std::max(item_flops, 1.0)), count / (32 * num_threads())});
}

}  // namespace kernels

}  // namespace stride
