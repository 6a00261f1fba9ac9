// End-to-end: `taskscout register --pool` registers every good row of a manifest, lists the
// broken one with its reason and exits non-zero; a rerun registers nothing twice, and a rerun
// after adding a row registers only it. One process here; tests/mpi runs it under mpirun.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "word_tasks.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::run_taskscout;
using testing::TempDir;
using testing::word_task_csv;
using testing::write_text;

class RegisterPool : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_word_base(tmp / "base");
    // A task folder (train and dev), a single file (dev held out), and a row whose dataset is missing.
    write_text(tmp / "pool" / "sentiment" / "train.csv", word_task_csv(60, 1, false));
    write_text(tmp / "pool" / "sentiment" / "dev.csv", word_task_csv(20, 2, false));
    write_text(tmp / "pool" / "topic.csv", word_task_csv(60, 3, true));
    write_text(tmp / "pool" / "pool.csv",
               "name,dataset,method,options\n"
               "sentiment,sentiment,adapter,epochs=1\n"
               "topic,topic.csv,lora,learning_rate=0.01\n"
               "broken,no_such_task,full,\n");
    ASSERT_EQ(run_taskscout("registry init " + q(tmp / "reg")).exit_code, 0);
  }
  static std::string q(const fs::path& p) { return "'" + p.string() + "'"; }
  testing::CommandResult register_pool(const std::string& extra = "") const {
    return run_taskscout("register --registry " + q(tmp / "reg") + " --base " + q(tmp / "base") + " --pool " +
                         q(tmp / "pool" / "pool.csv") + " --epochs 1 --train-batch-size 8 --seed 3 --threads 1 " +
                         extra);
  }
  TempDir tmp;
};

TEST_F(RegisterPool, RegistersTheGoodRowsListsTheBrokenOneAndResumes) {
  auto r = register_pool("--json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["registered"], 2) << r.out;
  EXPECT_EQ(j["failed"], 1) << r.out;
  ASSERT_EQ(j["sources"].size(), 3u);
  EXPECT_EQ(j["sources"][0]["name"], "sentiment");
  EXPECT_EQ(j["sources"][0]["status"], "registered");
  EXPECT_TRUE(j["sources"][0]["dev"].contains("accuracy")) << r.out;
  EXPECT_EQ(j["sources"][1]["status"], "registered");
  EXPECT_EQ(j["sources"][2]["status"], "failed");
  const std::string reason = j["sources"][2]["reason"];
  EXPECT_NE(reason.find("pool.csv:4"), std::string::npos) << reason;
  EXPECT_NE(reason.find("does not exist"), std::string::npos) << reason;
  // One error line after the results, naming the manifest.
  EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of 3 source(s) failed"), std::string::npos) << r.err;

  // The registered sources carry every artifact; the staging run is gone.
  r = run_taskscout("registry show " + q(tmp / "reg") + " sentiment --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"adapter\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("register --pool"), std::string::npos) << r.out;  // provenance
  EXPECT_FALSE(fs::exists(tmp / "reg" / "staging"));

  // A rerun registers nothing twice.
  r = register_pool("--json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["registered"], 0) << r.out;
  EXPECT_EQ(j["already_registered"], 2) << r.out;
  EXPECT_EQ(j["failed"], 1) << r.out;

  // Fixed and extended: only the new row is registered, and the exit status is 0.
  write_text(tmp / "pool" / "pool.csv",
             "name,dataset,method,options\n"
             "sentiment,sentiment,adapter,epochs=1\n"
             "topic,topic.csv,lora,learning_rate=0.01\n"
             "topic_full,topic.csv,full,seed=5\n");
  r = register_pool("--csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("topic_full,registered"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sentiment,already registered"), std::string::npos) << r.out;
  r = run_taskscout("registry list " + q(tmp / "reg") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["sources"].size(), 3u) << r.out;
  r = run_taskscout("registry verify " + q(tmp / "reg"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(RegisterPool, RefusesBadUsageAndABadManifestWithOneErrorLine) {
  auto r = register_pool("--name x");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: register --pool takes each source's name"), std::string::npos) << r.err;
  write_text(tmp / "pool" / "pool.csv", "name,data,method\nx,topic.csv,lora\n");
  r = register_pool();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("pool.csv"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dataset"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "reg" / "staging"));
}

}  // namespace
}  // namespace taskscout
