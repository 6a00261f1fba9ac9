// End-to-end tests of `taskscout merge` on the project's small BERT checkpoint
// (tests/fixtures/model/bert): models fine-tuned here by `train` and `register`, merged
// from folders and from a registry, the merged classifier evaluated, and bad input refused
// with one error line and nothing written.
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

class MergeCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp = new TempDir;
    testing::write_word_base(*tmp / "base");
    testing::write_text(*tmp / "train.csv", testing::word_task_csv(120, 1, false));
    testing::write_text(*tmp / "dev.csv", testing::word_task_csv(40, 2, false));
    for (const char* seed : {"3", "4"}) {
      const auto r =
          run_taskscout("train --model " + q(*tmp / "base") + " --train " + q(*tmp / "train.csv") + " --dev " +
                        q(*tmp / "dev.csv") + " --method full --out " + q(*tmp / (std::string("m") + seed)) +
                        " --epochs 3 --batch-size 8 --learning-rate 0.01 --threads 1 --seed " + seed);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  static void TearDownTestSuite() { delete tmp; }
  static std::string q(const fs::path& p) { return "'" + p.string() + "'"; }
  static fs::path dir(const std::string& name) { return *tmp / name; }
  // One line, starting "error: ", holding every part; nothing at `out`.
  static void expect_error(const std::string& args, const std::vector<std::string>& parts, const fs::path& out) {
    const auto r = run_taskscout(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_TRUE(r.err.starts_with("error: ")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    for (const std::string& p : parts) EXPECT_NE(r.err.find(p), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out)) << args;
  }
  static TempDir* tmp;
};
TempDir* MergeCli::tmp = nullptr;

TEST_F(MergeCli, MergesFoldersIntoAClassifierThatEvaluates) {
  const std::string models = " --models " + q(dir("m3")) + "," + q(dir("m4")) + " --base " + q(dir("base"));
  auto r = run_taskscout("merge" + models + " --method ties --density 0.5 --weights 0.6,0.4 --head m3 --out " +
                         q(dir("ties")) + " --json --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["output"], "classifier");
  EXPECT_EQ(j["recipe"]["method"], "ties");
  EXPECT_EQ(j["recipe"]["parameters"]["density"], 0.5);
  EXPECT_GT(j["tensors"].size(), 10u);
  const auto recipe = nlohmann::json::parse(testing::read_text(dir("ties") / "merge.json"));
  EXPECT_EQ(recipe["sources"][0]["name"], "m3");
  EXPECT_EQ(recipe["sources"][0]["folder"], dir("m3").string());
  EXPECT_EQ(recipe["sources"][1]["weight"], 0.4);
  for (const char* f : {"config.json", "model.safetensors", "vocab.txt"}) EXPECT_TRUE(fs::exists(dir("ties") / f));
  r = run_taskscout("evaluate --model " + q(dir("ties")) + " --data " + q(dir("dev.csv")) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(nlohmann::json::parse(r.out)["accuracy"].get<double>(), 0.6);

  // --head fresh: a base model to fine-tune from.
  r = run_taskscout("merge" + models + " --method task-arithmetic --lambda 0.5 --out " + q(dir("ta")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("delta_norm"), std::string::npos) << r.out;  // the table
  r = run_taskscout("train --model " + q(dir("ta")) + " --train " + q(dir("train.csv")) + " --dev " +
                    q(dir("dev.csv")) + " --method full --out " + q(dir("ta-tuned")) +
                    " --epochs 1 --batch-size 16 --threads 1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(MergeCli, BadInputIsOneErrorLineAndWritesNothing) {
  const std::string base = " --base " + q(dir("base"));
  const fs::path out = dir("bad");
  const std::string o = " --out " + q(out);
  expect_error("merge --models " + q(dir("m3")) + "," + q(dir("m3")) + base + o, {"twice"}, out);
  expect_error("merge --models " + q(dir("m3")) + o, {"--base"}, out);
  expect_error("merge --models " + q(dir("m3")) + "," + q(dir("m4")) + base + " --method fisher" + o,
               {"parameter Fisher", "--parameter-fisher"}, out);
  expect_error("merge --models " + q(dir("m3")) + "," + q(dir("m4")) + base + " --weights 1" + o, {"--weights"}, out);
  expect_error("merge --models " + q(dir("m3")) + base + " --head nobody" + o, {"--head nobody"}, out);
  expect_error("merge --models " + q(dir("m3")) + base + " --head " + q(dir("m3")) + " --labels a,b" + o,
               {"neg, pos", "a, b"}, out);
  expect_error("merge --models " + q(dir("m3")) + base + " --method soup" + o, {"soup", "ties"}, out);
  expect_error("merge --models " + q(dir("m3")) + base + " --out " + q(dir("m3")), {"input"}, dir("nothing"));
  expect_error("merge --models " + q(dir("nowhere")) + base + o, {"nowhere"}, out);
}

TEST_F(MergeCli, MergesRegisteredSourcesByFisher) {
  ASSERT_EQ(run_taskscout("registry init " + q(dir("reg"))).exit_code, 0);
  for (const std::string name : {"a", "b", "c"}) {
    const std::string fisher = name == "c" ? "" : " --parameter-fisher 8";
    const auto r = run_taskscout("register --registry " + q(dir("reg")) + " --base " + q(dir("base")) + " --name " +
                                 name + " --source " + q(dir("train.csv")) +
                                 " --method full --epochs 1 --train-batch-size 16 --threads 1 --max-texts 40" + fisher +
                                 " --seed " + std::to_string(name[0]));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto shown = run_taskscout("registry show " + q(dir("reg")) + " a --json");
  EXPECT_NE(shown.out.find("parameter_fisher"), std::string::npos) << shown.out;
  // No --base: the one the sources were registered with.
  auto r = run_taskscout("merge --registry " + q(dir("reg")) + " --sources a,b --method fisher --head a --out " +
                         q(dir("fisher")) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto recipe = nlohmann::json::parse(r.out)["recipe"];
  EXPECT_EQ(recipe["method"], "fisher");
  EXPECT_TRUE(recipe["sources"][0]["digest"].get<std::string>().starts_with("full_model:"));
  r = run_taskscout("evaluate --model " + q(dir("fisher")) + " --data " + q(dir("dev.csv")) + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_error("merge --registry " + q(dir("reg")) + " --sources a,c --method fisher --out " + q(dir("nofisher")),
               {"source \"c\"", "parameter Fisher"}, dir("nofisher"));
  expect_error("merge --registry " + q(dir("reg")) + " --sources a,zzz --out " + q(dir("unknown")), {"zzz"},
               dir("unknown"));
  expect_error("register --registry " + q(dir("reg")) + " --base " + q(dir("base")) + " --name d --source " +
                   q(dir("train.csv")) + " --method lora --parameter-fisher 4",
               {"--parameter-fisher", "full"}, dir("nothing"));

  // A parameter-Fisher blob whose bytes changed after it was stored (one mantissa bit: still
  // finite, only the digest tells) stops the merge, naming the source and the blob.
  const std::string digest =
      nlohmann::json::parse(shown.out)["artifacts"]["parameter_fisher"]["digest"].get<std::string>();
  const fs::path blob = dir("reg") / "blobs" / digest.substr(0, 2) / (digest + ".safetensors");
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  std::string bytes = testing::read_text(blob);
  bytes[bytes.size() - 8] ^= 1;
  testing::write_text(blob, bytes);
  expect_error(
      "merge --registry " + q(dir("reg")) + " --sources a,b --method fisher --head a --out " + q(dir("tampered")),
      {"source \"a\"", "parameter_fisher blob", "does not match its digest", "registry verify"}, dir("tampered"));
}

}  // namespace
}  // namespace taskscout
