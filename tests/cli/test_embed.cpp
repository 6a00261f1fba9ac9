// End-to-end tests of `taskscout embed` on the project's small BERT and DistilBERT
// checkpoints (tests/fixtures/model) with a vocab.txt made here.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "taskscout/io/safetensors.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::run_taskscout;
using testing::TempDir;

class Embed : public ::testing::Test {
 protected:
  fs::path model(const std::string& fixture) {
    const fs::path dir = tmp / fixture;
    testing::write_fixture_model(dir, fixture);
    return dir;
  }
  std::string q(const fs::path& p) const { return "'" + p.string() + "'"; }
  std::vector<float> rows(const fs::path& file) const {
    const Array a = SafetensorsFile(file).get("embeddings");
    auto v = a.values<float>();
    return {v.begin(), v.end()};
  }
  TempDir tmp;
};

TEST_F(Embed, RowsKeepInputOrderAndMatchEmbeddingEachTextAlone) {
  const fs::path bert = model("bert");
  const std::vector<std::string> texts = {"the movie was very good !", "bad", "",
                                          "a film , not a movie . the film was bad ?", "good good"};
  std::string csv = "label,text\n";
  for (const auto& t : texts) csv += "x,\"" + t + "\"\n";
  testing::write_text(tmp / "data.csv", csv);
  auto r = run_taskscout("embed --model " + q(bert) + " --data " + q(tmp / "data.csv") + " --pooling mean --out " +
                         q(tmp / "out.safetensors") + " --batch-size 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["n"], 5);
  EXPECT_EQ(j["d"], 32);
  EXPECT_EQ(j["truncated"], 0);
  const std::vector<float> batched = rows(tmp / "out.safetensors");
  ASSERT_EQ(batched.size(), 5u * 32);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    testing::write_text(tmp / "one.csv", "text\n\"" + texts[i] + "\"\n");
    auto one = run_taskscout("embed --model " + q(bert) + " --data " + q(tmp / "one.csv") + " --pooling mean --out " +
                             q(tmp / "one.safetensors"));
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const std::vector<float> alone = rows(tmp / "one.safetensors");
    for (int k = 0; k < 32; ++k) EXPECT_NEAR(batched[i * 32 + k], alone[k], 1e-5) << "text " << i;
  }
  // Different texts give different embeddings (the rows are not all one vector).
  EXPECT_GT(std::abs(batched[0] - batched[32]) + std::abs(batched[1] - batched[33]), 1e-4);
}

TEST_F(Embed, NeverOverwritesItsModelOrAFileTaskscoutDidNotWrite) {
  const fs::path bert = model("bert");
  testing::write_text(tmp / "data.csv", "text\ngood\nbad\n");
  const std::string weights = testing::read_text(bert / "model.safetensors");
  auto embed = [&](const fs::path& out, const std::string& extra = "") {
    return run_taskscout("embed --model " + q(bert) + " --data " + q(tmp / "data.csv") + " --out " + q(out) + extra);
  };
  auto one_line = [](const testing::CommandResult& r, const std::string& needle) {
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  };
  // The probe's case: --out into the model's own weights. Refused even with --force.
  one_line(embed(bert / "model.safetensors"), "an input of this command");
  one_line(embed(bert / "model.safetensors", " --force"), "an input of this command");
  EXPECT_EQ(testing::read_text(bert / "model.safetensors"), weights);
  // A file taskscout did not write: refused unless --force.
  testing::write_text(tmp / "notes.safetensors", "my notes");
  one_line(embed(tmp / "notes.safetensors"), "--force");
  EXPECT_EQ(testing::read_text(tmp / "notes.safetensors"), "my notes");
  EXPECT_EQ(embed(tmp / "notes.safetensors", " --force").exit_code, 0);
  EXPECT_EQ(rows(tmp / "notes.safetensors").size(), 2u * 32);
  // Its own earlier output is replaced as before (.safetensors by its mark, .npy as an array).
  EXPECT_EQ(embed(tmp / "notes.safetensors").exit_code, 0);
  EXPECT_EQ(embed(tmp / "out.npy").exit_code, 0);
  EXPECT_EQ(embed(tmp / "out.npy").exit_code, 0);
  testing::write_text(tmp / "text.npy", "not an array");
  one_line(embed(tmp / "text.npy"), "not an .npy array");
}

