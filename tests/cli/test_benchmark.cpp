// End-to-end: taskscout benchmark on generated text tasks with the committed base encoder
// (--quick): the matrix, the ranker table, resuming, a torn run log, and refusals.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "taskscout/io/table.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

using testing::read_text;
using testing::run_taskscout;
using testing::TempDir;

std::string base_encoder() {
  return "'" + (testing::fixtures_dir() / ".." / ".." / "models" / "base-encoder").string() + "'";
}

class Benchmark : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto r = run_taskscout("synth --text-tasks --out " + path("tasks") +
                                 " --sources 2 --targets 1 --train-rows 240 --dev-rows 60 --test-rows 80 --seed 3");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string path(const std::string& name) const { return "'" + (dir / name).string() + "'"; }
  testing::CommandResult benchmark(const std::string& extra = "") const {
    return run_taskscout("benchmark --tasks " + path("tasks") + " --base " + base_encoder() + " --out " + path("out") +
                         " --quick --threads 2 --json " + extra);
  }
  TempDir dir;
};

TEST_F(Benchmark, MeasuresTheMatrixScoresEveryRankerAndResumes) {
  auto r = benchmark();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  // 3 tasks, each a target of the 2 others: 3 × (2 + target only) × 2 seeds.
  EXPECT_EQ(j["runs"], 18);
  EXPECT_EQ(j["runs_done"], 18);
  EXPECT_EQ(j["cells"], 6);

  const Table matrix = read_table(dir / "out" / "matrix.csv");
  ASSERT_EQ(matrix.rows.size(), 6u);
  const std::size_t target = matrix.require_column("target"), source = matrix.require_column("source");
  for (const auto& row : matrix.rows) {
    EXPECT_NE(row[target], row[source]) << "a target must never be its own source";
    EXPECT_EQ(row[matrix.require_column("seeds")], "2");
    EXPECT_FALSE(row[matrix.require_column("gain_se")].empty());
  }
  const Table scores = read_table(dir / "out" / "scores.csv");
  ASSERT_EQ(scores.rows.size(), 6u);
  for (const char* column :
       {"esm-logme", "textemb", "vocabulary", "taskemb", "logme", "knn", "leep", "nce", "macro_f1"}) {
    const std::size_t c = scores.require_column(column);
    for (const auto& row : scores.rows) EXPECT_FALSE(row[c].empty()) << column;
  }
  const Table costs = read_table(dir / "out" / "rankers.csv");
  EXPECT_EQ(costs.rows.size(), 14u);  // every method of rank
  // The combined ranker is judged leave-one-target-out and fitted on all for rank.
  const std::size_t combined = scores.require_column("combined");
  for (const auto& row : scores.rows) EXPECT_FALSE(row[combined].empty());
  const auto ranked = run_taskscout("rank --registry " + path("out/registry") + " --target " +
                                    path("tasks/target1/train.csv") + " --base " + base_encoder() +
                                    " --method combined --combined-weights " + path("out/combined.json") + " --json");
  ASSERT_EQ(ranked.exit_code, 0) << ranked.err;
  EXPECT_EQ(nlohmann::json::parse(ranked.out)["ranking"].size(), 3u);

  // The report: one self-contained page; it never replaces a file taskscout did not write.
  auto report = run_taskscout("report --from " + path("out") + " --out " + path("report.html"));
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const std::string html = read_text(dir / "report.html");
  EXPECT_NE(html.find("id=\"transfer-heatmap\""), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(run_taskscout("report --from " + path("out") + " --out " + path("report.html")).exit_code, 0);
  testing::write_text(dir / "notes.html", "my notes");
  report = run_taskscout("report --from " + path("out") + " --out " + path("notes.html"));
  EXPECT_EQ(report.exit_code, 1);
  EXPECT_NE(report.err.find("not a taskscout report"), std::string::npos) << report.err;
  EXPECT_EQ(read_text(dir / "notes.html"), "my notes");
  // The registry the sources went to is one `rank` reads.
  const auto listed = run_taskscout("registry list " + path("out/registry") + " --json");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(nlohmann::json::parse(listed.out)["count"], 3);

  // A second run measures nothing again.
  const std::string log = read_text(dir / "out" / "runs.jsonl");
  r = benchmark();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["runs_done"], 0);
  EXPECT_EQ(j["runs_resumed"], 18);
  EXPECT_EQ(read_text(dir / "out" / "runs.jsonl"), log);

  // A run killed while its line was being written: the torn line is dropped, that run
  // alone is measured again.
  const std::size_t last = log.rfind('\n', log.size() - 2);
  {
    std::ofstream cut(dir / "out" / "runs.jsonl", std::ios::binary | std::ios::trunc);
    cut << log.substr(0, last + 1) << log.substr(last + 1, 20);
  }
  r = benchmark();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("torn line"), std::string::npos) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["runs_done"], 1);
  EXPECT_EQ(j["runs_resumed"], 17);
}

// Adapter sources: each registered with its adapter, each target run training that adapter on.
TEST_F(Benchmark, AdapterMethodTrainsTheSourcesAdapterOn) {
  const auto r = benchmark("--method adapter --learning-rate 1e-3 --rankers esm-logme,taskemb,logme");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["runs_done"], 18);
  const auto config = nlohmann::json::parse(read_text(dir / "out" / "config.json"));
  EXPECT_EQ(config["settings"]["method"], "adapter");
  const auto listed = run_taskscout("registry list " + path("out/registry") + " --json");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  // Held in a variable: a range-for over a member of a temporary reads it after it is freed.
  const auto registered = nlohmann::json::parse(listed.out);
  for (const auto& s : registered["sources"])
    for (const char* kind : {"adapter", "head", "esm", "fisher"}) EXPECT_TRUE(s["artifacts"].contains(kind)) << kind;
  const Table scores = read_table(dir / "out" / "scores.csv");
  ASSERT_EQ(scores.rows.size(), 6u);
  for (const char* column : {"esm-logme", "taskemb", "logme"}) {
    const std::size_t c = scores.require_column(column);
    for (const auto& row : scores.rows) EXPECT_FALSE(row[c].empty()) << column;
  }
}

TEST_F(Benchmark, RefusesToMixConfigurations) {
  auto r = benchmark("--targets target1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string log = read_text(dir / "out" / "runs.jsonl");
  r = benchmark("--targets target1 --target-examples 100");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("other settings: target_examples 200 (now 100)"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(dir / "out" / "runs.jsonl"), log);
}

TEST_F(Benchmark, BadTasksGetOneClearError) {
  const std::string dev = read_text(dir / "tasks" / "source02" / "dev.csv");
  std::filesystem::remove(dir / "tasks" / "source02" / "dev.csv");
  auto r = benchmark();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("task 'source02' has no dev split"), std::string::npos) << r.err;

  // A label column missing in one split.
  testing::write_text(dir / "tasks" / "source02" / "dev.csv", "text,tag\nhello,a\n");
  r = benchmark();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("dev.csv"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("label"), std::string::npos) << r.err;

  // A target with one class.
  testing::write_text(dir / "tasks" / "source02" / "dev.csv", dev);
  std::string one_class = "text,label\n";
  for (int i = 0; i < 30; ++i) one_class += "a sentence " + std::to_string(i) + ",same\n";
  for (const char* split : {"train.csv", "dev.csv", "test.csv"})
    testing::write_text(dir / "tasks" / "target1" / split, one_class);
  r = benchmark("--targets target1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("single class"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "runs.jsonl"));
}

}  // namespace
}  // namespace taskscout
