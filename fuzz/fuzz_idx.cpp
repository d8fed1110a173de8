// libFuzzer target for the IDX reader (plain and gzip): any input must either
// give an Array whose bytes match its shape and dtype, or a stride::Error;
// never a crash, a sanitizer report or another exception. Run with
//   build-fuzz/fuzz/fuzz_idx -max_total_time=60 fuzz/corpus/idx
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "stride/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  stride::Array array;
  try {
    array = stride::parse_idx(bytes, "fuzz.idx");
  } catch (const stride::Error&) {
    return 0;  // rejected with a located message: the expected outcome for bad input
  }
  // Outside the try: an error here is a bug, and escapes as a crash.
  if (array.bytes.size() !=
      static_cast<std::size_t>(array.size()) * stride::dtype_size(array.dtype))
    std::abort();
  (void)array.to_float();
  return 0;
}
