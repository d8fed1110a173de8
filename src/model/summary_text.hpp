// Text helpers shared by the summary printers (Keras 2 and Keras 3 forms).
// Python measures and slices strings by code point, so the printers work on
// UTF-32 text and convert back at the end.
#pragma once

#include <string>
#include <string_view>

#include "stride/model.hpp"

namespace stride::summary_text {

std::u32string decode(std::string_view utf8);
std::string encode(std::u32string_view text);

// Python's format(n, ","): 34826 -> "34,826".
std::string thousands(Dim n);

// Keras's readable_memory_size: divide by 1024 until the value is below
// 1024, print it with two decimals and the unit. `byte_unit` is "Byte"
// (Keras 2.13+) or "B" (Keras 3); past PB the value stays in (1024) PB.
std::string readable_size(double bytes, const char* byte_unit);

// Python's int(pos * line_length): the double product truncated.
int column_end(double pos, int line_length);

// Rejects line lengths no terminal has, before anything is allocated.
void check_line_length(int line_length);

// The cell text of column 0: "conv2d (Conv2D)".
std::string name_cell(const Layer& layer);

std::string keras2_summary(const Sequential& model, SummaryStyle style, int line_length);
std::string keras3_summary(const Sequential& model, const SummaryOptions& options);

}  // namespace stride::summary_text
