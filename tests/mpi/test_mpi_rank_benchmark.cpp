// taskscout across processes (mpirun --oversubscribe -n 3 on this one machine). rank: the
// same ranking as one process, the sources split between the processes; more processes than
// sources; a process that cannot score its share; a pool not on shared storage. benchmark:
// the same transfer matrix and scores as one process; a process killed midway loses no
// logged run, and a rerun completes the matrix.
// Skipped when the binary was built without MPI or mpirun is not installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "../cli/rank_fixtures.hpp"
#include "mpi_support.hpp"
#include "taskscout/io/npy.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::hiding;
using testing::mpi_missing;
using testing::quote;
using testing::run_mpi;
using testing::run_taskscout;
using testing::TempDir;
using testing::write_esm;

// The ranking without its timings, which differ from run to run.
nlohmann::json without_seconds(nlohmann::json j) {
  if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto& [key, value] : j.items())
      if (key.find("seconds") == std::string::npos) out[key] = without_seconds(value);
    return out;
  }
  if (j.is_array())
    for (auto& v : j) v = without_seconds(v);
  return j;
}

class MpiRank : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = mpi_missing(); !why.empty()) GTEST_SKIP() << why;
    // Classes live in coordinate 0; each source keeps a different share of it.
    constexpr int n = 80, d = 6;
    Array x(DType::F32, {n, d}), y(DType::I64, {n});
    std::mt19937 rng(11);
    std::normal_distribution<float> g(0, 1);
    for (int i = 0; i < n; ++i) {
      y.mutable_values<std::int64_t>()[i] = i % 3;
      for (int j = 0; j < d; ++j) x.mutable_values<float>()[i * d + j] = g(rng) + (j == 0 ? 2.0f * (i % 3) : 0.0f);
    }
    write_npy(dir / "x.npy", x);
    write_npy(dir / "y.npy", y);
    fs::create_directories(dir / "pool");
    for (int s = 0; s < 8; ++s) {
      std::vector<float> scales(d, 1.0f);
      scales[0] = 0.1f * static_cast<float>(s);
      scales[1 + s % (d - 1)] = 0.5f;
      write_esm(dir / "pool" / ("source" + std::to_string(s) + ".safetensors"), scales);
    }
    write_esm(dir / "pool" / "wide.safetensors", std::vector<float>(d + 1, 1.0f));
    testing::write_text(dir / "pool" / "corrupt.safetensors", "not a safetensors file");
  }
  std::string target() const {
    return " --target-features " + quote(dir / "x.npy") + " --labels " + quote(dir / "y.npy");
  }
  TempDir dir;
};

