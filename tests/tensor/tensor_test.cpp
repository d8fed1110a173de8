// Tensor: shapes, shared storage, views, alignment.
#include "stride/tensor.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "stride/error.hpp"

namespace stride {
namespace {

TEST(Tensor, StartsZeroedAndAligned) {
  Tensor t({2, 3, 4});
  EXPECT_EQ(t.size(), 24);
  EXPECT_EQ(t.rank(), 3u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.data()) % 64, 0u);
  for (float x : t) EXPECT_EQ(x, 0.0f);
}

TEST(Tensor, CopiesShareStorageClonesDoNot) {
  Tensor a({2, 2}, {1, 2, 3, 4});
  Tensor b = a;
  Tensor c = a.clone();
  b[0] = 9;
  EXPECT_EQ(a[0], 9);
  EXPECT_EQ(c[0], 1);
}

TEST(Tensor, ReshapeKeepsDataAndChecksSize) {
  Tensor a({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = a.reshaped({3, 2});
  EXPECT_EQ(b.shape(), (Shape{3, 2}));
  EXPECT_EQ(b[5], 6);
  EXPECT_THROW(a.reshaped({4, 2}), Error);
}

TEST(Tensor, ViewsAliasAndOutliveTheirBase) {
  Tensor view;
  {
    Tensor base({10}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    view = Tensor::view(base, 4, {2, 3});
    base[4] = 40;
    EXPECT_THROW(Tensor::view(base, 8, {3}), Error);
  }
  // The base is gone; the view keeps its storage alive (ASan would object otherwise).
  EXPECT_EQ(view[0], 40);
  EXPECT_EQ(view[5], 9);
}

TEST(Tensor, RefusesNegativeDimsAndWrongValueCounts) {
  EXPECT_THROW(Tensor({-1, 3}), Error);
  EXPECT_THROW(Tensor({2, 2}, {1, 2, 3}), Error);
  EXPECT_THROW(Tensor({Dim{1} << 40, Dim{1} << 40}), Error);  // overflows 64 bits
}

}  // namespace
}  // namespace stride
