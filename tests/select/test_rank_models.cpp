// rank_models (select/rank_models.hpp) on the small checkpoints of the tests: models of
// different architectures and hidden sizes ranked side by side, a broken one skipped, the
// embedding cache written then reused, and the layer choices against their definitions.
#include <gtest/gtest.h>

#include <map>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/estimate/estimators.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/model/text_embedding.hpp"
#include "taskscout/select/rank_models.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

class RankModels : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* m : {"bert", "distilbert"}) testing::write_fixture_model(dir / m, m);
    fs::create_directories(dir / "gpt2");
    testing::write_text(dir / "gpt2" / "config.json", R"({"model_type": "gpt2", "n_embd": 32})");
    const char* texts[] = {
        "the movie was very good !", "bad film",  "not a good movie", "a very bad film .", "good",
        "the film is bad",           "very good", "not bad",          "a good film !",     "bad movie ."};
    for (int i = 0; i < 40; ++i) {
      target.texts.push_back(texts[i % 10]);
      target.label_ids.push_back((i % 10) % 3 == 0 ? 1 : 0);
    }
    target.label_names = {"neg", "pos"};
    target.path = "target.csv";
  }
  static fs::path base_encoder() { return testing::fixtures_dir() / ".." / ".." / "models" / "base-encoder"; }
  static std::map<std::string, const SourceScore*> scores(const MethodRanking& r) {
    std::map<std::string, const SourceScore*> m;
    for (const auto& s : r.ranking.ranked) m[s.name] = &s;
    for (const auto& s : r.ranking.skipped) m[s.name] = &s;
    return m;
  }
  TempDir dir;
  Dataset target;
};

TEST_F(RankModels, RanksModelsOfDifferentSizesAndSkipsBrokenOnes) {
  RankModelsOptions o;
  o.methods = {"logme", "h_score"};
  const ModelRanking r =
      rank_models({dir / "bert", base_encoder(), dir / "distilbert", dir / "gpt2", dir / "absent"}, target, o);
  ASSERT_EQ(r.rankings.size(), 2u);
  ASSERT_EQ(r.models.size(), 5u);
  EXPECT_EQ(r.models[0].hidden_size, 32);
  EXPECT_EQ(r.models[1].hidden_size, 128);
  for (const auto& mr : r.rankings) {
    EXPECT_EQ(mr.ranking.ranked.size(), 3u) << mr.method;
    ASSERT_EQ(mr.ranking.skipped.size(), 2u) << mr.method;
  }
  auto s = scores(r.rankings[0]);
  EXPECT_NE(s.at("gpt2")->skipped.find("gpt2"), std::string::npos) << s.at("gpt2")->skipped;
  EXPECT_NE(s.at("absent")->skipped.find("no such model folder"), std::string::npos);
  const ModelRanking file = rank_models({dir / "bert" / "config.json"}, target, o);
  EXPECT_NE(file.models[0].skipped.find("not a folder"), std::string::npos) << file.models[0].skipped;

  // The score is the estimator on the embeddings the project's embed_texts gives (mean
  // pooling of the last layer), whatever the batching.
  const Encoder encoder = load_encoder(base_encoder());
  TextEmbeddingOptions e;
  e.embedding = {Pooling::Mean, -1};
  const at::Tensor x =
      embed_texts(encoder, text::Tokenizer::from_folder(base_encoder()), target.texts, {}, e, "t").embeddings;
  const double expected = find_estimator("logme").fn({to_array(x), dataset_targets(target), {}}, {});
  EXPECT_NEAR(s.at("base-encoder")->score, expected, 1e-6 * std::abs(expected));
}

