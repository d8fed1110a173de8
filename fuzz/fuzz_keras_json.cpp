// libFuzzer target for the Keras JSON reader: any input must either give a
// model whose build and summary succeed, or a stride::Error; never a crash,
// a sanitizer report or another exception. Run with
//   build-fuzz/fuzz/fuzz_keras_json -max_total_time=120 fuzz/corpus/keras_json
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stride/stride.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    stride::Sequential model = stride::read_keras_json(text, "fuzz.json");
    model.build();
    (void)model.summary();
  } catch (const stride::Error&) {
    // Rejected with a located message: the expected outcome for bad input.
  }
  return 0;
}
