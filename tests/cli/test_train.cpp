// End-to-end tests of `taskscout train`, `evaluate` and `predict` on the project's small
// BERT checkpoint (tests/fixtures/model/bert) with a word vocabulary made here and a
// synthetic task it learns in a second.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "taskscout/io/npy.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::run_taskscout;
using testing::TempDir;

const std::vector<std::string> kPositive{"good", "great", "fine"}, kNegative{"bad", "awful", "poor"},
    kFiller{"the", "movie", "film", "was", "is", "very", "plot", "cast", "story", "and"};

// The fixture's 120 ids: specials, the task's words, unused entries.
std::string vocab() {
  std::string v = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  int n = 5;
  for (const auto* list : {&kPositive, &kNegative, &kFiller})
    for (const std::string& w : *list) v += w + "\n", ++n;
  for (; n < 120; ++n) v += "[unused" + std::to_string(n) + "]\n";
  return v;
}

// Positive when the text has more positive than negative words.
std::string task_csv(std::size_t rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string csv = "text,label\n";
  for (std::size_t r = 0; r < rows; ++r) {
    const bool label = rng() % 2 == 1;
    const std::size_t strong = 1 + rng() % 2, weak = rng() % strong;
    std::vector<std::string> words;
    for (std::size_t k = 0; k < strong; ++k) words.push_back((label ? kPositive : kNegative)[rng() % 3]);
    for (std::size_t k = 0; k < weak; ++k) words.push_back((label ? kNegative : kPositive)[rng() % 3]);
    for (std::size_t k = 0, m = 1 + rng() % 4; k < m; ++k) words.push_back(kFiller[rng() % kFiller.size()]);
    std::shuffle(words.begin(), words.end(), rng);
    std::string text;
    for (const std::string& w : words) text += (text.empty() ? "" : " ") + w;
    csv += text + "," + (label ? "pos" : "neg") + "\n";
  }
  return csv;
}

class Train : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(tmp / "base");
    for (const char* f : {"config.json", "model.safetensors"})
      fs::copy_file(testing::fixtures_dir() / "model" / "bert" / f, tmp / "base" / f);
    testing::write_text(tmp / "base" / "vocab.txt", vocab());
    testing::write_text(tmp / "train.csv", task_csv(160, 1));
    testing::write_text(tmp / "dev.csv", task_csv(60, 2));
    testing::write_text(tmp / "test.csv", task_csv(60, 3));
  }
  std::string q(const fs::path& p) const { return "'" + p.string() + "'"; }
  std::string train_args(const std::string& method, const fs::path& out) const {
    return "train --model " + q(tmp / "base") + " --train " + q(tmp / "train.csv") + " --dev " + q(tmp / "dev.csv") +
           " --method " + method + " --out " + q(out) + " --epochs 3 --batch-size 8 --seed 3 --threads 1" +
           (method == "adapter" ? " --adapter houlsby --reduction-factor 2" : "") + " --learning-rate 0.01";
  }
  TempDir tmp;
};

// One test, since every command loads libtorch (about a second each here).
TEST_F(Train, EachMethodTrainsEvaluatesAndPredicts) {
  for (const std::string method : {"full", "lora", "adapter"}) {
    const fs::path out = tmp / ("out-" + method);
    auto r = run_taskscout(train_args(method, out) + " --json");
    ASSERT_EQ(r.exit_code, 0) << method << ": " << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["train_examples"], 160);
    EXPECT_GT(j["dev"]["accuracy"].get<double>(), 0.7) << method;
    EXPECT_NE(r.err.find("dev accuracy"), std::string::npos) << r.err;  // every evaluation is reported

    const auto log = nlohmann::json::parse(testing::read_text(out / "train_log.json"));
    EXPECT_EQ(log["evaluations"].size(), 3u);
    EXPECT_EQ(log["options"]["method"], method);

    r = run_taskscout("evaluate --model " + q(out) + " --data " + q(tmp / "test.csv") + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto e = nlohmann::json::parse(r.out);
    EXPECT_EQ(e["n"], 60);
    EXPECT_GT(e["accuracy"].get<double>(), 0.7) << method;
    EXPECT_GE(e["macro_f1"].get<double>(), 0.0);
  }
  // The method's own files: a full HF folder, PEFT's, the adapters library's; LoRA stays small.
  for (const char* f : {"config.json", "model.safetensors", "vocab.txt"}) EXPECT_TRUE(fs::exists(tmp / "out-full" / f));
  for (const char* f : {"adapter_config.json", "adapter_model.safetensors"})
    EXPECT_TRUE(fs::exists(tmp / "out-lora" / f));
  for (const char* f : {"adapter_config.json", "adapter.safetensors", "head_config.json", "model_head.safetensors"})
    EXPECT_TRUE(fs::exists(tmp / "out-adapter" / f));
  EXPECT_LT(fs::file_size(tmp / "out-lora" / "adapter_model.safetensors"),
            fs::file_size(tmp / "base" / "model.safetensors") / 10);

  // Probabilities per row, in the model's label order.
  auto r = run_taskscout("predict --model " + q(tmp / "out-adapter") + " --data " + q(tmp / "test.csv") + " --out " +
                         q(tmp / "p.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Array p = read_npy(tmp / "p.npy");
  ASSERT_EQ(p.shape(), (std::vector<std::int64_t>{60, 2}));
  auto v = p.values<float>();
  for (std::int64_t i = 0; i < 60; ++i) EXPECT_NEAR(v[2 * i] + v[2 * i + 1], 1.0, 1e-6);
  r = run_taskscout("predict --model " + q(tmp / "out-full") + " --data " + q(tmp / "test.csv") + " --out " +
                    q(tmp / "p.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::read_text(tmp / "p.csv").substr(0, 8), "neg,pos\n");

  // The same seed trains the same model, byte for byte.
  ASSERT_EQ(run_taskscout(train_args("lora", tmp / "again")).exit_code, 0);
  EXPECT_EQ(testing::read_text(tmp / "again" / "adapter_model.safetensors"),
            testing::read_text(tmp / "out-lora" / "adapter_model.safetensors"));

  // A LoRA folder whose base moved needs --base.
  fs::rename(tmp / "base", tmp / "moved");
  r = run_taskscout("evaluate --model " + q(tmp / "out-lora") + " --data " + q(tmp / "test.csv"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--base"), std::string::npos) << r.err;
  r = run_taskscout("evaluate --model " + q(tmp / "out-lora") + " --base " + q(tmp / "moved") + " --data " +
                    q(tmp / "test.csv"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(Train, ClearErrors) {
  testing::write_text(tmp / "dev_extra.csv", "text,label\ngood,pos\nbad,neutral\n");
  auto r = run_taskscout(train_args("full", tmp / "o")
                             .replace(train_args("full", tmp / "o").find(q(tmp / "dev.csv")), q(tmp / "dev.csv").size(),
                                      q(tmp / "dev_extra.csv")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("dev_extra.csv:3"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "o"));

  fs::create_directories(tmp / "photos");
  testing::write_text(tmp / "photos" / "cat.jpg", "x");
  r = run_taskscout(train_args("full", tmp / "photos"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a model folder taskscout wrote"), std::string::npos) << r.err;

  r = run_taskscout("evaluate --model " + q(tmp / "base") + " --data " + q(tmp / "test.csv"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no classification head"), std::string::npos) << r.err;
  r = run_taskscout("evaluate --model " + q(tmp / "missing") + " --data " + q(tmp / "test.csv"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace taskscout
