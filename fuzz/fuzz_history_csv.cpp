// libFuzzer target for the history CSV reader and its picture: any input must
// either give a table that plot_history_svg draws, or a stride::Error; never
// a crash, a sanitizer report or another exception. Run with
//   build-fuzz/fuzz/fuzz_history_csv -max_total_time=120 fuzz/corpus/history_csv
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stride/stride.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const stride::HistoryTable table = stride::parse_history_csv(text, "fuzz.csv");
    (void)stride::plot_history_svg(table);
  } catch (const stride::Error&) {
    // Rejected with a located message: the expected outcome for bad input.
  }
  return 0;
}
