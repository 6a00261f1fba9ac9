// hf-dataset-selector ESM folders (select/hf_esm.hpp) on the fixtures
// scripts/make_hf_esm_fixtures.py writes in that tool's exact layout: import, every bad
// folder named and skipped, export and re-import with identical weights, the same ranking as
// natively registered ESMs, and rank refusing to mix poolings.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/esm/apply_esm.hpp"
#include "taskscout/io/model_fingerprint.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/select/hf_esm.hpp"
#include "taskscout/select/rank.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempDir;

fs::path fixtures() { return testing::fixtures_dir() / "select" / "hf_esm"; }

class HfEsm : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_fixture_model(dir / "bert", "bert");
    registry.emplace(Registry::create(dir / "reg"));
  }
  HfEsmImportOptions options() const { return {dir / "bert", "", "", false}; }
  static std::map<std::string, HfEsmImportItem> by_folder(const HfEsmImportResult& r) {
    std::map<std::string, HfEsmImportItem> m;
    for (const auto& i : r.items) m[fs::path(i.folder).filename().string()] = i;
    return m;
  }
  // The weight and bias stored for a source, as F32 values.
  std::pair<std::vector<float>, std::vector<float>> stored(const std::string& name) const {
    const SafetensorsFile f = registry->open_artifact(registry->get(name), artifact_kind::kEsm);
    const Array w = f.get("weight"), b = f.get("bias");
    return {std::vector<float>(w.values<float>().begin(), w.values<float>().end()),
            std::vector<float>(b.values<float>().begin(), b.values<float>().end())};
  }
  static std::vector<float> tensor(const fs::path& file, const std::string& name) {
    const SafetensorsFile f(file);
    const Array a = f.get(name);
    return {a.values<float>().begin(), a.values<float>().end()};
  }

  TempDir dir;
  std::optional<Registry> registry;
};

TEST_F(HfEsm, ImportsGoodFoldersAndNamesEveryBadOne) {
  const HfEsmImportResult r = import_hf_esms(*registry, {fixtures() / "good", fixtures() / "bad"}, options());
  auto m = by_folder(r);
  ASSERT_EQ(r.items.size(), 12u);
  EXPECT_EQ(r.imported(), 3u);
  for (const char* ok : {"glue_sst2", "imdb_legacy", "tweet_eval_emotion"}) {
    EXPECT_TRUE(m[ok].imported) << ok << ": " << m[ok].reason;
    EXPECT_EQ(m[ok].dim, 32);
    EXPECT_EQ(m[ok].pooling, "pooler");  // hfselect pools a BertModel by its pooler
  }
  EXPECT_EQ(m["glue_sst2"].name, "nyu-mll--glue:sst2");
  EXPECT_EQ(m["imdb_legacy"].name, "stanfordnlp--imdb");
  EXPECT_EQ(m["tweet_eval_emotion"].name, "tweet_eval:emotion");
  const std::map<std::string, std::string> expected = {
      {"glue_sst2_validation", "taken by"},
      {"missing_field", "no field \"task_split\""},
      {"unknown_field", "\"esm_hidden_layers\""},
      {"wrong_shape", "shape [32, 31]"},
      {"nan_weight", "model.weight has a non-finite value"},
      {"other_base", "FacebookAI/roberta-base"},
      {"mlp_architecture", "esm_architecture \"mlp\" is not supported"},
      {"other_dim", "hidden size 32"},
      {"no_weights", "no model.safetensors"},
  };
  for (const auto& [folder, needle] : expected) {
    EXPECT_FALSE(m[folder].imported) << folder;
    EXPECT_NE(m[folder].reason.find(needle), std::string::npos) << folder << ": " << m[folder].reason;
  }
  // Nothing of a skipped folder reached the registry.
  EXPECT_EQ(registry->count(), 3);
  const SourceRecord s = registry->get("nyu-mll--glue:sst2");
  EXPECT_EQ(s.base_fingerprint, base_model_fingerprint(dir / "bert"));
  EXPECT_EQ(s.provenance["hf_esm_config"]["task_subset"], "sst2");
  EXPECT_EQ(s.provenance["embedding"]["pooling"], "pooler");
  // The weights as hfselect's nn.Linear holds them: ESM(x) = x·Wᵀ + b, copied unchanged.
  const auto [w, b] = stored("nyu-mll--glue:sst2");
  EXPECT_EQ(w, tensor(fixtures() / "good" / "glue_sst2" / "model.safetensors", "model.weight"));
  EXPECT_EQ(b, tensor(fixtures() / "good" / "glue_sst2" / "model.safetensors", "model.bias"));
  // Applied as taskscout applies ESMs, the imported map gives what hfselect's nn.Linear gives.
  const SafetensorsFile oracle(testing::fixtures_dir() / "select" / "hf_esm_oracle.safetensors");
  const Esm esm = load_esm(registry->blob_path(s.artifact("esm")->digest));
  const at::Tensor mapped = apply_esm(esm, as_tensor(oracle.get("x")));
  const at::Tensor by_hfselect = as_tensor(oracle.get("y"));
  EXPECT_TRUE(at::allclose(mapped, by_hfselect, 1e-5, 1e-5)) << (mapped - by_hfselect).abs().max().item<float>();
  // The 0.1.0 names.
  const auto [lw, lb] = stored("stanfordnlp--imdb");
  EXPECT_EQ(lw, tensor(fixtures() / "good" / "imdb_legacy" / "model.safetensors", "sequential.0.weight"));
  EXPECT_EQ(lb, tensor(fixtures() / "good" / "imdb_legacy" / "model.safetensors", "sequential.0.bias"));
}

