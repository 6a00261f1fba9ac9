// End-to-end: `taskscout compose` over sources registered as adapters or LoRAs — ScaLearn
// and AdapterFusion folders that evaluate and predict load, --top-k choosing among the
// adapter sources (or the LoRA sources of a registry without adapters) by ranking, --show
// printing what the target took from each source, and bad input (AdapterFusion over LoRAs,
// adapters mixed with LoRAs) refused with one line and nothing written.
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

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// One registry for the whole suite: registering is the slow part.
class ComposeCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp = new TempDir;
    const fs::path& t = tmp->path();
    testing::write_word_base(t / "base");
    testing::write_text(t / "sentiment.csv", word_task_csv(120, 1, false));
    testing::write_text(t / "topic.csv", word_task_csv(120, 3, true));
    testing::write_text(t / "sentiment2.csv", word_task_csv(120, 5, false));
    testing::write_text(t / "train.csv", word_task_csv(80, 4, false));
    testing::write_text(t / "dev.csv", word_task_csv(40, 6, false));
    // "reg" holds adapters, a full model and a LoRA; "lora-reg" LoRAs of two ranks and targets and a full model.
    ASSERT_EQ(run_taskscout("registry init " + q(t / "reg")).exit_code, 0);
    ASSERT_EQ(run_taskscout("registry init " + q(t / "lora-reg")).exit_code, 0);
    const std::string lora_b = " --lora-rank 2 --lora-alpha 8 --lora-targets value,intermediate.dense";
    for (const auto& [registry, name, data, method, extra] :
         {std::tuple{"reg", "sentiment", "sentiment.csv", "adapter", " --reduction-factor 4"},
          {"reg", "topic", "topic.csv", "adapter", " --reduction-factor 4"},
          {"reg", "sentiment-b", "sentiment2.csv", "adapter", " --reduction-factor 4"},
          {"reg", "full-one", "topic.csv", "full", ""},
          {"reg", "lora-one", "sentiment.csv", "lora", " --lora-rank 4"},
          {"lora-reg", "lora-a", "sentiment.csv", "lora", " --lora-rank 4"},
          {"lora-reg", "lora-b", "topic.csv", "lora", lora_b.c_str()},
          {"lora-reg", "full-two", "topic.csv", "full", ""}}) {
      const auto r =
          run_taskscout("register --registry " + q(t / registry) + " --base " + q(t / "base") + " --name " + name +
                        " --source " + q(t / data) + " --method " + method +
                        " --epochs 3 --train-batch-size 8 --learning-rate 0.01 --seed 3 --threads 1" + extra);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  static void TearDownTestSuite() { delete tmp; }

  // A composed folder loads in evaluate, at the dev accuracy compose kept (the best dev
  // evaluation's model), and in predict, one prediction per dev text.
  static void expect_evaluates_and_predicts(const fs::path& out, const nlohmann::json& dev_accuracy,
                                            const std::string& predictions_file) {
    const fs::path dev = tmp->path() / "dev.csv", predictions_path = tmp->path() / predictions_file;
    auto r = run_taskscout("evaluate --model " + q(out) + " --data " + q(dev) + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["accuracy"], dev_accuracy);
    r = run_taskscout("predict --model " + q(out) + " --data " + q(dev) + " --out " + q(predictions_path));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string predictions = testing::read_text(predictions_path);
    EXPECT_EQ(std::count(predictions.begin(), predictions.end(), '\n'), 41) << predictions;
  }

  static std::string compose_args(const std::string& sources, const std::string& method, const fs::path& out,
                                  const std::string& registry = "reg") {
    const fs::path& t = tmp->path();
    return "compose --registry " + q(t / registry) + " --base " + q(t / "base") + " --train " + q(t / "train.csv") +
           " --dev " + q(t / "dev.csv") + " --method " + method + " --out " + q(out) +
           " --epochs 2 --seed 1 --threads 1" + (sources.empty() ? "" : " --sources " + sources);
  }

  static TempDir* tmp;
};

TempDir* ComposeCli::tmp = nullptr;

