// TaskEmb's Fisher diagonals against an independent python3-torch oracle
// (scripts/oracles/select/taskemb_oracle.py: one example at a time, unpadded, float64),
// their independence from batching and padding, the similarity and the artifact file.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/select/taskemb.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

using testing::fixtures_dir;

at::Tensor int_tensor(const nlohmann::json& rows) {
  std::vector<std::int64_t> flat;
  for (const auto& row : rows)
    for (const auto& v : row) flat.push_back(v.get<std::int64_t>());
  const auto b = static_cast<std::int64_t>(rows.size());
  return at::tensor(flat, at::kLong).view({b, static_cast<std::int64_t>(flat.size()) / b});
}

struct Fixture {
  TaskModel model;
  Batch batch;  // the BERT fixture's padded batch of 3 rows
  at::Tensor labels, expected;
};

// The BERT fixture with the oracle's head for `task` ("classification" or "regression").
Fixture load(const std::string& task) {
  const auto dir = fixtures_dir() / "model" / "bert";
  const Encoder encoder = load_encoder(dir);
  const SafetensorsFile oracle(fixtures_dir() / "select" / "taskemb.safetensors");
  Fixture f;
  f.model.config = encoder.config;
  f.model.encoder = encoder.parameters;
  f.model.head["classifier.weight"] = as_tensor(oracle.get(task + ".classifier.weight")).clone();
  f.model.head["classifier.bias"] = as_tensor(oracle.get(task + ".classifier.bias")).clone();
  if (task == "regression") {
    f.model.config.labels = {"LABEL_0"};
    f.model.config.problem_type = "regression";
  } else {
    f.model.config.labels = {"a", "b", "c"};
    f.model.config.problem_type = "single_label_classification";
  }
  const auto inputs = nlohmann::json::parse(testing::read_text(dir / "inputs.json"));
  f.batch = {int_tensor(inputs["input_ids"]), int_tensor(inputs["attention_mask"]),
             int_tensor(inputs["token_type_ids"])};
  f.labels = as_tensor(oracle.get(task + ".labels")).clone();
  f.expected = as_tensor(oracle.get(task + ".fisher")).clone();
  return f;
}

double max_relative_error(const at::Tensor& got, const at::Tensor& want) {
  return ((got - want).abs() / (want.abs() + 1e-8)).max().item<double>();
}

class TaskEmbOracle : public ::testing::TestWithParam<std::string> {};

TEST_P(TaskEmbOracle, MatchesTheOneExampleAtATimeOracle) {
  const Fixture f = load(GetParam());
  const at::Tensor got = batch_fisher(f.model, f.batch, f.labels) / 3.0;
  ASSERT_EQ(got.sizes(), f.expected.sizes());  // [L+1, D]: the embeddings' output and 2 layers
  ASSERT_GT(f.expected.min().item<double>(), 0.0);
  // float32 forward and backward against float64.
  EXPECT_LT(max_relative_error(got, f.expected), 1e-3) << got.slice(1, 0, 4) << f.expected.slice(1, 0, 4);
}

TEST_P(TaskEmbOracle, RowsAloneAndUnpaddedGiveTheSameSum) {
  const Fixture f = load(GetParam());
  const at::Tensor together = batch_fisher(f.model, f.batch, f.labels);
  at::Tensor alone = at::zeros_like(together);
  for (std::int64_t i = 0; i < 3; ++i) {
    const std::int64_t real = f.batch.attention_mask[i].sum().item<std::int64_t>();
    const Batch one{f.batch.input_ids.slice(0, i, i + 1).slice(1, 0, real),
                    f.batch.attention_mask.slice(0, i, i + 1).slice(1, 0, real),
                    f.batch.token_type_ids.slice(0, i, i + 1).slice(1, 0, real)};
    alone += batch_fisher(f.model, one, f.labels.slice(0, i, i + 1));
  }
  EXPECT_LT(max_relative_error(together, alone), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Heads, TaskEmbOracle, ::testing::Values("classification", "regression"));

TEST(TaskEmb, LeavesTheModelUnchanged) {
  const Fixture f = load("classification");
  const at::Tensor before = f.model.encoder.at("encoder.layer.0.attention.self.query.weight").clone();
  batch_fisher(f.model, f.batch, f.labels);
  const at::Tensor& after = f.model.encoder.at("encoder.layer.0.attention.self.query.weight");
  EXPECT_TRUE(at::equal(before, after));
  EXPECT_FALSE(after.requires_grad());
  EXPECT_FALSE(after.grad().defined());
}

TEST(TaskEmb, SimilarityIsTheMeanCosineOverLayers) {
  const at::Tensor a = at::tensor({1.0, 2.0, 3.0, 4.0, 0.5, 0.5}, at::kDouble).view({2, 3});
  const at::Tensor b = at::tensor({2.0, 1.0, 0.0, 4.0, 1.0, 0.0}, at::kDouble).view({2, 3});
  auto cosine = [](at::Tensor x, at::Tensor y) { return (x.dot(y) / (x.norm() * y.norm())).item<double>(); };
  EXPECT_NEAR(taskemb_similarity(a, b), (cosine(a[0], b[0]) + cosine(a[1], b[1])) / 2, 1e-15);
  EXPECT_NEAR(taskemb_similarity(a, b), taskemb_similarity(b, a), 1e-15);
  EXPECT_NEAR(taskemb_similarity(a, a * 7.0), 1.0, 1e-15);  // scale does not matter
  // A layer that is zero on one side is left out of the mean.
  at::Tensor c = b.clone();
  c[1].zero_();
  EXPECT_NEAR(taskemb_similarity(a, c), cosine(a[0], b[0]), 1e-15);
}

TEST(TaskEmb, SimilarityRefusesOtherShapesNonFiniteAndAllZero) {
  const at::Tensor a = at::ones({3, 4}, at::kDouble);
  EXPECT_THROW(taskemb_similarity(a, at::ones({2, 4}, at::kDouble), "s"), InputError);
  try {
    taskemb_similarity(a, at::ones({3, 5}, at::kDouble), "src.safetensors");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("src.safetensors: its task embedding is 3×5 but the target's is 3×4"),
              std::string::npos)
        << e.what();
  }
  at::Tensor nan = a.clone();
  nan[1][2] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(taskemb_similarity(a, nan), InputError);
  EXPECT_THROW(taskemb_similarity(a, at::zeros({3, 4}, at::kDouble)), InputError);
}

TEST(TaskEmb, ArtifactRoundTripsAndOtherFilesAreRefused) {
  testing::TempDir dir;
  const at::Tensor fisher = at::rand({3, 5}, at::kDouble);
  write_fisher_artifact(dir / "fisher.safetensors", fisher, std::string(64, 'a'), 12);
  const at::Tensor back = read_fisher_artifact(dir / "fisher.safetensors");
  EXPECT_TRUE(at::allclose(back, fisher.to(at::kFloat).to(at::kDouble), 0, 0));
  const SafetensorsFile file(dir / "fisher.safetensors");
  EXPECT_EQ(file.metadata().at("examples"), "12");
  EXPECT_EQ(file.metadata().at("base_fingerprint"), std::string(64, 'a'));

  write_safetensors(dir / "other.safetensors", {{"fisher", to_array(fisher.to(at::kFloat))}}, {});
  EXPECT_THROW(read_fisher_artifact(dir / "other.safetensors"), InputError);
}

}  // namespace
}  // namespace taskscout
