// The CSVLogger history file: parsed strictly, every problem reported as
// "FILE:LINE: ..." so a damaged file is found, not drawn wrong.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "io/binary_file.hpp"
#include "stride/plot.hpp"

namespace stride {

namespace {

constexpr std::uint64_t kMaxHistoryBytes = std::uint64_t{64} << 20;

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

// Python's float repr as CSVLogger writes it: "0.25", "1e-05", "nan",
// "inf", "-inf"; an empty cell is a missing value.
bool parse_value(std::string_view text, double& value) {
  if (text.empty()) {
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "nan") return value = std::numeric_limits<double>::quiet_NaN(), true;
  if (text == "inf") return value = std::numeric_limits<double>::infinity(), true;
  if (text == "-inf") return value = -std::numeric_limits<double>::infinity(), true;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end && std::isfinite(value);
}

// A field as quoted in a message: long ones cut and control characters
// shown as '?', so the error stays one printable line.
std::string shown_field(std::string_view field) {
  constexpr std::size_t kMax = 40;
  std::string text(field.substr(0, kMax));
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  return field.size() <= kMax ? text : text + "...";
}

}  // namespace

HistoryTable parse_history_csv(std::string_view text, const std::string& file) {
  HistoryTable table;
  int line_number = 0;
  std::size_t columns = 0;
  std::string_view line;
  // Located at the field when there is one, else at the line.
  const auto fail = [&](const std::string& message, std::string_view field = {}) -> Error {
    const int col = field.data() ? static_cast<int>(field.data() - line.data()) + 1 : 1;
    return Error(SourceLoc{file, line_number, col}, message);
  };
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // written on Windows
    if (line.find('"') != std::string_view::npos)
      throw fail("quoted fields are not supported in a history file");
    const std::vector<std::string_view> fields = split_fields(line);
    if (line_number == 1) {
      if (fields.front() != "epoch")
        throw fail("not a Keras CSVLogger history: the header must start with 'epoch'");
      std::set<std::string_view> seen;
      for (std::size_t i = 1; i < fields.size(); ++i) {
        if (fields[i].empty()) throw fail(fmt::format("column {} has no name", i + 1), fields[i]);
        if (!seen.insert(fields[i]).second)
          throw fail(fmt::format("column '{}' appears twice", shown_field(fields[i])), fields[i]);
        table.keys.emplace_back(fields[i]);
      }
      columns = fields.size();
      continue;
    }
    if (line.empty()) throw fail("empty line");
    if (fields.size() != columns)
      throw fail(fmt::format("{} fields where the header has {}", fields.size(), columns));
    Dim epoch = 0;
    const std::string_view epoch_text = fields.front();
    const auto [ptr, ec] =
        std::from_chars(epoch_text.data(), epoch_text.data() + epoch_text.size(), epoch);
    if (ec != std::errc() || ptr != epoch_text.data() + epoch_text.size() || epoch < 0)
      throw fail(fmt::format("epoch '{}' is not a whole number from 0", shown_field(epoch_text)),
                 epoch_text);
    if (!table.epochs.empty() && epoch <= table.epochs.back())
      throw fail(
          fmt::format("epoch {} after epoch {}: epochs must increase", epoch, table.epochs.back()),
          epoch_text);
    std::vector<double> row(columns - 1);
    for (std::size_t i = 1; i < columns; ++i)
      if (!parse_value(fields[i], row[i - 1]))
        throw fail(fmt::format("'{}' in column '{}' is not a number", shown_field(fields[i]),
                               shown_field(table.keys[i - 1])),
                   fields[i]);
    table.epochs.push_back(epoch);
    table.values.push_back(std::move(row));
  }
  if (line_number == 0) throw Error(SourceLoc{file}, "empty file: not a history CSV");
  if (table.epochs.empty())
    throw Error(SourceLoc{file, line_number, 1}, "the history has no epochs");
  if (table.keys.empty()) throw Error(SourceLoc{file, 1, 0}, "the history has no metric columns");
  return table;
}

HistoryTable read_history_csv(const std::string& path) {
  return parse_history_csv(read_binary_file(path, kMaxHistoryBytes), path);
}

}  // namespace stride
