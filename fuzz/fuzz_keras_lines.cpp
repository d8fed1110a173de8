// libFuzzer target for the Keras lines reader: any bytes must either give a
// model (which must then build and summarize) or a stride::Error. Anything
// else escaping, or a sanitizer report, is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stride/stride.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    stride::Sequential model = stride::read_keras_lines(text, "fuzz.py");
    model.build();
    (void)model.summary();
  } catch (const stride::Error&) {
    // Rejected input: expected.
  }
  try {
    (void)stride::parse_layer_call(text, "<arg>");
  } catch (const stride::Error&) {
  }
  return 0;
}
