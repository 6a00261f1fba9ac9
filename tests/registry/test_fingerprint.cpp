// Fingerprints of base-model folders and datasets, and the ESM file check.
#include <gtest/gtest.h>

#include "registry_fixtures.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/registry/esm_check.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

fs::path copy_model(const std::string& fixture, const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::copy(testing::fixtures_dir() / "model" / fixture, to, fs::copy_options::recursive);
  return to;
}

TEST(BaseFingerprint, StableAcrossCopiesAndUnrelatedFiles) {
  TempDir dir;
  const std::string original = base_model_fingerprint(testing::fixtures_dir() / "model" / "bert");
  EXPECT_TRUE(is_sha256_hex(original));
  const fs::path copy = copy_model("bert", dir / "somewhere" / "else");
  testing::write_text(copy / "vocab.txt", "[PAD]\n");  // tokenizer files and others do not enter
  fs::remove(copy / "expected.safetensors");
  EXPECT_EQ(base_model_fingerprint(copy), original);
}

TEST(BaseFingerprint, ChangesWithTheWeightsOrTheConfig) {
  TempDir dir;
  const fs::path a = copy_model("bert", dir / "a");
  const std::string original = base_model_fingerprint(a);
  std::string weights = testing::read_text(a / "model.safetensors");
  weights.back() ^= 1;
  testing::write_text(a / "model.safetensors", weights);
  EXPECT_NE(base_model_fingerprint(a), original);

  const fs::path b = copy_model("bert", dir / "b");
  testing::write_text(b / "config.json", testing::read_text(b / "config.json") + " ");
  EXPECT_NE(base_model_fingerprint(b), original);
  EXPECT_NE(base_model_fingerprint(testing::fixtures_dir() / "model" / "roberta"), original);
}

TEST(BaseFingerprint, ShardedFoldersHashTheirIndexAndEveryShard) {
  TempDir dir;
  const fs::path s = copy_model("bert_sharded", dir / "s");
  const std::string original = base_model_fingerprint(s);
  EXPECT_EQ(base_model_fingerprint(copy_model("bert_sharded", dir / "t")), original);
  std::string shard = testing::read_text(s / "model-00002-of-00002.safetensors");
  shard.back() ^= 1;
  testing::write_text(s / "model-00002-of-00002.safetensors", shard);
  EXPECT_NE(base_model_fingerprint(s), original);
  fs::remove(s / "model-00002-of-00002.safetensors");
  EXPECT_THROW(base_model_fingerprint(s), InputError);
}

TEST(BaseFingerprint, FoldersWithoutConfigOrWeightsAreErrors) {
  TempDir dir;
  EXPECT_THROW(base_model_fingerprint(dir.path()), InputError);
  testing::write_text(dir / "config.json", "{}");
  try {
    base_model_fingerprint(dir.path());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos) << e.what();
  }
}

TEST(DatasetFingerprint, SameRowsSameFingerprintWhateverTheFormat) {
  TempDir dir;
  testing::write_text(dir / "d.csv", "text,label\n\"hello, world\",pos\nbye,neg\n");
  testing::write_text(dir / "d.jsonl",
                      "{\"text\": \"hello, world\", \"label\": \"pos\"}\n{\"text\": \"bye\", \"label\": \"neg\"}\n");
  testing::write_text(dir / "e.csv", "text,label\n\"hello, world\",neg\nbye,neg\n");
  testing::write_text(dir / "f.csv", "text,label\nbye,neg\n\"hello, world\",pos\n");
  const std::string csv = dataset_fingerprint(load_dataset(dir / "d.csv"));
  EXPECT_EQ(dataset_fingerprint(load_dataset(dir / "d.jsonl")), csv);
  EXPECT_NE(dataset_fingerprint(load_dataset(dir / "e.csv")), csv);  // one label differs
  EXPECT_NE(dataset_fingerprint(load_dataset(dir / "f.csv")), csv);  // row order differs
}

TEST(EsmCheck, AcceptsTheSharedFormat) {
  TempDir dir;
  const std::string base = sha256_hex("base");
  testing::write_esm(dir / "e.safetensors", 6, 1, base);
  const EsmFileInfo info = check_esm_file(dir / "e.safetensors", base);
  EXPECT_EQ(info.dim, 6);
  EXPECT_EQ(info.base_fingerprint, base);
  testing::write_esm(dir / "any.safetensors", 6);  // no base recorded: accepted for any base
  EXPECT_EQ(check_esm_file(dir / "any.safetensors", base).base_fingerprint, "");
}

TEST(EsmCheck, RejectsWhatRankingCouldNotUse) {
  TempDir dir;
  auto message = [&](const fs::path& p, const std::string& base = "") {
    try {
      check_esm_file(p, base);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  testing::write_esm(dir / "other.safetensors", 4, 1, sha256_hex("other base"));
  EXPECT_NE(message(dir / "other.safetensors", sha256_hex("base")).find("trained for base model"), std::string::npos);

  Array w(DType::F32, {4, 5}), b(DType::F32, {4});
  write_safetensors(dir / "rect.safetensors", {{"weight", w}, {"bias", b}},
                    {{"format", "taskscout-esm"}, {"version", "1"}});
  EXPECT_NE(message(dir / "rect.safetensors").find("[4, 5]"), std::string::npos);

  Array w64(DType::F64, {4, 4});
  write_safetensors(dir / "f64.safetensors", {{"weight", w64}, {"bias", b}},
                    {{"format", "taskscout-esm"}, {"version", "1"}});
  EXPECT_NE(message(dir / "f64.safetensors").find("F32"), std::string::npos);

  Array sq(DType::F32, {4, 4});
  write_safetensors(dir / "nometa.safetensors", {{"weight", sq}, {"bias", b}});
  EXPECT_NE(message(dir / "nometa.safetensors").find("format"), std::string::npos);
  write_safetensors(dir / "v2.safetensors", {{"weight", sq}, {"bias", b}},
                    {{"format", "taskscout-esm"}, {"version", "2"}});
  EXPECT_NE(message(dir / "v2.safetensors").find("version"), std::string::npos);
  write_safetensors(dir / "nobias.safetensors", {{"weight", sq}}, {{"format", "taskscout-esm"}, {"version", "1"}});
  EXPECT_NE(message(dir / "nobias.safetensors").find("\"bias\""), std::string::npos);

  Array nan(DType::F32, {4, 4});
  nan.mutable_values<float>()[5] = std::nanf("");
  write_safetensors(dir / "nan.safetensors", {{"weight", nan}, {"bias", b}},
                    {{"format", "taskscout-esm"}, {"version", "1"}});
  EXPECT_NE(message(dir / "nan.safetensors").find("non-finite"), std::string::npos);

  testing::write_text(dir / "junk.safetensors", "junk");
  EXPECT_NE(message(dir / "junk.safetensors").find("junk.safetensors"), std::string::npos);
}

}  // namespace
}  // namespace taskscout
