// The committed default base encoder (models/base-encoder, written by
// scripts/make_base_encoder.sh with EXPORT=): small float16 weights that `embed` and
// `train` read as float32.
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

fs::path base_encoder() { return testing::fixtures_dir() / ".." / ".." / "models" / "base-encoder"; }
std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

TEST(BaseEncoder, CommittedWeightsAreFloat16AndSmall) {
  const fs::path weights = base_encoder() / "model.safetensors";
  ASSERT_TRUE(fs::exists(weights)) << weights;
  EXPECT_LE(fs::file_size(weights), 16u << 20);
  const SafetensorsFile file(weights);
  ASSERT_FALSE(file.names().empty());
  for (const std::string& name : file.names()) EXPECT_EQ(file.get(name).dtype(), DType::F16) << name;
  for (const char* f : {"config.json", "tokenizer.json", "vocab.txt", "log.jsonl"})
    EXPECT_TRUE(fs::exists(base_encoder() / f)) << f;
}

TEST(BaseEncoder, EmbedReadsItAsFloat32Features) {
  TempDir tmp;
  testing::write_text(tmp / "data.csv",
                      "text\n\"a wonderful, moving film\"\n\"What is the capital of France?\"\n\"a dull mess\"\n");
  const auto r = run_taskscout("embed --model " + q(base_encoder()) + " --data " + q(tmp / "data.csv") + " --out " +
                               q(tmp / "out.safetensors") + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Array a = SafetensorsFile(tmp / "out.safetensors").get("embeddings");
  EXPECT_EQ(a.dtype(), DType::F32);
  ASSERT_EQ(a.shape(), (std::vector<std::int64_t>{3, 128}));
  const auto v = a.values<float>();
  for (float x : v) ASSERT_TRUE(std::isfinite(x));
  double diff = 0;  // different texts, different features
  for (std::size_t j = 0; j < 128; ++j) diff += std::abs(v[j] - v[128 + j]);
  EXPECT_GT(diff, 1e-3);
}

TEST(BaseEncoder, TrainAndEvaluateUseIt) {
  TempDir tmp;
  std::string csv = "text,label\n";
  for (int i = 0; i < 8; ++i) csv += i % 2 ? "\"a dull, tedious mess\",neg\n" : "\"a wonderful and moving film\",pos\n";
  testing::write_text(tmp / "train.csv", csv);
  const auto t = run_taskscout("train --model " + q(base_encoder()) + " --train " + q(tmp / "train.csv") + " --dev " +
                               q(tmp / "train.csv") + " --method lora --epochs 3 --learning-rate 1e-2 --threads 1" +
                               " --out " + q(tmp / "lora"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto e =
      run_taskscout("evaluate --model " + q(tmp / "lora") + " --data " + q(tmp / "train.csv") + " --threads 1 --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto j = nlohmann::json::parse(e.out);
  EXPECT_EQ(j.at("n").get<int>(), 8);
  EXPECT_EQ(j.at("accuracy").get<double>(), 1.0);  // two distinct texts, learnt
}

}  // namespace
}  // namespace taskscout
