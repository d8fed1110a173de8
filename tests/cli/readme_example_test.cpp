// The README's C++ example (examples/cpp/readme_example.cpp) is compiled here
// and run, and the README must show it verbatim, so that it cannot rot.
#include <gtest/gtest.h>

#include "cli/cli_runner.hpp"

#define main readme_example_main
#include "../../examples/cpp/readme_example.cpp"
#undef main
// Compiled only: a full Fashion-MNIST run is `./scripts/train_fashion_mnist.sh`'s job.
#define main train_example_main
#include "../../examples/cpp/train_example.cpp"
#undef main

namespace stride::test {
namespace {

TEST(ReadmeExample, PrintsSummaryShapeAndCount) {
  ::testing::internal::CaptureStdout();
  readme_example_main();
  const std::string out = ::testing::internal::GetCapturedStdout();
  // Conv2D(32, 3) on 28x28x1: 26x26x32, (3*3*1 + 1) * 32 = 320.
  EXPECT_NE(out.find("conv2d (Conv2D)              (None, 26, 26, 32)        320"),
            std::string::npos)
      << out;
  // MaxPooling2D(2): floor((26 - 2) / 2) + 1 = 13; Flatten: 13*13*32 = 5408;
  // Dense(10): (5408 + 1) * 10 = 54090; total 320 + 54090 = 54410.
  EXPECT_NE(out.find("flatten (Flatten)            (None, 5408)              0"),
            std::string::npos);
  EXPECT_NE(out.find("Total params: 54,410\n"), std::string::npos);
  EXPECT_NE(out.find("\n(None, 10) 54410\n"), std::string::npos);
  // predict on four zero images: conv and dense see only their zero biases, so
  // softmax of ten zeros gives 0.1 each.
  EXPECT_NE(out.find("\n(4, 10) 0.1\n"), std::string::npos) << out;
}

TEST(ReadmeExample, ReadmeShowsTheCompiledCode) {
  const std::string readme = read_text(source_path("README.md"));
  for (const char* file : {"examples/cpp/readme_example.cpp", "examples/cpp/train_example.cpp"}) {
    const std::string code = read_text(source_path(file));
    ASSERT_FALSE(code.empty()) << file;
    EXPECT_NE(readme.find("```cpp\n" + code + "```\n"), std::string::npos)
        << "README.md must quote " << file << " exactly";
  }
}

}  // namespace
}  // namespace stride::test
