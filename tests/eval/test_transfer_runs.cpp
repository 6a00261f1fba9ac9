// The benchmark's run log (torn lines, configurations never mixed) and the matrix
// aggregated from it (means, standard errors, gains), and the task suite reader.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "taskscout/core/error.hpp"
#include "taskscout/eval/task_suite.hpp"
#include "taskscout/eval/transfer_runs.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

using testing::read_text;
using testing::TempDir;
using testing::write_text;

TransferRun run(const std::string& target, const std::string& source, std::uint64_t seed, double f1) {
  return {target, source, seed, f1 + 0.1, f1, 0.5, 10, 1.0, 2};
}

TEST(TransferRunLog, KeepsRunsAcrossReopening) {
  TempDir dir;
  {
    TransferRunLog log(dir / "runs.jsonl", "cfg");
    EXPECT_TRUE(log.runs().empty());
    log.append(run("t", "", 0, 0.5));
    log.append(run("t", "s", 0, 0.6));
  }
  TransferRunLog log(dir / "runs.jsonl", "cfg");
  ASSERT_EQ(log.runs().size(), 2u);
  EXPECT_TRUE(log.has("t", "s", 0));
  EXPECT_FALSE(log.has("t", "s", 1));
  EXPECT_DOUBLE_EQ(log.runs()[1].macro_f1, 0.6);
  EXPECT_EQ(log.runs()[1].threads, 2);
  EXPECT_FALSE(log.dropped_torn_line());
}

TEST(TransferRunLog, DropsATornLastLineAndCutsItFromTheFile) {
  TempDir dir;
  {
    TransferRunLog log(dir / "runs.jsonl", "cfg");
    log.append(run("t", "", 0, 0.5));
  }
  const std::string whole = read_text(dir / "runs.jsonl");
  // A kill in the middle of a write: half a record, no newline.
  write_text(dir / "runs.jsonl", whole + whole.substr(0, whole.size() / 2));
  {
    TransferRunLog log(dir / "runs.jsonl", "cfg");
    EXPECT_TRUE(log.dropped_torn_line());
    EXPECT_EQ(log.runs().size(), 1u);
    log.append(run("t", "s", 0, 0.7));  // lands on a clean line
  }
  TransferRunLog log(dir / "runs.jsonl", "cfg");
  EXPECT_FALSE(log.dropped_torn_line());
  ASSERT_EQ(log.runs().size(), 2u);
  EXPECT_EQ(log.runs()[1].source, "s");
}

TEST(TransferRunLog, AWholeLastLineThatIsNotARecordIsDroppedToo) {
  TempDir dir;
  write_text(dir / "runs.jsonl", "{\"config\": \"cfg\", \"target\": \"t\"\n");
  TransferRunLog log(dir / "runs.jsonl", "cfg");
  EXPECT_TRUE(log.dropped_torn_line());
  EXPECT_TRUE(log.runs().empty());
}