TEST_F(ComposeCli, ScaLearnFolderEvaluatesPredictsAndShows) {
  const fs::path out = tmp->path() / "scalearn";
  auto r = run_taskscout(compose_args("sentiment,topic", "scalearn", out) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["sources"], (nlohmann::json{"sentiment", "topic"}));
  // Two layers × one Pfeiffer site × ω [2, 32], and a flex head of 32·32 + 32 + 2·32 + 2.
  EXPECT_EQ(j["trainable_parameters"], 2 * 2 * 32 + 32 * 32 + 32 + 2 * 32 + 2);
  for (const char* file : {"composition.json", "scalearn.safetensors", "head_config.json", "model_head.safetensors",
                           "taskscout.json", "train_log.json", "composition_weights.json",
                           "adapters/sentiment/adapter_config.json", "adapters/topic/adapter.safetensors"})
    EXPECT_TRUE(fs::exists(out / file)) << file;
  const auto composition = nlohmann::json::parse(testing::read_text(out / "composition.json"));
  ASSERT_EQ(composition["sources"].size(), 2u);
  EXPECT_EQ(composition["sources"][0]["source"], "sentiment");
  EXPECT_EQ(composition["sources"][0]["digest"].get<std::string>().size(), 64u);

  ASSERT_NO_FATAL_FAILURE(expect_evaluates_and_predicts(out, j["dev"]["accuracy"], "predictions.csv"));

  r = run_taskscout("compose --show " + q(out) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto show = nlohmann::json::parse(r.out);
  EXPECT_EQ(show["method"], "scalearn");
  ASSERT_EQ(show["sites"].size(), 2u) << r.out;  // one per layer
  EXPECT_EQ(show["sites"][1]["site"], "encoder.layer.1.output");
  EXPECT_TRUE(show["sites"][0]["weights"].contains("topic")) << r.out;
  r = run_taskscout("compose --show " + q(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("sentiment"), std::string::npos) << r.out;
}

TEST_F(ComposeCli, FusionOverTheTopKAdapterSources) {
  const fs::path out = tmp->path() / "fusion";
  auto r = run_taskscout(compose_args("", "fusion", out) + " --top-k 2 --rank-method esm-logme --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["sources"].size(), 2u) << r.out;
  for (const auto& s : j["sources"]) EXPECT_NE(s, "full-one") << r.out;  // only adapter sources are candidates
  EXPECT_NE(r.err.find("the top 2 by esm-logme"), std::string::npos) << r.err;
  const auto config = nlohmann::json::parse(testing::read_text(out / "adapter_fusion_config.json"));
  EXPECT_EQ(config["adapter_names"].size(), 2u);
  EXPECT_TRUE(fs::exists(out / "model_adapter_fusion.safetensors"));
  r = run_taskscout("evaluate --model " + q(out) + " --data " + q(tmp->path() / "dev.csv") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_taskscout("compose --show " + q(out) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto show = nlohmann::json::parse(r.out);
  double sum = 0;
  for (const auto& [source, w] : show["sites"][0]["weights"].items()) sum += w.get<double>();
  EXPECT_NEAR(sum, 1.0, 1e-6) << r.out;  // attention over the sources
}

TEST_F(ComposeCli, BadSourcesAreRefusedAndNothingIsWritten) {
  const fs::path out = tmp->path() / "refused";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {compose_args("sentiment,full-one", "scalearn", out), "register it with --method adapter or --method lora"},
      {compose_args("sentiment,lora-one", "scalearn", out), "source \"lora-one\" is a LoRA but \"sentiment\""},
      {compose_args("lora-a,lora-b", "fusion", out, "lora-reg"), "source \"lora-a\" is a LoRA: AdapterFusion"},
      {compose_args("lora-a,full-two", "scalearn-uniform", out, "lora-reg"), "source \"full-two\" was registered"},
      {compose_args("sentiment,sentiment", "scalearn", out), "named twice"},
      {compose_args("sentiment,nosuch", "scalearn", out), "nosuch"},
      {compose_args("", "scalearn", out), "name the sources one way"},
      {compose_args("sentiment", "average", out), "unknown composition \"average\""},
      {"compose --registry " + q(tmp->path() / "reg") + " --sources sentiment --base " + q(tmp->path() / "nothing") +
           " --train " + q(tmp->path() / "train.csv") + " --dev " + q(tmp->path() / "dev.csv") + " --out " + q(out),
       "nothing"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = run_taskscout(args);
    EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(out)) << args;
  }
}

TEST_F(ComposeCli, ScaLearnOverLoraSourcesEvaluatesPredictsAndShows) {
  const fs::path out = tmp->path() / "lora-scalearn";
  auto r = run_taskscout(compose_args("lora-a,lora-b", "scalearn", out, "lora-reg") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["sources"], (nlohmann::json{"lora-a", "lora-b"}));
  // ω [2, out] at query (lora-a), value (both), intermediate.dense (lora-b) in 2 layers, and the flex head.
  EXPECT_EQ(j["trainable_parameters"], 2 * 2 * (32 + 32 + 64) + 32 * 32 + 32 + 2 * 32 + 2);
  for (const char* file : {"composition.json", "scalearn.safetensors", "head_config.json", "model_head.safetensors",
                           "taskscout.json", "train_log.json", "composition_weights.json",
                           "loras/lora-a/adapter_config.json", "loras/lora-b/adapter_model.safetensors"})
    EXPECT_TRUE(fs::exists(out / file)) << file;
  const auto composition = nlohmann::json::parse(testing::read_text(out / "composition.json"));
  EXPECT_EQ(composition["kind"], "lora");
  EXPECT_EQ(composition["sources"][1]["source"], "lora-b");
  EXPECT_EQ(composition["sources"][1]["digest"].get<std::string>().size(), 64u);
  const auto peft = nlohmann::json::parse(testing::read_text(out / "loras/lora-b/adapter_config.json"));
  EXPECT_EQ(peft["r"], 2);

  ASSERT_NO_FATAL_FAILURE(expect_evaluates_and_predicts(out, j["dev"]["accuracy"], "lora-predictions.csv"));

  r = run_taskscout("compose --show " + q(out) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto show = nlohmann::json::parse(r.out);
  ASSERT_EQ(show["sites"].size(), 6u) << r.out;  // one per module with a LoRA
  EXPECT_EQ(show["sites"][0]["site"], "encoder.layer.0.attention.self.query");
  EXPECT_TRUE(show["sites"][0]["weights"]["lora-b"].is_null()) << r.out;  // lora-b has no query pair
  EXPECT_TRUE(show["sites"][0]["weights"]["lora-a"].is_number()) << r.out;
  r = run_taskscout("compose --show " + q(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("encoder.layer.1.intermediate.dense"), std::string::npos) << r.out;
}

TEST_F(ComposeCli, TopKTakesLoraSourcesWithoutAdaptersAndTransferComposesThem) {
  const fs::path out = tmp->path() / "lora-top";
  auto r = run_taskscout(compose_args("", "scalearn-uniform++", out, "lora-reg") + " --top-k 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["sources"].size(), 2u) << r.out;
  for (const auto& s : j["sources"]) EXPECT_NE(s, "full-two") << r.out;
  EXPECT_NE(r.err.find("among the lora sources"), std::string::npos) << r.err;
  r = run_taskscout("compose --show " + q(out) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["sites"][0]["site"], "all layers, attention.self.query") << r.out;

  const fs::path target = tmp->path() / "lora-target";
  fs::create_directories(target);
  testing::write_text(target / "train.csv", word_task_csv(40, 7, false));
  testing::write_text(target / "dev.csv", word_task_csv(20, 8, false));
  testing::write_text(target / "test.csv", word_task_csv(10, 9, false));
  const std::string args = "transfer --registry " + q(tmp->path() / "lora-reg") + " --base " + q(tmp->path() / "base") +
                           " --target " + q(target) + " --seeds 1 --epochs 1 --threads 1";
  r = run_taskscout(args + " --k 2 --compose scalearn --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto t = nlohmann::json::parse(r.out);
  EXPECT_EQ(t["candidates"], 2);  // the LoRA sources
  ASSERT_EQ(t["rows"].size(), 4u) << r.out;
  EXPECT_EQ(t["rows"][2]["row"], "top-2 scalearn");
  r = run_taskscout(args + " --k 2 --compose fusion");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("AdapterFusion needs adapters"), std::string::npos) << r.err;
}

TEST_F(ComposeCli, TransferMeasuresEveryRowPerSeed) {
  const fs::path target = tmp->path() / "target";
  fs::create_directories(target);
  testing::write_text(target / "train.csv", word_task_csv(60, 7, false));
  testing::write_text(target / "dev.csv", word_task_csv(30, 8, false));
  testing::write_text(target / "test.jsonl",
                      "{\"text\": \"good team\", \"label\": \"pos\"}\n"
                      "{\"text\": \"awful band\", \"label\": \"neg\"}\n"
                      "{\"text\": \"the great song\", \"label\": \"pos\"}\n");
  const std::string args = "transfer --registry " + q(tmp->path() / "reg") + " --base " + q(tmp->path() / "base") +
                           " --target " + q(target) + " --seeds 2 --epochs 1 --threads 1";
  auto r = run_taskscout(args + " --k 2 --compose scalearn-uniform --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["candidates"], 3);  // the adapter sources; the full one is not a candidate
  ASSERT_EQ(j["ranking"].size(), 2u);
  ASSERT_EQ(j["rows"].size(), 4u) << r.out;
  const std::vector<std::string> names{"target-only", "best-source", "top-2 scalearn-uniform",
                                       "random-2 scalearn-uniform"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto& row = j["rows"][i];
    EXPECT_EQ(row["row"], names[i]);
    ASSERT_EQ(row["runs"].size(), 2u);
    EXPECT_EQ(row["runs"][1]["seed"], 1);
    double mean = 0;
    for (const auto& run : row["runs"]) {
      const double a = run["accuracy"];
      EXPECT_TRUE(a == 0 || a == 1.0 / 3 || a == 2.0 / 3 || a == 1) << a;  // three test rows
      mean += a / 2;
    }
    EXPECT_NEAR(row["accuracy_mean"].get<double>(), mean, 1e-12);
    EXPECT_NEAR(row["gain"].get<double>(), mean - j["rows"][0]["accuracy_mean"].get<double>(), 1e-12);
  }
  EXPECT_EQ(j["rows"][1]["runs"][0]["sources"], nlohmann::json{j["ranking"][0]["source"]});
  EXPECT_EQ(j["rows"][2]["runs"][0]["sources"].size(), 2u);
  EXPECT_EQ(j["rows"][3]["runs"][0]["sources"].size(), 2u);

  r = run_taskscout(args + " --k 4 --compose scalearn-uniform");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("lower --k"), std::string::npos) << r.err;
  r = run_taskscout(args + " --k 2 --compose merge-everything");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("merge-everything"), std::string::npos) << r.err;
  r = run_taskscout(args + " --k 2 --compose average");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown composition"), std::string::npos) << r.err;
  r = run_taskscout(args + " --k 1 --compose scalearn,merge-ties");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("run transfer once for each"), std::string::npos) << r.err;

  // Merges take the full-model sources (one here) and fine-tune the merged model in full.
  r = run_taskscout(args + " --k 1 --compose merge-ties,merge-task-arithmetic --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto m = nlohmann::json::parse(r.out);
  EXPECT_EQ(m["candidates"], 1);
  ASSERT_EQ(m["rows"].size(), 6u) << r.out;
  EXPECT_EQ(m["rows"][2]["row"], "top-1 merge-ties");
  EXPECT_EQ(m["rows"][5]["row"], "random-1 merge-task-arithmetic");
  EXPECT_EQ(m["rows"][2]["runs"][0]["sources"], nlohmann::json{"full-one"});
}

}  // namespace
}  // namespace taskscout