TEST_F(HfEsm, ReimportingTheSameNamesSkipsThemAndPrefixesAvoidIt) {
  ASSERT_EQ(import_hf_esms(*registry, {fixtures() / "good"}, options()).imported(), 3u);
  const HfEsmImportResult again = import_hf_esms(*registry, {fixtures() / "good" / "glue_sst2"}, options());
  ASSERT_EQ(again.items.size(), 1u);
  EXPECT_FALSE(again.items[0].imported);
  EXPECT_NE(again.items[0].reason.find("already has a source named"), std::string::npos) << again.items[0].reason;
  HfEsmImportOptions prefixed = options();
  prefixed.name_prefix = "hub-";
  EXPECT_EQ(import_hf_esms(*registry, {fixtures() / "good"}, prefixed).imported(), 3u);
  EXPECT_TRUE(registry->find("hub-tweet_eval:emotion"));
}

TEST_F(HfEsm, BaseModelNameIsCheckedAgainstTheFolderOrAsserted) {
  HfEsmImportOptions o = options();
  o.base_model_name = "google-bert/bert-base-uncased";  // not what the configs say
  const HfEsmImportResult r = import_hf_esms(*registry, {fixtures() / "good" / "glue_sst2"}, o);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_FALSE(r.items[0].imported);
  EXPECT_NE(r.items[0].reason.find("--base-model-name"), std::string::npos) << r.items[0].reason;
  // A base folder named otherwise: refused unless the name is asserted.
  fs::rename(dir / "bert", dir / "encoder");
  o = options();
  o.base = dir / "encoder";
  EXPECT_EQ(import_hf_esms(*registry, {fixtures() / "good" / "glue_sst2"}, o).imported(), 0u);
  o.base_model_name = "taskscout-fixtures/bert";
  EXPECT_EQ(import_hf_esms(*registry, {fixtures() / "good" / "glue_sst2"}, o).imported(), 1u);
}

TEST_F(HfEsm, AFolderOfNoEsmsIsAnError) {
  fs::create_directories(dir / "empty" / "sub");
  EXPECT_THROW(import_hf_esms(*registry, {dir / "empty"}, options()), InputError);
  EXPECT_THROW(import_hf_esms(*registry, {dir / "absent"}, options()), IoError);
  EXPECT_THROW(import_hf_esms(*registry, {fixtures() / "good" / "glue_sst2" / "config.json"}, options()), InputError);
}

