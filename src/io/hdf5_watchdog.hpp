// A deadline for reading one HDF5 file: Debian's libhdf5 1.10 loops forever
// on some corrupt files (a damaged global heap behind a variable-length
// string), and nothing in its API can stop it. While a ReadDeadline lives, a
// watchdog thread waits; if the limit set by stride::set_hdf5_watchdog passes
// first, it calls the handler (the CLI's prints the error and exits).
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace stride::hdf5 {

class ReadDeadline {
 public:
  explicit ReadDeadline(std::string file);
  ~ReadDeadline();
  ReadDeadline(const ReadDeadline&) = delete;
  ReadDeadline& operator=(const ReadDeadline&) = delete;

 private:
  std::string file_;
  std::mutex mutex_;
  std::condition_variable finished_;
  bool done_ = false;
  std::thread watchdog_;
};

}  // namespace stride::hdf5
