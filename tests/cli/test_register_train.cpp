// End-to-end: `taskscout register --method` fine-tunes on a source, fits its ESM and
// registers everything; `rank` then lists the sources; bad input and a failure in a late
// phase register nothing. Small BERT checkpoint (tests/fixtures/model/bert) with a word
// vocabulary made here.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "taskscout/io/safetensors.hpp"
#include "test_support.hpp"
#include "word_tasks.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::run_taskscout;
using testing::TempDir;

using testing::word_task_csv;

class RegisterTrain : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_word_base(tmp / "base");
    testing::write_text(tmp / "sentiment.csv", word_task_csv(120, 1, false));
    testing::write_text(tmp / "sentiment_dev.csv", word_task_csv(40, 2, false));
    testing::write_text(tmp / "topic.csv", word_task_csv(120, 3, true));
    testing::write_text(tmp / "target.csv", word_task_csv(60, 4, false));
    ASSERT_EQ(run_taskscout("registry init " + q(tmp / "reg")).exit_code, 0);
  }
  static std::string q(const fs::path& p) { return "'" + p.string() + "'"; }
  std::string register_args(const std::string& name, const std::string& source, const std::string& method) const {
    return "register --registry " + q(tmp / "reg") + " --base " + q(tmp / "base") + " --name " + name + " --source " +
           q(tmp / source) + " --method " + method +
           " --epochs 4 --train-batch-size 8 --learning-rate 0.01 --seed 3 --threads 1" +
           (method == "adapter" ? " --adapter houlsby --reduction-factor 2" : "");
  }
  nlohmann::json list() const {
    const auto r = run_taskscout("registry list " + q(tmp / "reg") + " --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["sources"];
  }
  TempDir tmp;
};

