// End-to-end tests of the pools users already have: `registry import-esm` / `export-esm`
// on hf-dataset-selector folders (tests/fixtures/select/hf_esm), `rank` refusing to mix
// poolings with what it says to pass, and `rank-models` over small checkpoints.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_taskscout;
using testing::TempDir;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

class PoolsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* m : {"bert", "distilbert"}) testing::write_fixture_model(dir / m, m);
    std::string csv = "text,label\n";
    const char* texts[] = {"the movie was very good !", "bad film", "not a good movie", "a very bad film .", "good"};
    for (int i = 0; i < 30; ++i)
      csv += std::string("\"") + texts[i % 5] + "\"," + (i % 5 == 0 || i % 5 == 4 ? "pos" : "neg") + "\n";
    testing::write_text(dir / "target.csv", csv);
    ASSERT_EQ(run_taskscout("registry init " + q(dir / "reg")).exit_code, 0);
  }
  fs::path hf() const { return testing::fixtures_dir() / "select" / "hf_esm"; }
  TempDir dir;
};

TEST_F(PoolsCli, ImportEsmReportsEachFolderThenRankNeedsTheirPooling) {
  auto r =
      run_taskscout("registry import-esm " + q(dir / "reg") + " " + q(hf()) + " --base " + q(dir / "bert") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["imported"], 3);
  EXPECT_EQ(j["skipped"], 9);
  for (const auto& f : j["folders"]) {
    if (!f["imported"].get<bool>()) {
      EXPECT_FALSE(f["reason"].get<std::string>().empty()) << f.dump();
    }
  }

  auto table = run_taskscout("registry import-esm " + q(dir / "reg") + " " + q(hf() / "bad" / "nan_weight") +
                             " --base " + q(dir / "bert"));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("nan_weight"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("skipped"), std::string::npos) << table.out;

  // Mean pooling is refused, naming what to pass; the default (auto: as the sources record)
  // and --pooling pooler rank them all, alike.
  auto mean = run_taskscout("rank --registry " + q(dir / "reg") + " --target " + q(dir / "target.csv") + " --base " +
                            q(dir / "bert") + " --method esm-logme --pooling mean --threads 1 --json");
  ASSERT_EQ(mean.exit_code, 0) << mean.err;
  const json m = json::parse(mean.out);
  EXPECT_EQ(m["scored"], 0);
  ASSERT_EQ(m["skipped"].size(), 3u);
  EXPECT_NE(m["skipped"][0]["reason"].get<std::string>().find("pooling pooler"), std::string::npos);
  auto pooler = run_taskscout("rank --registry " + q(dir / "reg") + " --target " + q(dir / "target.csv") + " --base " +
                              q(dir / "bert") + " --method esm-logme --pooling pooler --threads 1 --json");
  ASSERT_EQ(pooler.exit_code, 0) << pooler.err;
  EXPECT_EQ(json::parse(pooler.out)["scored"], 3);
  auto by_default = run_taskscout("rank --registry " + q(dir / "reg") + " --target " + q(dir / "target.csv") +
                                  " --base " + q(dir / "bert") + " --method esm-logme --threads 1 --json");
  ASSERT_EQ(by_default.exit_code, 0) << by_default.err;
  const json a = json::parse(by_default.out)["ranking"], b = json::parse(pooler.out)["ranking"];
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["source"], b[i]["source"]);
    EXPECT_EQ(a[i]["score"], b[i]["score"]);
  }
}

TEST_F(PoolsCli, ExportEsmWritesTheLayoutAndRefusesForeignFolders) {
  ASSERT_EQ(
      run_taskscout("registry import-esm " + q(dir / "reg") + " " + q(hf() / "good") + " --base " + q(dir / "bert"))
          .exit_code,
      0);
  auto r = run_taskscout("registry export-esm " + q(dir / "reg") + " " + q(dir / "out") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["sources"].size(), 3u);
  EXPECT_TRUE(fs::exists(dir / "out" / "tweet_eval:emotion" / "config.json"));
  EXPECT_TRUE(fs::exists(dir / "out" / "tweet_eval:emotion" / "model.safetensors"));
  // Again: it replaces what it wrote.
  EXPECT_EQ(run_taskscout("registry export-esm " + q(dir / "reg") + " " + q(dir / "out")).exit_code, 0);
  testing::write_text(dir / "out" / "tweet_eval:emotion" / "notes.txt", "mine");
  auto refused = run_taskscout("registry export-esm " + q(dir / "reg") + " " + q(dir / "out"));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(refused.err.rfind("error: ", 0), 0u) << refused.err;
  EXPECT_NE(refused.err.find("notes.txt"), std::string::npos) << refused.err;
  // Exported folders import again, under a prefix.
  auto again = run_taskscout("registry import-esm " + q(dir / "reg") + " " + q(dir / "out" / "stanfordnlp--imdb") +
                             " --base " + q(dir / "bert") + " --name-prefix x- --json");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["imported"], 1);
}

TEST_F(PoolsCli, RankModelsPrintsATableJsonAndReusesItsCache) {
  fs::create_directories(dir / "broken");
  testing::write_text(dir / "broken" / "config.json", "{not json");
  const std::string models = q(dir / "bert") + " " + q(dir / "distilbert") + " " + q(dir / "broken");
  auto r = run_taskscout("rank-models --models " + models + " --target " + q(dir / "target.csv") +
                         " --method logme,knn --cache " + q(dir / "cache") + " --threads 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["methods"]["logme"]["ranking"].size(), 2u);
  ASSERT_EQ(j["methods"]["logme"]["skipped"].size(), 1u);
  EXPECT_EQ(j["methods"]["logme"]["skipped"][0]["model"], "broken");
  EXPECT_EQ(j["methods"]["knn"]["ranking"].size(), 2u);
  for (const auto& m : j["models"]) {
    if (m["model"] != "broken") {
      EXPECT_FALSE(m["from_cache"].get<bool>());
    }
  }

  auto again = run_taskscout("rank-models --models " + models + " --target " + q(dir / "target.csv") +
                             " --method logme,knn --cache " + q(dir / "cache") + " --threads 1 --csv");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out.rfind("rank,model,logme,knn,type,hidden,embed_seconds,cache,skipped\n", 0), 0u) << again.out;
  EXPECT_EQ(std::count(again.out.begin(), again.out.end(), '\n'), 4);
  EXPECT_NE(again.out.find(",hit,"), std::string::npos) << again.out;

  auto bad = run_taskscout("rank-models --models " + models + " --target " + q(dir / "target.csv") + " --method leep");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(bad.err.rfind("error: ", 0), 0u) << bad.err;
}

}  // namespace
}  // namespace taskscout