TEST_F(HfEsm, ExportThenImportGivesIdenticalWeightsAndConfig) {
  ASSERT_EQ(import_hf_esms(*registry, {fixtures() / "good"}, options()).imported(), 3u);
  const auto items = export_hf_esms(*registry, dir / "out", {});
  ASSERT_EQ(items.size(), 3u);
  for (const auto& i : items) EXPECT_FALSE(i.folder.empty()) << i.source << ": " << i.reason;
  // The layout hfselect reads: model.weight / model.bias (also for the 0.1.0 source, whose
  // version tag is dropped so that hfselect does not look for sequential.0.*).
  const fs::path legacy = dir / "out" / "stanfordnlp--imdb";
  EXPECT_EQ(tensor(legacy / "model.safetensors", "model.weight"),
            tensor(fixtures() / "good" / "imdb_legacy" / "model.safetensors", "sequential.0.weight"));
  std::ifstream in(legacy / "config.json");
  const json config = json::parse(in);
  EXPECT_FALSE(config.contains("version"));
  EXPECT_EQ(config["task_id"], "stanfordnlp/imdb");
  EXPECT_EQ(config["esm_architecture"], "linear");

  Registry second = Registry::create(dir / "reg2");
  ASSERT_EQ(import_hf_esms(second, {dir / "out"}, options()).imported(), 3u);
  for (const auto& s : registry->list()) {
    const SafetensorsFile a = registry->open_artifact(s, artifact_kind::kEsm);
    const SafetensorsFile b = second.open_artifact(second.get(s.name), artifact_kind::kEsm);
    for (const char* t : {"weight", "bias"}) {
      const Array x = a.get(t), y = b.get(t);
      ASSERT_EQ(x.shape(), y.shape());
      EXPECT_EQ(0, std::memcmp(x.bytes(), y.bytes(), x.nbytes())) << s.name << " " << t;
    }
    EXPECT_EQ(s.provenance["hf_esm_config"]["task_subset"],
              second.get(s.name).provenance["hf_esm_config"]["task_subset"]);
  }
  // Exporting again replaces what export wrote; a folder it did not write is refused.
  EXPECT_NO_THROW(export_hf_esms(*registry, dir / "out", {"tweet_eval:emotion"}));
  testing::write_text(dir / "out" / "nyu-mll--glue:sst2" / "README.md", "mine");
  EXPECT_THROW(export_hf_esms(*registry, dir / "out", {}), UsageError);
  fs::create_directories(dir / "mine" / "tweet_eval:emotion");
  fs::copy_file(fixtures() / "good" / "tweet_eval_emotion" / "model.safetensors",
                dir / "mine" / "tweet_eval:emotion" / "model.safetensors");
  EXPECT_THROW(export_hf_esms(*registry, dir / "mine", {"tweet_eval:emotion"}), UsageError);
  EXPECT_EQ(tensor(dir / "mine" / "tweet_eval:emotion" / "model.safetensors", "model.weight"),
            tensor(fixtures() / "good" / "tweet_eval_emotion" / "model.safetensors", "model.weight"));
  EXPECT_THROW(export_hf_esms(*registry, dir / "reg" / "blobs", {}), UsageError);
  EXPECT_THROW(export_hf_esms(*registry, dir / "out2", {"no-such-source"}), InputError);
}

TEST_F(HfEsm, ASourceRegisteredHereExportsToAConfigThatImportsBack) {
  Array w(DType::F32, {32, 32}), b(DType::F32, {32});
  for (std::int64_t i = 0; i < 32; ++i) w.mutable_values<float>()[i * 32 + (i + 1) % 32] = 0.5f + 0.01f * i;
  const std::string fingerprint = base_model_fingerprint(dir / "bert");
  save_esm(dir / "esm.safetensors", Esm{w, b, {{"base_fingerprint", fingerprint}}});
  NewSource n;
  n.record.name = "sst2";
  n.record.base_fingerprint = fingerprint;
  n.record.provenance = {{"base_model", (dir / "bert").string()},
                         {"embedding", {{"pooling", "mean"}, {"layer", -1}, {"texts", 500}, {"seed", 3}}}};
  n.artifact_files["esm"] = dir / "esm.safetensors";
  registry->add(n);
  ASSERT_EQ(export_hf_esms(*registry, dir / "out", {"sst2"}).at(0).reason, "");
  std::ifstream in(dir / "out" / "sst2" / "config.json");
  const json config = json::parse(in);
  EXPECT_EQ(config["base_model_name"], "bert");
  EXPECT_EQ(config["task_id"], "sst2");
  EXPECT_EQ(config["num_examples"], 500);
  EXPECT_EQ(config["esm_embedding_dim"], 32);
  Registry second = Registry::create(dir / "reg2");
  const HfEsmImportResult r = import_hf_esms(second, {dir / "out"}, options());
  ASSERT_EQ(r.imported(), 1u) << r.items.at(0).reason;
  // Its mean pooling came back with it (not hfselect's pooler rule for a BERT base).
  EXPECT_EQ(config["taskscout_pooling"], "mean");
  EXPECT_EQ(r.items[0].pooling, "mean");
  EXPECT_EQ(second.get("sst2").provenance["embedding"]["pooling"], "mean");
  EXPECT_EQ(tensor(second.blob_path(second.get("sst2").artifact("esm")->digest), "weight"),
            std::vector<float>(w.values<float>().begin(), w.values<float>().end()));
}

// A target given as features: 60 rows of 32 dimensions, three classes.
RankTarget features_target() {
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal;
  RankTarget t;
  t.what = "target";
  const std::int64_t n = 60, d = 32;
  t.input.features = Array(DType::F32, {n, d});
  std::vector<std::int64_t> labels;
  auto v = t.input.features.mutable_values<float>();
  for (std::int64_t i = 0; i < n; ++i) {
    labels.push_back(i % 3);
    for (std::int64_t j = 0; j < d; ++j) v[i * d + j] = normal(rng) + (j == labels.back() ? 1.5f : 0.0f);
  }
  t.input.targets = Targets::from_class_labels(labels);
  return t;
}

