// The output-size arithmetic, against values worked out by hand from the
// formulas in reference §1 (not printed by the code under test).
#include <gtest/gtest.h>

#include "stride/error.hpp"
#include "stride/shape.hpp"

namespace stride {
namespace {

struct ConvCase {
  Dim in, k, s, d;
  Padding p;
  Dim out;
};

TEST(ConvOutputLength, Table) {
  const ConvCase cases[] = {
      {32, 3, 1, 1, Padding::kValid, 30},  // seed 1: (32 - 3)/1 + 1
      {30, 2, 2, 1, Padding::kValid, 15},  // seed 1 pooling
      {16, 3, 2, 1, Padding::kValid, 7},   // seed 2: 7.5 rounded down
      {16, 3, 2, 1, Padding::kSame, 8},    // seed 2: 7.5 rounded up
      {8, 3, 2, 1, Padding::kValid, 3},    // seed 2 height
      {8, 3, 2, 1, Padding::kSame, 4},
      {11, 2, 2, 1, Padding::kValid, 5},   // seed 1 comment: floor(9/2) + 1
      {11, 2, 2, 1, Padding::kSame, 6},    // ceil(11/2)
      {28, 3, 1, 1, Padding::kValid, 26},  // MNIST
      {26, 2, 2, 1, Padding::kValid, 13},
      {13, 3, 1, 1, Padding::kValid, 11},
      {11, 2, 2, 1, Padding::kValid, 5},
      {10, 3, 1, 2, Padding::kValid, 6},  // k_eff 5: 10 - 5 + 1
      {10, 3, 1, 2, Padding::kSame, 10},
      {7, 3, 3, 1, Padding::kValid, 2},   // floor(4/3) + 1
      {7, 3, 3, 1, Padding::kSame, 3},    // ceil(7/3)
      {1, 3, 1, 1, Padding::kValid, -1},  // window larger: floor division (§1.1 note)
      {2, 3, 1, 1, Padding::kValid, 0},
      {1, 4, 2, 1, Padding::kValid, -1},
      {5, 1, 1, 1, Padding::kCausal, 5},
  };
  for (const ConvCase& c : cases) {
    EXPECT_EQ(conv_output_length(c.in, c.k, c.p, c.s, c.d), c.out)
        << "in=" << c.in << " k=" << c.k << " s=" << c.s << " d=" << c.d;
  }
  EXPECT_EQ(conv_output_length(kNone, 3, Padding::kValid, 1), kNone);
  // Near INT64_MAX nothing may overflow: (2^63 - 1 - 1) / 2 + 1 = 2^62; ceil((2^63 - 1) / 2) =
  // 2^62.
  const Dim big = INT64_MAX;
  EXPECT_EQ(conv_output_length(big, 1, Padding::kValid, 2), Dim{1} << 62);
  EXPECT_EQ(conv_output_length(big, 1, Padding::kSame, 2), Dim{1} << 62);
  EXPECT_EQ(same_padding(big, 1, 2).total, 0);  // (2^62 - 1) * 2 + 1 - (2^63 - 1) = 0
}

TEST(SamePadding, SplitPutsTheOddPixelAfter) {
  // Reference §1.5 worked examples.
  struct Case {
    Dim in, k, s, total, before, after;
  };
  const Case cases[] = {{28, 3, 2, 1, 0, 1}, {5, 3, 2, 2, 1, 1}, {4, 3, 1, 2, 1, 1},
                        {4, 4, 1, 3, 1, 2},  {7, 2, 2, 1, 0, 1}, {16, 3, 2, 1, 0, 1},
                        {8, 3, 2, 1, 0, 1},  {6, 2, 2, 0, 0, 0}};
  for (const Case& c : cases) {
    const PaddingSplit p = same_padding(c.in, c.k, c.s);
    EXPECT_EQ(p.total, c.total) << c.in << "," << c.k << "," << c.s;
    EXPECT_EQ(p.before, c.before);
    EXPECT_EQ(p.after, c.after);
  }
}

TEST(DeconvOutputLength, Table) {
  // valid, no output_padding: in*s + max(k - s, 0)
  EXPECT_EQ(deconv_output_length(5, 3, Padding::kValid, std::nullopt, 2), 11);
  EXPECT_EQ(deconv_output_length(5, 2, Padding::kValid, std::nullopt, 3), 15);  // max(2-3,0)=0
  // same: in*s
  EXPECT_EQ(deconv_output_length(5, 3, Padding::kSame, std::nullopt, 2), 10);
  // explicit output padding: valid (in-1)*s + k + p; same (in-1)*s + k%2 + p
  EXPECT_EQ(deconv_output_length(5, 3, Padding::kValid, 1, 2), 12);
  EXPECT_EQ(deconv_output_length(5, 3, Padding::kSame, 1, 2), 10);
  EXPECT_EQ(deconv_output_length(5, 4, Padding::kSame, 0, 2), 8);
  EXPECT_EQ(deconv_output_length(4, 3, Padding::kValid, std::nullopt, 1, 2), 8);  // k_eff 5
}

TEST(WindowDim, ValidLeavesRowsUnreached) {
  const WindowDim w = window_dim(16, 3, Padding::kValid, 2);
  EXPECT_EQ(w.out, 7);
  EXPECT_EQ(w.numerator, 13);
  EXPECT_FALSE(w.exact);
  EXPECT_EQ(w.unreached, 1);  // last window covers 12..14, column 15 unread
  const WindowDim p = window_dim(11, 2, Padding::kValid, 2);
  EXPECT_EQ(p.out, 5);
  EXPECT_EQ(p.unreached, 1);
  EXPECT_EQ(window_dim(32, 3, Padding::kValid, 1).unreached, 0);
}

TEST(Checked, OverflowThrows) {
  EXPECT_THROW(checked_mul(Dim{1} << 40, Dim{1} << 40, "x"), Error);
  EXPECT_EQ(checked_product({kNone, 3, 4}, "x"), kNone);
  EXPECT_EQ(checked_product({2, 3, 4}, "x"), 24);
  EXPECT_EQ(floor_div(-3, 2), -2);
  EXPECT_EQ(floor_div(3, 2), 1);
}

TEST(ShapeText, PythonAndKeras3) {
  EXPECT_EQ(shape_to_python({kNone, 30, 30, 5}), "(None, 30, 30, 5)");
  EXPECT_EQ(shape_to_python({kNone}), "(None,)");
  EXPECT_EQ(shape_to_keras3({kNone}), "(None)");
}

}  // namespace
}  // namespace stride
