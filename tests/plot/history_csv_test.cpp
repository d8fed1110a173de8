// parse_history_csv: the CSVLogger file `stride train --history` writes, and
// every way a damaged one is refused at FILE:LINE:COL.
#include <gtest/gtest.h>

#include <cmath>

#include "cli/cli_runner.hpp"
#include "stride/plot.hpp"
#include "stride/train.hpp"

namespace stride::test {
namespace {

std::string located_error(std::string_view text) {
  try {
    (void)parse_history_csv(text, "h.csv");
  } catch (const Error& e) {
    return e.located();
  }
  return "";
}

TEST(HistoryCsv, ReadsWhatWriteHistoryCsvWrites) {
  TempDir dir;
  const std::string path = (dir.path() / "h.csv").string();
  // Keras's CSVLogger: keys sorted, so accuracy < loss < val_accuracy < val_loss.
  write_history_csv(path, {{{"loss", 1.0}, {"accuracy", 0.5}, {"val_loss", 0.9}},
                           {{"loss", 0.5}, {"accuracy", 0.75}, {"val_loss", 0.6}}});
  EXPECT_EQ(read_text(path), "epoch,accuracy,loss,val_loss\n0,0.5,1.0,0.9\n1,0.75,0.5,0.6\n");
  const HistoryTable table = read_history_csv(path);
  EXPECT_EQ(table.keys, (std::vector<std::string>{"accuracy", "loss", "val_loss"}));
  EXPECT_EQ(table.epochs, (std::vector<Dim>{0, 1}));
  EXPECT_EQ(table.values, (std::vector<std::vector<double>>{{0.5, 1.0, 0.9}, {0.75, 0.5, 0.6}}));
}

TEST(HistoryCsv, EmptyCellsNanAndInfAreMissingPoints) {
  const HistoryTable t =
      parse_history_csv("epoch,loss,val_loss\r\n0,1e-05,\r\n1,nan,inf\r\n3,-inf,2\r\n", "h.csv");
  ASSERT_EQ(t.values.size(), 3u);
  EXPECT_EQ(t.values[0][0], 1e-05);
  EXPECT_TRUE(std::isnan(t.values[0][1]));
  EXPECT_TRUE(std::isnan(t.values[1][0]));
  EXPECT_TRUE(std::isinf(t.values[1][1]));
  EXPECT_EQ(t.epochs, (std::vector<Dim>{0, 1, 3}));  // gaps are allowed (a file edited by hand)
  EXPECT_EQ(t.values[2][1], 2.0);
}

TEST(HistoryCsv, DamagedFilesAreRefusedWithTheirPlace) {
  EXPECT_EQ(located_error(""), "h.csv: empty file: not a history CSV");
  EXPECT_EQ(located_error("loss,epoch\n1,0\n"),
            "h.csv:1:1: not a Keras CSVLogger history: the header must start with 'epoch'");
  EXPECT_EQ(located_error("epoch,loss\n"), "h.csv:1:1: the history has no epochs");
  EXPECT_EQ(located_error("epoch\n0\n"), "h.csv:1:1: the history has no metric columns");
  EXPECT_EQ(located_error("epoch,loss,,acc\n"), "h.csv:1:12: column 3 has no name");
  EXPECT_EQ(located_error("epoch,loss,loss\n"), "h.csv:1:12: column 'loss' appears twice");
  EXPECT_EQ(located_error("epoch,loss\n0,1.0\n1,abc\n"),
            "h.csv:3:3: 'abc' in column 'loss' is not a number");
  EXPECT_EQ(located_error("epoch,loss\n0,1.0,2.0\n"), "h.csv:2:1: 3 fields where the header has 2");
  EXPECT_EQ(located_error("epoch,loss\n0\n"), "h.csv:2:1: 1 fields where the header has 2");
  EXPECT_EQ(located_error("epoch,loss\n0,1\n\n1,2\n"), "h.csv:3:1: empty line");
  EXPECT_EQ(located_error("epoch,loss\n-1,1\n"),
            "h.csv:2:1: epoch '-1' is not a whole number from 0");
  EXPECT_EQ(located_error("epoch,loss\n1.5,1\n"),
            "h.csv:2:1: epoch '1.5' is not a whole number from 0");
  EXPECT_EQ(located_error("epoch,loss\n1,1\n1,2\n"),
            "h.csv:3:1: epoch 1 after epoch 1: epochs must increase");
  EXPECT_EQ(located_error("epoch,\"loss\"\n"),
            "h.csv:1:1: quoted fields are not supported in a history file");
  EXPECT_EQ(located_error("epoch,loss\n0,1e999\n"),
            "h.csv:2:3: '1e999' in column 'loss' is not a number");
  // A long field is cut in the message, which stays one line.
  EXPECT_EQ(located_error("epoch,loss\n0," + std::string(100, 'x') + "\n"),
            "h.csv:2:3: '" + std::string(40, 'x') + "...' in column 'loss' is not a number");
  EXPECT_EQ(located_error(std::string("epoch,loss\n0,\0\n", 15)),
            "h.csv:2:3: '?' in column 'loss' is not a number");
}

TEST(HistoryCsv, MissingFileIsAnErrorNamingIt) {
  try {
    (void)read_history_csv("/nonexistent/h.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.located(), "/nonexistent/h.csv: no such file");
  }
}

}  // namespace
}  // namespace stride::test