TEST_F(HfEsm, RankingImportedEsmsEqualsRankingTheSameEsmsRegisteredNatively) {
  ASSERT_EQ(import_hf_esms(*registry, {fixtures() / "good"}, options()).imported(), 3u);
  // The same maps in taskscout's format, added as a native registration would add them.
  Registry native = Registry::create(dir / "native");
  for (const auto& s : registry->list()) {
    const SafetensorsFile f = registry->open_artifact(s, artifact_kind::kEsm);
    const fs::path file = dir / (s.name + ".safetensors");
    save_esm(file, Esm{f.get("weight"), f.get("bias"), {{"base_fingerprint", s.base_fingerprint}}});
    NewSource n;
    n.record.name = s.name;
    n.record.base_fingerprint = s.base_fingerprint;
    n.artifact_files["esm"] = file;
    native.add(n);
  }
  RankTarget target = features_target();
  target.base_fingerprint = base_model_fingerprint(dir / "bert");
  const Ranking a = rank_pool(target, registry_pool(dir / "reg"), {"esm-logme"}).at(0).ranking;
  const Ranking b = rank_pool(target, registry_pool(dir / "native"), {"esm-logme"}).at(0).ranking;
  ASSERT_EQ(a.ranked.size(), 3u);
  ASSERT_EQ(b.ranked.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(a.ranked[i].name, b.ranked[i].name);
    EXPECT_EQ(a.ranked[i].score, b.ranked[i].score);
  }
  EXPECT_NE(a.ranked[0].score, a.ranked[2].score);  // the three maps differ
}

TEST_F(HfEsm, RankRefusesATargetPooledOtherwiseAndSaysWhatToPass) {
  ASSERT_EQ(import_hf_esms(*registry, {fixtures() / "good"}, options()).imported(), 3u);
  Dataset data;
  data.path = "target.csv";
  const char* texts[] = {"the movie was very good !", "bad film", "not a good movie", "a very bad film .", "good"};
  for (int i = 0; i < 30; ++i) {
    data.texts.push_back(texts[i % 5]);
    data.label_ids.push_back(i % 5 == 0 || i % 5 == 4 ? 1 : 0);
  }
  data.label_names = {"neg", "pos"};
  const std::string fingerprint = base_model_fingerprint(dir / "bert");
  const auto pool = registry_pool(dir / "reg");
  for (const auto& s : pool) EXPECT_EQ(s.pooling, "pooler") << s.name;

  TextEmbeddingOptions mean;
  mean.embedding = {Pooling::Mean, -1};
  const Ranking refused =
      rank_pool(embed_rank_target(data, dir / "bert", fingerprint, mean), pool, {"esm-logme"}).at(0).ranking;
  EXPECT_TRUE(refused.ranked.empty());
  ASSERT_EQ(refused.skipped.size(), 3u);
  for (const auto& s : refused.skipped)
    EXPECT_NE(s.skipped.find("pooling pooler"), std::string::npos) << s.name << ": " << s.skipped;

  TextEmbeddingOptions pooler;
  pooler.embedding = {Pooling::Pooler, -1};
  const Ranking ranked =
      rank_pool(embed_rank_target(data, dir / "bert", fingerprint, pooler), pool, {"esm-logme"}).at(0).ranking;
  EXPECT_EQ(ranked.ranked.size(), 3u);
  EXPECT_TRUE(ranked.skipped.empty());
  // The same ESMs as files (rank --esms): their metadata says how they pool.
  std::vector<std::string> files;
  for (const auto& s : registry->list()) files.push_back(registry->blob_path(s.artifact("esm")->digest).string());
  const Ranking from_files =
      rank_pool(embed_rank_target(data, dir / "bert", fingerprint, mean), esm_file_pool(files), {"esm-logme"})
          .at(0)
          .ranking;
  EXPECT_TRUE(from_files.ranked.empty());
  ASSERT_EQ(from_files.skipped.size(), 3u);
  EXPECT_NE(from_files.skipped[0].skipped.find("pooling pooler"), std::string::npos) << from_files.skipped[0].skipped;
  // Another layer is refused too.
  pooler.embedding.layer = 1;
  const Ranking layer =
      rank_pool(embed_rank_target(data, dir / "bert", fingerprint, pooler), pool, {"esm-logme"}).at(0).ranking;
  EXPECT_EQ(layer.skipped.size(), 3u);
}

TEST(HfEsmPooling, FollowsHfselectsGetPooledOutput) {
  EXPECT_EQ(hf_esm_pooling("bert", "google-bert/bert-base-uncased"), "pooler");
  EXPECT_EQ(hf_esm_pooling("bert", "sentence-transformers/all-MiniLM-L6-v2"), "mean");
  EXPECT_EQ(hf_esm_pooling("distilbert", "distilbert-base-uncased"), "cls");
  EXPECT_EQ(hf_esm_pooling("roberta", "roberta-base"), "cls");
  EXPECT_EQ(hf_esm_source_name({{"task_id", "a/b"}, {"task_subset", nullptr}}, "p-"), "p-a--b");
}

}  // namespace
}  // namespace taskscout