TEST_F(RankModels, TheCacheIsWrittenThenReused) {
  RankModelsOptions o;
  o.cache = dir / "cache";
  o.layer = LayerChoice::Best;
  const ModelRanking first = rank_models({dir / "bert", base_encoder()}, target, o);
  for (const auto& m : first.models) EXPECT_FALSE(m.from_cache) << m.name;
  std::size_t files = 0;
  for (const auto& f : fs::directory_iterator(dir / "cache")) files += f.path().extension() == ".safetensors";
  EXPECT_EQ(files, 2u);
  const ModelRanking second = rank_models({dir / "bert", base_encoder()}, target, o);
  for (const auto& m : second.models) {
    EXPECT_TRUE(m.from_cache) << m.name;
    EXPECT_EQ(m.embed_seconds, 0);
  }
  for (std::size_t i = 0; i < 2; ++i)
    EXPECT_EQ(first.rankings[0].ranking.ranked[i].score, second.rankings[0].ranking.ranked[i].score);
  // Another target, pooling or layer choice is another key.
  o.pooling = Pooling::Cls;
  EXPECT_FALSE(rank_models({dir / "bert"}, target, o).models[0].from_cache);
  target.texts[0] = "a different text";
  o.pooling = Pooling::Mean;
  EXPECT_FALSE(rank_models({dir / "bert"}, target, o).models[0].from_cache);
  // The cache never goes inside a model folder.
  o.cache = dir / "bert" / "cache";
  EXPECT_THROW(rank_models({dir / "bert"}, target, o), UsageError);
  o.cache = dir / "cache";
  // A damaged cache file is recomputed, not trusted.
  for (const auto& f : fs::directory_iterator(dir / "cache")) testing::write_text(f.path(), "garbage");
  const ModelRanking again = rank_models({dir / "bert"}, target, o);
  EXPECT_FALSE(again.models[0].from_cache);
  EXPECT_TRUE(again.models[0].skipped.empty()) << again.models[0].skipped;
}

TEST_F(RankModels, BestIsTheBestLayerAndMeanAveragesTheLayers) {
  RankModelsOptions o;
  o.layer = LayerChoice::Last;
  const double last = rank_models({base_encoder()}, target, o).rankings[0].ranking.ranked.at(0).score;
  o.layer = LayerChoice::Best;
  const ModelRanking best = rank_models({base_encoder()}, target, o);
  EXPECT_GE(best.rankings[0].ranking.ranked.at(0).score, last);
  const int layer = best.models[0].best_layer.at("logme");
  EXPECT_GE(layer, 1);
  EXPECT_LE(layer, 2);

  // mean: the estimator on the average of the layers' pooled embeddings.
  o.layer = LayerChoice::Mean;
  const double mean = rank_models({base_encoder()}, target, o).rankings[0].ranking.ranked.at(0).score;
  const Encoder encoder = load_encoder(base_encoder());
  at::Tensor sum;
  for (int l = 1; l <= 2; ++l) {
    TextEmbeddingOptions e;
    e.embedding = {Pooling::Mean, l};
    const at::Tensor x =
        embed_texts(encoder, text::Tokenizer::from_folder(base_encoder()), target.texts, {}, e, "t").embeddings;
    sum = sum.defined() ? sum + x.to(at::kDouble) : x.to(at::kDouble);
  }
  const double expected =
      find_estimator("logme").fn({to_array((sum / 2).to(at::kFloat).contiguous()), dataset_targets(target), {}}, {});
  EXPECT_NEAR(mean, expected, 1e-6 * std::abs(expected));
}

TEST_F(RankModels, RefusesWhatCannotWork) {
  RankModelsOptions o;
  o.methods = {"leep"};
  EXPECT_THROW(rank_models({dir / "bert"}, target, o), UsageError);
  o.methods = {"logme"};
  o.pooling = Pooling::Pooler;
  o.layer = LayerChoice::Mean;
  EXPECT_THROW(rank_models({dir / "bert"}, target, o), UsageError);
  // Pooler pooling of a model without a pooler: that model is skipped, saying so.
  o.layer = LayerChoice::Last;
  const ModelRanking r = rank_models({dir / "bert", dir / "distilbert"}, target, o);
  EXPECT_EQ(r.rankings[0].ranking.ranked.size(), 1u);
  ASSERT_EQ(r.rankings[0].ranking.skipped.size(), 1u);
  EXPECT_NE(r.rankings[0].ranking.skipped[0].skipped.find("no pooler"), std::string::npos);
}

TEST_F(RankModels, ACancelStopsTheRunAndARerunResumesFromTheCache) {
  Progress p;
  p.advance = [](std::int64_t done, const std::string&) {
    if (done >= 1) throw Cancelled();
  };
  RankModelsOptions o;
  o.cache = dir / "cache";
  EXPECT_THROW(rank_models({dir / "bert", base_encoder()}, target, o, p), Cancelled);
  // Resumed: the model embedded before the cancel comes from the cache, the other is embedded.
  const ModelRanking resumed = rank_models({dir / "bert", base_encoder()}, target, o);
  EXPECT_TRUE(resumed.models[0].from_cache);
  EXPECT_FALSE(resumed.models[1].from_cache);
  EXPECT_EQ(resumed.rankings[0].ranking.ranked.size(), 2u);
}

}  // namespace
}  // namespace taskscout