TEST_F(Embed, SymlinkLoopsAndBrokenJsonAreOneCleanErrorLine) {
  testing::write_text(tmp / "data.csv", "text\ngood\n");
  auto one_line = [&](const fs::path& model, const std::string& needle) {
    const auto r =
        run_taskscout("embed --model " + q(model) + " --data " + q(tmp / "data.csv") + " --out " + q(tmp / "out.npy"));
    EXPECT_EQ(r.exit_code, 1) << r.err;  // not an internal error (3)
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.find("internal"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("[json.exception"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  };
  fs::create_symlink("loop-b", tmp / "loop-a");
  fs::create_symlink("loop-a", tmp / "loop-b");
  one_line(tmp / "loop-a", "points back at itself");
  const fs::path looped = model("bert");
  fs::remove(looped / "vocab.txt");
  fs::create_symlink("v2", looped / "vocab.txt");
  fs::create_symlink("vocab.txt", looped / "v2");
  one_line(looped, "vocab.txt");
  const fs::path broken = model("distilbert");
  testing::write_text(broken / "config.json", "{\"hidden_size\": 32,");
  one_line(broken, "config.json: not valid JSON: parse error at line 1, column 20");
  const fs::path bad_tokenizer = tmp / "bad-tokenizer";
  fs::create_directories(bad_tokenizer);
  for (const char* f : {"config.json", "model.safetensors"})
    fs::copy_file(testing::fixtures_dir() / "model" / "bert" / f, bad_tokenizer / f);
  testing::write_text(bad_tokenizer / "tokenizer.json", "{\"model\": ");
  one_line(bad_tokenizer, "tokenizer.json: not valid JSON (parse error at line 1");
}

TEST_F(Embed, TruncationIsReportedAndPoolerNeedsAPooler) {
  const fs::path bert = model("bert");
  testing::write_text(tmp / "d.csv", "text\nthe movie was very very very good\nbad\n");
  auto r = run_taskscout("embed --model " + q(bert) + " --data " + q(tmp / "d.csv") +
                         " --max-length 5 --pooling pooler --out " + q(tmp / "o.npy") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["truncated"], 1);
  EXPECT_NE(r.err.find("1 of 2 texts were longer than 5 tokens"), std::string::npos) << r.err;

  const fs::path distil = model("distilbert");
  auto e = run_taskscout("embed --model " + q(distil) + " --data " + q(tmp / "d.csv") + " --pooling pooler --out " +
                         q(tmp / "p.npy"));
  EXPECT_NE(e.exit_code, 0);
  EXPECT_NE(e.err.find("no pooler"), std::string::npos) << e.err;
  EXPECT_FALSE(fs::exists(tmp / "p.npy"));
  auto ok = run_taskscout("embed --model " + q(distil) + " --data " + q(tmp / "d.csv") + " --out " + q(tmp / "p.npy"));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_F(Embed, BadModelFoldersAndLimitsAreOneErrorLine) {
  const fs::path bert = model("bert");
  testing::write_text(tmp / "d.csv", "text\nhello\n");
  std::string config = testing::read_text(bert / "config.json");
  config.replace(config.find("\"bert\""), 6, "\"gpt2\"");
  testing::write_text(bert / "config.json", config);
  for (const auto& [args, needle] : std::vector<std::pair<std::string, std::string>>{
           {"--model " + q(bert), "gpt2"},
           {"--model " + q(tmp / "nowhere"), "nowhere"},
           {"--model " + q(model("distilbert")) + " --max-length 100", "exceeds"}}) {
    auto r = run_taskscout("embed " + args + " --data " + q(tmp / "d.csv") + " --out " + q(tmp / "x.npy"));
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(tmp / "x.npy"));
  }
}

}  // namespace
}  // namespace taskscout
