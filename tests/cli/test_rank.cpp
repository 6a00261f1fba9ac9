// End-to-end: taskscout rank over ESM files and over a registry, its output contracts,
// skipped sources, and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "rank_fixtures.hpp"
#include "taskscout/io/npy.hpp"
#include "taskscout/io/safetensors.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

using testing::bert_folder;
using testing::run_taskscout;
using testing::TempDir;
using testing::write_esm;

constexpr int kN = 60, kD = 5;

class Rank : public ::testing::Test {
 protected:
  // Classes live in coordinate 0: a map that keeps it beats one that shrinks it, which
  // beats one that removes it.
  void SetUp() override {
    Array x(DType::F32, {kN, kD}), y(DType::I64, {kN});
    std::mt19937 rng(7);
    std::normal_distribution<float> g(0, 1);
    for (int i = 0; i < kN; ++i) {
      y.mutable_values<std::int64_t>()[i] = i % 2;
      for (int j = 0; j < kD; ++j) x.mutable_values<float>()[i * kD + j] = g(rng) + (j == 0 ? 3.0f * (i % 2) : 0.0f);
    }
    write_npy(dir / "x.npy", x);
    write_npy(dir / "y.npy", y);
    std::filesystem::create_directories(dir / "pool");
    write_esm(dir / "pool" / "keep.safetensors", {1, 1, 1, 1, 1});
    write_esm(dir / "pool" / "shrink.safetensors", {0.05f, 1, 1, 1, 1});
    write_esm(dir / "pool" / "drop.safetensors", {0, 1, 1, 1, 1});
    write_esm(dir / "pool" / "wide.safetensors", {1, 1, 1, 1, 1, 1});  // another dimension
    testing::write_text(dir / "pool" / "corrupt.safetensors", "not a safetensors file");
  }
  std::string path(const std::string& name) const { return "'" + (dir / name).string() + "'"; }
  std::string target() const { return " --target-features " + path("x.npy") + " --labels " + path("y.npy"); }
  TempDir dir;
};

TEST_F(Rank, RanksEsmFilesBestFirstAndListsTheSkippedWithReasons) {
  const auto r = run_taskscout("rank --esms " + path("pool") + target() + " --json --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["method"], "esm-logme");
  EXPECT_EQ(j["sources"], 5);
  ASSERT_EQ(j["ranking"].size(), 3u);
  EXPECT_EQ(j["ranking"][0]["source"], "keep");
  EXPECT_EQ(j["ranking"][1]["source"], "shrink");
  EXPECT_EQ(j["ranking"][2]["source"], "drop");
  EXPECT_EQ(j["ranking"][0]["rank"], 1);
  ASSERT_EQ(j["skipped"].size(), 2u);
  EXPECT_EQ(j["skipped"][0]["source"], "corrupt");
  EXPECT_NE(j["skipped"][0]["reason"].get<std::string>().find("corrupt.safetensors"), std::string::npos);
  EXPECT_EQ(j["skipped"][1]["source"], "wide");
  EXPECT_NE(j["skipped"][1]["reason"].get<std::string>().find("6-dimensional"), std::string::npos);

  // The identity map's score is plain LogME of the target features (taskscout score).
  const auto s =
      run_taskscout("score --features " + path("x.npy") + " --labels " + path("y.npy") + " --method logme --json");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const double logme = nlohmann::json::parse(s.out)["scores"]["logme"];
  EXPECT_NEAR(j["ranking"][0]["score"].get<double>(), logme, 1e-9 * std::abs(logme));
}

TEST_F(Rank, CsvOutputAndK) {
  const auto csv = run_taskscout("rank --esms " + path("pool") + target() + " --csv --k 2");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("rank,source,esm-logme,seconds,skipped\n1,keep,", 0), 0u) << csv.out;
  EXPECT_NE(csv.out.find("\n2,shrink,"), std::string::npos) << csv.out;
  EXPECT_EQ(csv.out.find("drop"), std::string::npos) << csv.out;  // beyond --k
  EXPECT_NE(csv.out.find("\n-,corrupt,,"), std::string::npos) << csv.out;
}

