// See hdf5_watchdog.hpp.
#include "hdf5_watchdog.hpp"

#include <chrono>
#include <functional>

#include "stride/model.hpp"

namespace stride {

namespace {

std::mutex settings_mutex;
std::chrono::milliseconds limit{0};  // 0: no watchdog
std::function<void(const std::string&)> on_stuck;

}  // namespace

void set_hdf5_watchdog(std::chrono::milliseconds new_limit,
                       std::function<void(const std::string& file)> handler) {
  std::lock_guard lock(settings_mutex);
  limit = handler ? new_limit : std::chrono::milliseconds{0};
  on_stuck = std::move(handler);
}

namespace hdf5 {

ReadDeadline::ReadDeadline(std::string file) : file_(std::move(file)) {
  std::chrono::milliseconds wait;
  std::function<void(const std::string&)> handler;
  {
    std::lock_guard lock(settings_mutex);
    wait = limit;
    handler = on_stuck;
  }
  if (wait.count() <= 0 || !handler) return;
  watchdog_ = std::thread([this, wait, handler = std::move(handler)] {
    std::unique_lock lock(mutex_);
    if (!finished_.wait_for(lock, wait, [&] { return done_; })) handler(file_);
  });
}

ReadDeadline::~ReadDeadline() {
  if (!watchdog_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  finished_.notify_one();
  watchdog_.join();
}

}  // namespace hdf5
}  // namespace stride