TEST_F(MpiRank, ThreeProcessesRankExactlyAsOne) {
  const std::string args = "rank --esms " + quote(dir / "pool") + target() + " --method all --json --threads 1";
  const auto one = run_taskscout(args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto three = run_mpi(3, args);
  ASSERT_EQ(three.exit_code, 0) << three.err;
  // The same sources in the same order with the same scores, bit for bit, and the same
  // skipped list with the same reasons, printed once.
  EXPECT_EQ(without_seconds(nlohmann::json::parse(three.out)), without_seconds(nlohmann::json::parse(one.out)))
      << three.out << "\n"
      << one.out;
  const auto j = nlohmann::json::parse(three.out);
  EXPECT_EQ(j["sources"], 10);
  EXPECT_EQ(j["methods"]["esm-logme"]["ranking"].size(), 8u);
  EXPECT_EQ(j["methods"]["esm-logme"]["ranking"][0]["source"], "source7");
  EXPECT_EQ(j["methods"]["esm-logme"]["skipped"].size(), 2u);
  EXPECT_EQ(three.err.find("error"), std::string::npos) << three.err;
}

TEST_F(MpiRank, MoreProcessesThanSources) {
  fs::create_directories(dir / "two");
  fs::copy_file(dir / "pool" / "source1.safetensors", dir / "two" / "source1.safetensors");
  fs::copy_file(dir / "pool" / "source5.safetensors", dir / "two" / "source5.safetensors");
  const std::string args = "rank --esms " + quote(dir / "two") + target() + " --json --threads 1";
  const auto one = run_taskscout(args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto three = run_mpi(3, args);
  ASSERT_EQ(three.exit_code, 0) << three.err;
  EXPECT_EQ(without_seconds(nlohmann::json::parse(three.out)), without_seconds(nlohmann::json::parse(one.out)));
}

// The processes other than the root see the folder as an empty tmpfs (mpi_support.hpp's
// hiding): what a node sees when the folder is on its own disk instead of shared storage.
TEST_F(MpiRank, APoolNotOnSharedStorageIsOneClearError) {
  const std::string wrapper = hiding(dir / "pool");
  if (wrapper.empty()) GTEST_SKIP() << "needs unshare -m (root) to hide a folder from some processes";
  const auto r = run_mpi(3, "rank --esms " + quote(dir / "pool") + target() + " --json --threads 1", wrapper);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("storage every node of the job shares"), std::string::npos) << r.err;
  // Said once, by the root, not once per process.
  EXPECT_EQ(r.err.find("error: "), r.err.rfind("error: ")) << r.err;
}

TEST_F(MpiRank, AProcessThatCannotScoreItsShareSkipsItAndTheRestIsRanked) {
  // vocabulary reads the base model's tokenizer in every process: hidden from all but the
  // root, the other processes' shares are skipped, naming where, and the root's are ranked.
  const fs::path base = testing::bert_folder(dir);
  std::string data = "text,label\n";
  for (int i = 0; i < 24; ++i)
    data +=
        (i % 2 ? "a good happy film " : "a bad sad movie ") + std::to_string(i) + "," + (i % 2 ? "pos" : "neg") + "\n";
  testing::write_text(dir / "data.csv", data);
  ASSERT_EQ(run_taskscout("registry init " + quote(dir / "reg")).exit_code, 0);
  for (int s = 0; s < 4; ++s) {
    std::vector<float> scales(32, 1.0f);
    scales[0] = 0.2f * static_cast<float>(s);
    write_esm(dir / ("esm" + std::to_string(s) + ".safetensors"), scales);
    const auto reg = run_taskscout("register --registry " + quote(dir / "reg") + " --base " + quote(base) + " --esm " +
                                   quote(dir / ("esm" + std::to_string(s) + ".safetensors")) + " --name s" +
                                   std::to_string(s) + " --source " + quote(dir / "data.csv"));
    ASSERT_EQ(reg.exit_code, 0) << reg.err;
  }
  const std::string args = "rank --registry " + quote(dir / "reg") + " --target " + quote(dir / "data.csv") +
                           " --base " + quote(base) + " --method esm-logme,textemb --json --threads 1";
  const auto one = run_taskscout(args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto three = run_mpi(3, args);
  ASSERT_EQ(three.exit_code, 0) << three.err;
  EXPECT_EQ(without_seconds(nlohmann::json::parse(three.out)), without_seconds(nlohmann::json::parse(one.out)));

  const std::string wrapper = hiding(base);
  if (wrapper.empty()) GTEST_SKIP() << "needs unshare -m (root) to hide a folder from some processes";
  const auto r = run_mpi(3,
                         "rank --registry " + quote(dir / "reg") + " --target " + quote(dir / "data.csv") + " --base " +
                             quote(base) + " --method vocabulary --json --threads 1",
                         wrapper);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // Round robin: the root scores s0 and s3; processes 1 and 2 had s1 and s2.
  ASSERT_EQ(j["ranking"].size(), 2u) << r.out;
  ASSERT_EQ(j["skipped"].size(), 2u) << r.out;
  EXPECT_EQ(j["skipped"][0]["source"], "s1");
  EXPECT_NE(j["skipped"][0]["reason"].get<std::string>().find("rank 1 on "), std::string::npos) << r.out;
  EXPECT_EQ(j["skipped"][1]["source"], "s2");
  EXPECT_NE(j["skipped"][1]["reason"].get<std::string>().find("rank 2 on "), std::string::npos) << r.out;
}

TEST_F(MpiRank, CommandsThatRunAsOneProcessAreRefusedOnce) {
  const auto r = run_mpi(3, "score --features " + quote(dir / "x.npy") + " --labels " + quote(dir / "y.npy"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("error: taskscout score runs as one process"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("error: "), r.err.rfind("error: ")) << r.err;
}

class MpiBenchmark : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = mpi_missing(); !why.empty()) GTEST_SKIP() << why;
    const auto r = run_taskscout("synth --text-tasks --out " + quote(dir / "tasks") +
                                 " --sources 2 --targets 1 --train-rows 240 --dev-rows 60 --test-rows 80 --seed 3");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string args(const std::string& out) const {
    const fs::path base = testing::fixtures_dir() / ".." / ".." / "models" / "base-encoder";
    return "benchmark --tasks " + quote(dir / "tasks") + " --base " + quote(base) + " --out " + quote(dir / out) +
           " --quick --threads 1 --json";
  }
  void expect_same_results(const std::string& a, const std::string& b) const {
    EXPECT_EQ(testing::read_text(dir / a / "matrix.csv"), testing::read_text(dir / b / "matrix.csv"));
    EXPECT_EQ(testing::read_text(dir / a / "scores.csv"), testing::read_text(dir / b / "scores.csv"));
  }
  TempDir dir;
};

TEST_F(MpiBenchmark, ThreeProcessesMeasureAndScoreExactlyAsOne) {
  const auto one = run_taskscout(args("one"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto three = run_mpi(3, args("three"));
  ASSERT_EQ(three.exit_code, 0) << three.err;
  const auto j = nlohmann::json::parse(three.out);
  EXPECT_EQ(j["runs"], 18);
  EXPECT_EQ(j["runs_done"], 18);
  // Same seeds and thread counts: the same runs, so the same matrix and ranker scores.
  expect_same_results("one", "three");
}

TEST_F(MpiBenchmark, AProcessKilledMidwayLosesNoLoggedRunAndARerunCompletes) {
  const auto one = run_taskscout(args("one"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  // Kill -9 process 1 once some runs are logged: mpirun ends the job.
  const std::string bin = quote(testing::taskscout_binary());
  const std::string script =
      testing::mpirun(3) + bin + " " + args("killed") + " >/dev/null 2>&1 & job=$!\n" +
      "for i in $(seq 600); do [ \"$(cat " + quote(dir / "killed" / "runs.jsonl") +
      " 2>/dev/null | wc -l)\" -ge 3 ] && break; sleep 0.1; done\n"
      "for p in $(pgrep -f " +
      quote(dir / "killed") +
      "); do\n"
      "  tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1 && kill -9 $p\n"
      "done\n"
      "wait $job\n";
  testing::write_text(dir / "kill.sh", script);
  std::system(("bash " + quote(dir / "kill.sh")).c_str());
  const std::string logged = testing::read_text(dir / "killed" / "runs.jsonl");
  const auto lines = std::count(logged.begin(), logged.end(), '\n');
  EXPECT_GE(lines, 3);
  EXPECT_LT(lines, 18) << "the job ended before the kill: nothing was tested";
  // The rerun resumes what is logged and measures the rest: the same results as one process.
  const auto rerun = run_mpi(3, args("killed"));
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  const auto j = nlohmann::json::parse(rerun.out);
  EXPECT_EQ(j["runs_resumed"].get<int>() + j["runs_done"].get<int>(), 18);
  EXPECT_GE(j["runs_resumed"].get<int>(), 3);
  expect_same_results("one", "killed");
}

}  // namespace
}  // namespace taskscout