TEST_F(Rank, BaseFingerprintsMustMatch) {
  write_esm(dir / "other.safetensors", {1, 1, 1, 1, 1}, "fingerprint-of-another-base");
  write_esm(dir / "same.safetensors", {1, 1, 1, 1, 1}, "fingerprint-of-this-base");
  const auto r = run_taskscout("rank --esms " + path("other.safetensors") + " " + path("same.safetensors") + target() +
                               " --base-fingerprint fingerprint-of-this-base --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["ranking"].size(), 1u);
  EXPECT_EQ(j["ranking"][0]["source"], "same");
  EXPECT_NE(j["skipped"][0]["reason"].get<std::string>().find("another base model"), std::string::npos);
}

TEST_F(Rank, BadInputIsOneErrorLine) {
  auto r = run_taskscout("rank" + target());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--registry FOLDER or as --esms"), std::string::npos) << r.err;
  Array one(DType::I64, {kN});
  write_npy(dir / "one.npy", one);
  r = run_taskscout("rank --esms " + path("pool") + " --target-features " + path("x.npy") + " --labels " +
                    path("one.npy"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("single class"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  // logme embeds the target's texts with each source's model: features will not do.
  r = run_taskscout("rank --esms " + path("pool") + target() + " --method logme");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("not --target-features"), std::string::npos) << r.err;
}

// One label loader: fractional labels given as classes are refused the same way by score
// and rank (rank once truncated 1.7 to class 1 and ranked).
TEST_F(Rank, FractionalClassLabelsAreRefusedByRankAsByScore) {
  Array y(DType::F64, {kN});
  for (int i = 0; i < kN; ++i) y.mutable_values<double>()[i] = i % 2 ? 1.7 : 0.2;
  write_npy(dir / "frac.npy", y);
  const std::string labels = " --labels " + path("frac.npy") + " --task classification";
  const auto ranked = run_taskscout("rank --esms " + path("pool") + " --target-features " + path("x.npy") + labels);
  const auto scored = run_taskscout("score --features " + path("x.npy") + labels + " --method logme");
  for (const auto& r : {ranked, scored}) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("label at row 0 is 0.2, not a class id"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  // Left to auto, the same file is a regression target for both.
  const auto auto_rank = run_taskscout("rank --esms " + path("pool") + " --target-features " + path("x.npy") +
                                       " --labels " + path("frac.npy") + " --json");
  ASSERT_EQ(auto_rank.exit_code, 0) << auto_rank.err;
  EXPECT_EQ(nlohmann::json::parse(auto_rank.out)["ranking"].size(), 3u);
}

TEST_F(Rank, TextThatIsNotUtf8NeverCostsTheResult) {
  // A target path that is not UTF-8: the ranking is printed, the path with U+FFFD in JSON
  // (before: an internal error, exit 3, after the work was done).
  std::filesystem::copy_file(dir / "x.npy", dir / "t\xff.npy");
  auto r = run_taskscout("rank --esms " + path("pool") + " --target-features " + path("t\xff.npy") + " --labels " +
                         path("y.npy") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NE(j["target"].get<std::string>().find("t\xef\xbf\xbd.npy"), std::string::npos) << j["target"];
  EXPECT_EQ(j["ranking"][0]["source"], "keep");
  // An ESM file whose name (the source's name) is not UTF-8: refused up front, naming it.
  std::filesystem::create_directories(dir / "pool2");
  write_esm(dir / "pool2" / "ok.safetensors", {1, 1, 1, 1, 1});
  write_esm(dir / "pool2" /
                "b\xff"
                "d.safetensors",
            {1, 1, 1, 1, 1});
  r = run_taskscout("rank --esms " + path("pool2") + target() + " --json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("not valid UTF-8"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(Rank, RanksARegistryForATargetDatasetEmbeddedWithTheBase) {
  const std::string model = "'" + bert_folder(dir).string() + "'";
  std::string data = "text,label\n";
  for (int i = 0; i < 24; ++i)
    data += (i % 2 ? "a good happy film number " : "a bad sad movie number ") + std::to_string(i) + "," +
            (i % 2 ? "pos" : "neg") + "\n";
  testing::write_text(dir / "data.csv", data);
  std::vector<float> ones(32, 1.0f), dropped(32, 1.0f);
  std::fill(dropped.begin(), dropped.begin() + 31, 0.0f);
  write_esm(dir / "keep32.safetensors", ones);
  write_esm(dir / "drop32.safetensors", dropped);
  ASSERT_EQ(run_taskscout("registry init " + path("reg")).exit_code, 0);
  for (const char* name : {"keep32", "drop32"}) {
    const auto reg =
        run_taskscout("register --registry " + path("reg") + " --base " + model + " --esm " +
                      path(std::string(name) + ".safetensors") + " --name " + name + " --source " + path("data.csv"));
    ASSERT_EQ(reg.exit_code, 0) << reg.err;
  }
  const auto r = run_taskscout("rank --registry " + path("reg") + " --target " + path("data.csv") + " --base " + model +
                               " --method all --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["n"], 24);
  EXPECT_EQ(j["d"], 32);
  const auto& esm = j["methods"]["esm-logme"];
  ASSERT_EQ(esm["ranking"].size(), 2u) << r.out;
  EXPECT_EQ(esm["ranking"][0]["source"], "keep32");
  // Both sources were registered with the target's own texts: their mean embedding is the
  // target's, so TextEmb gives cosine 1.
  const auto& textemb = j["methods"]["textemb"];
  ASSERT_EQ(textemb["ranking"].size(), 2u) << r.out;
  EXPECT_NEAR(textemb["ranking"][0]["score"].get<double>(), 1.0, 1e-6);
  // Registered with ESMs trained elsewhere, they store no fine-tuned model and no task
  // embedding: the methods that need one skip both, saying so.
  EXPECT_EQ(j["methods"]["taskemb"]["ranking"].size(), 0u) << r.out;
  ASSERT_EQ(j["methods"]["taskemb"]["skipped"].size(), 2u) << r.out;
  EXPECT_NE(j["methods"]["taskemb"]["skipped"][0]["reason"].get<std::string>().find("no task embedding"),
            std::string::npos)
      << r.out;
  for (const char* method : {"logme", "knn"}) {
    EXPECT_EQ(j["methods"][method]["ranking"].size(), 0u) << r.out;
    ASSERT_EQ(j["methods"][method]["skipped"].size(), 2u) << r.out;
    EXPECT_NE(j["methods"][method]["skipped"][0]["reason"].get<std::string>().find("stores no fine-tuned model"),
              std::string::npos)
        << r.out;
  }

  // A corrupt ESM blob skips that source, with the blob named, and ranks the other.
  const auto show = run_taskscout("registry show " + path("reg") + " drop32 --json");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  const std::string digest = nlohmann::json::parse(show.out)["artifacts"]["esm"]["digest"];
  const auto blob = dir / "reg" / "blobs" / digest.substr(0, 2) / (digest + ".safetensors");
  ASSERT_TRUE(std::filesystem::exists(blob));
  std::filesystem::permissions(blob, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  testing::write_text(blob, "corrupted");
  const auto after = run_taskscout("rank --registry " + path("reg") + " --target " + path("data.csv") + " --base " +
                                   model + " --json");
  ASSERT_EQ(after.exit_code, 0) << after.err;
  const auto k = nlohmann::json::parse(after.out);
  EXPECT_EQ(k["method"], "combined");  // the default for a target given as texts
  ASSERT_EQ(k["ranking"].size(), 1u);
  EXPECT_EQ(k["ranking"][0]["source"], "keep32");
  ASSERT_EQ(k["skipped"].size(), 1u);
  EXPECT_EQ(k["skipped"][0]["source"], "drop32");
  EXPECT_NE(k["skipped"][0]["reason"].get<std::string>().find(digest), std::string::npos) << k["skipped"];
}

// Every artifact rank reads from a registry is checked against its digest: a blob whose bytes
// changed after it was stored (one bit, still a readable file of finite numbers, so only the
// digest tells) skips its source in the method that reads it, and in no other.
TEST_F(Rank, SkipsASourceWhoseEsmMeanEmbeddingOrVocabularyBlobChanged) {
  const std::string model = "'" + bert_folder(dir).string() + "'";
  ASSERT_EQ(run_taskscout("registry init " + path("reg")).exit_code, 0);
  const std::vector<std::string> names = {"intact", "esm", "mean_embedding", "vocabulary"};
  for (std::size_t s = 0; s < names.size(); ++s) {
    // Texts of their own, so no two sources share a mean embedding or vocabulary blob.
    std::string data = "text,label\n";
    for (int i = 0; i < 24; ++i)
      data += std::string(i % 2 ? "a good happy film " : "a bad sad movie ") + std::string(s + 1, "xyzw"[s]) + " " +
              std::to_string(i) + "," + (i % 2 ? "pos" : "neg") + "\n";
    testing::write_text(dir / (names[s] + ".csv"), data);
    std::vector<float> scales(32, 1.0f);
    scales[s] = 0.5f;
    write_esm(dir / (names[s] + ".safetensors"), scales);
    const auto r =
        run_taskscout("register --registry " + path("reg") + " --base " + model + " --esm " +
                      path(names[s] + ".safetensors") + " --name " + names[s] + " --source " + path(names[s] + ".csv"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  for (std::size_t s = 1; s < names.size(); ++s) {
    const auto show = run_taskscout("registry show " + path("reg") + " " + names[s] + " --json");
    ASSERT_EQ(show.exit_code, 0) << show.err;
    const std::string digest = nlohmann::json::parse(show.out)["artifacts"][names[s]]["digest"];
    const auto blob = dir / "reg" / "blobs" / digest.substr(0, 2) / (digest + ".safetensors");
    std::filesystem::permissions(blob, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
    std::string bytes = testing::read_text(blob);
    bytes[bytes.size() - 8] ^= 1;  // the lowest mantissa bit of a float (or integer) near the end
    testing::write_text(blob, bytes);
  }
  const auto r = run_taskscout("rank --registry " + path("reg") + " --target " + path("intact.csv") + " --base " +
                               model + " --method all --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const auto& [method, artifact] : std::vector<std::pair<std::string, std::string>>{
           {"esm-logme", "esm"}, {"textemb", "mean_embedding"}, {"vocabulary", "vocabulary"}}) {
    const auto& m = j["methods"][method];
    ASSERT_EQ(m["ranking"].size(), 3u) << method << " " << m.dump();
    ASSERT_EQ(m["skipped"].size(), 1u) << method << " " << m.dump();
    EXPECT_EQ(m["skipped"][0]["source"], artifact);
    const std::string reason = m["skipped"][0]["reason"];
    EXPECT_NE(reason.find("its " + artifact + " blob"), std::string::npos) << reason;
    EXPECT_NE(reason.find("does not match its digest"), std::string::npos) << reason;
    EXPECT_NE(reason.find("registry verify"), std::string::npos) << reason;
  }
}

}  // namespace
}  // namespace taskscout
