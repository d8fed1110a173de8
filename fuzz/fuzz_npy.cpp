// libFuzzer target for the .npy and .npz readers. The first byte picks the
// reader (even: parse_npy, odd: parse_npz), the rest is the file. Any input
// must either parse or give a stride::Error; never a crash, a sanitizer
// report or another exception. What parses must survive a write and a read
// unchanged. Run with
//   build-fuzz/fuzz/fuzz_npy -max_total_time=60 fuzz/corpus/npy
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "stride/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool npz = data[0] % 2 == 1;
  stride::Array array;
  stride::NamedArrays arrays;
  try {
    if (npz)
      arrays = stride::parse_npz(bytes, "fuzz.npz");
    else
      array = stride::parse_npy(bytes, "fuzz.npy");
  } catch (const stride::Error&) {
    return 0;  // rejected with a located message: the expected outcome for bad input
  }
  // Outside the try: an error here is a bug, and escapes as a crash.
  if (npz) {
    const bool compressed = data[0] & 2;
    if (stride::parse_npz(stride::serialize_npz(arrays, compressed), "again.npz") != arrays)
      std::abort();
  } else {
    (void)array.to_float();
    if (stride::parse_npy(stride::serialize_npy(array), "again.npy") != array) std::abort();
  }
  return 0;
}
