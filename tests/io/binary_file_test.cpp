// write_file_atomically's temporary names, read back by atomic_write_target.
#include "io/binary_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <string>

namespace stride {
namespace {

TEST(AtomicWriteTarget, GivesTheNameATemporaryWasWrittenFor) {
  EXPECT_EQ(atomic_write_target("epoch-0001.npz.tmp.77"), "epoch-0001.npz");
  EXPECT_EQ(atomic_write_target("w.npy.tmp.5.tmp.123"), "w.npy.tmp.5");  // the last infix
  EXPECT_EQ(atomic_write_target(".tmp.1"), "");
  // The name write_file_atomically uses in this process.
  const std::string temporary = "model.npz.tmp." + std::to_string(::getpid());
  EXPECT_EQ(atomic_write_target(temporary), "model.npz");
}

TEST(AtomicWriteTarget, RefusesOtherNames) {
  for (const char* name : {"epoch-0001.npz", "epoch-0001.npz.tmp.", "epoch-0001.npz.tmp.7x",
                           "epoch-0001.npz.tmp.-7", "a.tmp", "a.tmp7", "a.TMP.7", "a.tmp.7 "})
    EXPECT_EQ(atomic_write_target(name), std::nullopt) << name;
}

}  // namespace
}  // namespace stride