TEST(TransferRunLog, RefusesADamagedMiddleLine) {
  TempDir dir;
  {
    TransferRunLog log(dir / "runs.jsonl", "cfg");
    log.append(run("t", "", 0, 0.5));
  }
  const std::string line = read_text(dir / "runs.jsonl");
  write_text(dir / "runs.jsonl", "garbage\n" + line);
  try {
    TransferRunLog log(dir / "runs.jsonl", "cfg");
    FAIL() << "a damaged line was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("runs.jsonl:1:"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_text(dir / "runs.jsonl"), "garbage\n" + line);  // left as it was
}

TEST(TransferRunLog, RefusesRunsOfAnotherConfiguration) {
  TempDir dir;
  {
    TransferRunLog log(dir / "runs.jsonl", "config-a");
    log.append(run("t", "", 0, 0.5));
  }
  EXPECT_THROW(TransferRunLog(dir / "runs.jsonl", "config-b"), InputError);
}

TEST(TransferRunLog, OneWriterAtATime) {
  TempDir dir;
  TransferRunLog first(dir / "runs.jsonl", "cfg");
  EXPECT_THROW(TransferRunLog(dir / "runs.jsonl", "cfg"), InputError);
}

TEST(TransferMatrix, MeansStandardErrorsAndGains) {
  const std::vector<TransferRun> runs = {run("t", "", 0, 0.50),  run("t", "", 1, 0.60),  run("t", "s", 0, 0.70),
                                         run("t", "s", 1, 0.80), run("t", "u", 0, 0.40), run("t", "u", 1, 0.40),
                                         run("v", "s", 0, 0.30)};
  const std::vector<TransferCell> cells = aggregate_transfer(runs);
  ASSERT_EQ(cells.size(), 3u);
  const TransferCell& s = cells[0];
  EXPECT_EQ(s.target, "t");
  EXPECT_EQ(s.source, "s");
  EXPECT_EQ(s.seeds, 2u);
  EXPECT_NEAR(s.macro_f1, 0.75, 1e-12);
  // Two values 0.1 apart: sample sd 0.0707…, se = sd / √2 = 0.05.
  EXPECT_NEAR(s.macro_f1_se, 0.05, 1e-12);
  EXPECT_NEAR(s.baseline_macro_f1, 0.55, 1e-12);
  EXPECT_NEAR(s.gain, 0.20, 1e-12);
  EXPECT_NEAR(s.gain_se, std::sqrt(0.05 * 0.05 * 2), 1e-12);
  EXPECT_TRUE(s.significant());  // 0.2 > 2 · 0.0707
  EXPECT_EQ(cells[1].source, "u");
  EXPECT_NEAR(cells[1].gain, -0.15, 1e-12);
  // A target without a baseline run: its gain is unknown, not made up.
  EXPECT_EQ(cells[2].target, "v");
  EXPECT_TRUE(std::isnan(cells[2].gain));
  EXPECT_TRUE(std::isnan(cells[2].macro_f1_se));  // one seed
  EXPECT_FALSE(cells[2].significant());
}

TEST(TransferMatrix, CsvRoundTrip) {
  TempDir dir;
  const std::vector<TransferCell> cells =
      aggregate_transfer({run("t,1", "", 0, 0.5), run("t,1", "s", 0, 0.7), run("t,1", "s", 1, 0.6)});
  write_text(dir / "matrix.csv", transfer_matrix_csv(cells));
  const std::vector<TransferCell> back = read_transfer_matrix(dir / "matrix.csv");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].target, "t,1");
  EXPECT_EQ(back[0].seeds, 2u);
  EXPECT_NEAR(back[0].macro_f1, 0.65, 1e-6);
  EXPECT_NEAR(back[0].gain, 0.15, 1e-6);
  EXPECT_TRUE(std::isnan(back[0].baseline_macro_f1_se));
}

TEST(TaskSuite, ReadsAManifestWithDefaultFiles) {
  TempDir dir;
  for (const char* task : {"a", "b"})
    for (const char* split : {"train", "dev", "test"})
      write_text(dir / task / (std::string(split) + ".csv"), "text,label\nx,1\n");
  write_text(dir / "manifest.json", R"({"tasks": [{"name": "b", "domain": "tweets"}, {"name": "a"}]})");
  const auto suite = load_task_suite(dir.path());
  ASSERT_EQ(suite.size(), 2u);
  EXPECT_EQ(suite[0].name, "b");
  EXPECT_EQ(suite[0].domain, "tweets");
  EXPECT_EQ(suite[0].test, dir / "b" / "test.csv");
  EXPECT_EQ(select_tasks(suite, {"a"}, "--targets").at(0).name, "a");
  EXPECT_THROW(select_tasks(suite, {"c"}, "--targets"), InputError);
}

TEST(TaskSuite, ReadsAFolderOfTaskFolders) {
  TempDir dir;
  for (const char* split : {"train", "dev", "test"}) write_text(dir / "z" / (std::string(split) + ".jsonl"), "{}\n");
  write_text(dir / "notes" / "readme.txt", "not a task");
  const auto suite = load_task_suite(dir.path());
  ASSERT_EQ(suite.size(), 1u);
  EXPECT_EQ(suite[0].dev, dir / "z" / "dev.jsonl");
}

TEST(TaskSuite, AMissingSplitIsAnErrorNamingIt) {
  TempDir dir;
  write_text(dir / "a" / "train.csv", "text,label\nx,1\n");
  write_text(dir / "a" / "test.csv", "text,label\nx,1\n");
  try {
    load_task_suite(dir.path());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no dev split"), std::string::npos) << e.what();
  }
  write_text(dir / "manifest.json", R"({"tasks": [{"name": "a"}]})");
  try {
    load_task_suite(dir / "manifest.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no dev split"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace taskscout
