// The expected parameter Fisher (select/parameter_fisher.hpp), checked against central
// finite differences of log p(y|x) in float64: F_θ = mean_x Σ_y p(y|x)·(∂ log p(y|x)/∂θ)².
#include <gtest/gtest.h>

#include "../train/tiny_model.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/model/head.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/select/parameter_fisher.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;

TEST(ParameterFisher, MatchesFiniteDifferences) {
  testing::TempDir dir;
  const fs::path base = testing::write_tiny_base(dir / "base");
  testing::write_text(dir / "data.csv", testing::tiny_task_csv(3, 5));
  const Dataset data = load_dataset(dir / "data.csv", {});
  Encoder e = load_encoder(base);
  TaskModel m;
  m.config = e.config;
  m.config.labels = {"neg", "pos", "other"};
  m.config.problem_type = "single_label_classification";
  m.base_folder = base;
  for (const auto& [name, t] : e.parameters) m.encoder[name] = t.to(at::kDouble);
  m.head = init_head(m.config, 3, 4, m.encoder);
  for (auto& [name, t] : m.head) t = at::normal(0.0, 1.0, t.sizes()).to(at::kDouble);  // confident, unequal classes
  text::Tokenizer tokenizer = text::Tokenizer::from_folder(base);
  ParameterFisherOptions o;
  o.max_examples = 3;
  // float64 throughout, so the finite differences are accurate.
  const ParameterMap fisher = parameter_fisher(m, tokenizer, data, o);
  const TokenizedTexts texts = tokenize_texts(tokenizer, data.texts, {}, 128, "data");
  for (const auto& [name, index] : std::vector<std::pair<std::string, std::int64_t>>{
           {"pooler.dense.bias", 3}, {"encoder.layer.1.output.dense.weight", 17}, {"embeddings.LayerNorm.weight", 2}}) {
    double expected = 0;
    for (std::size_t row = 0; row < data.size(); ++row) {
      const std::size_t rows[] = {row};
      const Batch b = make_batch(texts, rows, 0);
      auto log_p = [&](double shift) {
        TaskModel moved = m;
        moved.encoder[name] = m.encoder.at(name).clone();
        moved.encoder[name].view({-1})[index] += shift;
        return task_logits(moved, b.input_ids, b.attention_mask, b.token_type_ids)[0].log_softmax(0);
      };
      const double h = 1e-5;
      const at::Tensor derivative = (log_p(h) - log_p(-h)) / (2 * h);
      expected += (log_p(0).exp() * derivative.square()).sum().item<double>();
    }
    expected /= static_cast<double>(data.size());
    const double got = fisher.at(name).view({-1})[index].item<double>();
    EXPECT_NEAR(got, expected, 1e-4 * expected + 1e-9) << name;
    EXPECT_GT(expected, 0) << name;
  }
  EXPECT_EQ(fisher.size(), m.encoder.size());
  m.method = FineTuneMethod::Lora;
  EXPECT_THROW(parameter_fisher(m, tokenizer, data, o), UsageError);
}

}  // namespace
}  // namespace taskscout