TEST_F(RegisterTrain, RegistersFineTunedSourcesThatRankThenRanks) {
  auto r = run_taskscout(register_args("sentiment", "sentiment.csv", "adapter") + " --dev " +
                         q(tmp / "sentiment_dev.csv") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["name"], "sentiment");
  EXPECT_EQ(j["dataset_size"], 120);
  for (const char* kind : {"adapter", "head", "esm", "mean_embedding", "vocabulary", "fisher"})
    EXPECT_TRUE(j["artifacts"].contains(kind)) << kind;
  EXPECT_GT(j["dev"]["accuracy"].get<double>(), 0.7) << r.err;
  const double r2 = j["esm_r2_heldout"];
  EXPECT_TRUE(std::isfinite(r2) && r2 <= 1.0) << r2;
  EXPECT_NE(r.err.find("held-out R²"), std::string::npos) << r.err;  // progress bars draw only on a terminal

  // LoRA, dev held out of the source.
  r = run_taskscout(register_args("topic", "topic.csv", "lora") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  for (const char* kind : {"lora", "esm", "mean_embedding", "vocabulary", "fisher"})
    EXPECT_TRUE(j["artifacts"].contains(kind)) << kind;
  // 12 held-out rows: the metric is measured, but too noisy to demand much of it.
  EXPECT_GE(j["dev"]["accuracy"].get<double>(), 0.0);
  EXPECT_LE(j["dev"]["accuracy"].get<double>(), 1.0);

  // The stored record: provenance naming the held-out dev, and a LoRA blob that carries its
  // folder's configuration.
  r = run_taskscout("registry show " + q(tmp / "reg") + " topic --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto show = nlohmann::json::parse(r.out);
  EXPECT_NE(show.dump().find("rows held out of the source"), std::string::npos) << show.dump();
  const auto listed = list();
  ASSERT_EQ(listed.size(), 2u) << listed.dump();
  std::string lora_digest;
  for (const auto& s : listed)
    if (s["name"] == "topic") lora_digest = s["artifacts"]["lora"]["digest"];
  ASSERT_EQ(lora_digest.size(), 64u) << listed.dump();
  const SafetensorsFile lora(tmp / "reg" / "blobs" / lora_digest.substr(0, 2) / (lora_digest + ".safetensors"));
  const auto files = nlohmann::json::parse(lora.metadata().at("folder_files"));
  EXPECT_TRUE(files.contains("adapter_config.json"));
  EXPECT_TRUE(files.contains("taskscout.json"));

  // A model that stays the base (LoRA's B starts at zero; a learning rate of 1e-12 keeps it
  // there) must embed exactly as the base does, so its ESM is the identity with R² = 1: this
  // fails if the fine-tuned texts were tokenized, truncated or pooled differently.
  r = run_taskscout("register --registry " + q(tmp / "reg") + " --base " + q(tmp / "base") +
                    " --name unchanged --source " + q(tmp / "topic.csv") +
                    " --method lora --epochs 1 --learning-rate 1e-12 --seed 3 --threads 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(nlohmann::json::parse(r.out)["esm_r2_heldout"].get<double>(), 1 - 1e-6) << r.out;

  // All rank for a sentiment target; the source sharing its factor comes first, by ESM-LogME
  // and by the baselines that embed the target with each stored fine-tuned model.
  r = run_taskscout("rank --registry " + q(tmp / "reg") + " --target " + q(tmp / "target.csv") + " --base " +
                    q(tmp / "base") + " --method all --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  for (const char* method : {"esm-logme", "textemb", "taskemb", "logme", "knn"}) {
    const auto& m = j["methods"][method];
    EXPECT_EQ(m["ranking"].size(), 3u) << method << r.out;
    EXPECT_EQ(m["skipped"].size(), 0u) << method << r.out;
  }
  EXPECT_EQ(j["methods"]["esm-logme"]["ranking"][0]["source"], "sentiment") << r.out;
  EXPECT_EQ(j["methods"]["logme"]["ranking"][0]["source"], "sentiment") << r.out;
  // TaskEmb puts the source of the target's kind (sentiment) above the other (topic); the
  // untrained "unchanged" has a random head, whose Fisher says nothing either way.
  std::vector<std::string> by_taskemb;
  for (const auto& s : j["methods"]["taskemb"]["ranking"])
    if (s["source"] != "unchanged") by_taskemb.push_back(s["source"]);
  EXPECT_EQ(by_taskemb, (std::vector<std::string>{"sentiment", "topic"})) << r.out;
  for (const auto& s : j["methods"]["knn"]["ranking"]) {
    EXPECT_GE(s["score"].get<double>(), 0.0);  // leave-one-out accuracy
    EXPECT_LE(s["score"].get<double>(), 1.0);
  }
  // The unchanged model restored from its blobs embeds as the base: its logme score is LogME
  // of the base's embeddings of the target.
  double unchanged = NAN;
  for (const auto& s : j["methods"]["logme"]["ranking"])
    if (s["source"] == "unchanged") unchanged = s["score"];
  ASSERT_EQ(run_taskscout("embed --model " + q(tmp / "base") + " --data " + q(tmp / "target.csv") +
                          " --pooling mean --out " + q(tmp / "target.npy"))
                .exit_code,
            0);
  r = run_taskscout("score --features " + q(tmp / "target.npy") + " --labels " + q(tmp / "target.csv") +
                    " --method logme --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // To float32 rounding of the embeddings: embed and rank batch the texts differently, and
  // OpenBLAS's AVX-512 kernels round differently shaped GEMMs differently.
  EXPECT_NEAR(nlohmann::json::parse(r.out)["scores"]["logme"].get<double>(), unchanged, 1e-7) << r.out;

  EXPECT_EQ(run_taskscout("registry verify " + q(tmp / "reg")).exit_code, 0);
}

TEST_F(RegisterTrain, BadInputOrALateFailureRegistersNothing) {
  testing::write_text(tmp / "unknown_dev.csv", "text,label\ngood ball,pos\nbad song,maybe\n");
  testing::write_text(tmp / "bad_row.csv", "text,label\ngood ball,pos\nbad song,\n");
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {register_args("a", "sentiment.csv", "lora") + " --dev " + q(tmp / "unknown_dev.csv"), "maybe"},
      {register_args("b", "bad_row.csv", "lora"), "bad_row.csv"},
      {"register --registry " + q(tmp / "reg") + " --base " + q(tmp / "no-such-base") + " --name c --source " +
           q(tmp / "sentiment.csv") + " --method full",
       "no-such-base"},
      // Fails after fine-tuning and embedding: an ESM needs at least 4 texts.
      {register_args("d", "sentiment.csv", "full") + " --max-texts 3", "error: "},
      // The library names the fine-tune's option; register spells it as its own flag (its
      // --max-length is the embedding's), and takes --max-grad-norm as train does.
      {register_args("e", "sentiment.csv", "lora") + " --train-max-length 1", "--train-max-length 1 leaves no room"},
      {register_args("f", "sentiment.csv", "lora") + " --max-grad-norm -1", "--max-grad-norm must be non-negative"},
  };
  for (const Case& c : cases) {
    const auto r = run_taskscout(c.args);
    EXPECT_NE(r.exit_code, 0) << c.args;
    EXPECT_EQ(r.out, "");
    const auto error_at = r.err.find("error: ");
    ASSERT_NE(error_at, std::string::npos) << r.err;
    const std::string error = r.err.substr(error_at);
    EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 1) << r.err;  // one line
    EXPECT_NE(error.find(c.message), std::string::npos) << r.err;
  }
  EXPECT_EQ(list().size(), 0u);
  const auto v = run_taskscout("registry verify " + q(tmp / "reg"));
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;  // no orphan blob either
}

}  // namespace
}  // namespace taskscout
