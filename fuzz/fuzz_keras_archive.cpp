// libFuzzer target for the .keras archive reader: the zip, config.json and
// metadata.json must give a model whose build and summary succeed, or a
// stride::Error; never a crash, a sanitizer report or another exception.
// The model.weights.h5 member (and a legacy .h5 given whole) goes through
// HDF5 only with STRIDE_FUZZ_HDF5=1 in the environment: Debian's libhdf5
// 1.10.8 itself hangs on some malformed files (found within seconds: an
// endless loop in its global heap, H5HG_read, when H5Aread converts a
// corrupt variable-length string attribute), which would stop every run
// inside libhdf5 instead of exercising stride's code.
// Run with
//   build-fuzz/fuzz/fuzz_keras_archive -max_total_time=60 fuzz/corpus/keras_archive
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "io/keras_files.hpp"
#include "stride/stride.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    stride::Sequential model = stride::read_keras_archive_model(bytes, "fuzz.keras");
    model.build();
    (void)model.summary();
  } catch (const stride::Error&) {
    // Rejected with a located message: the expected outcome for bad input.
  }
  // The weights too, and legacy .h5 models (an input with the HDF5 signature).
  static const bool with_hdf5 = [] {
    const char* v = std::getenv("STRIDE_FUZZ_HDF5");
    return v && *v == '1';
  }();
  if (with_hdf5) try {
      (void)stride::read_keras_model_file(bytes, "fuzz.keras");
    } catch (const stride::Error&) {
    }
  return 0;
}
