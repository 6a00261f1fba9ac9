// The MLM head against plain-torch reference values (tests/fixtures/pretrain/mlm_head.json,
// made by scripts/oracles/pretrain/mlm_head_reference.py): logits, loss and gradients,
// the tied decoder included; and loading it back from a folder.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/model/checkpoint.hpp"
#include "taskscout/model/mlm_head.hpp"
#include "taskscout/model/model_writer.hpp"
#include "test_support.hpp"

using namespace taskscout;
using nlohmann::json;

namespace {

const json& reference() {
  static const json j =
      json::parse(taskscout::testing::read_text(taskscout::testing::fixtures_dir() / "pretrain/mlm_head.json"));
  return j;
}

at::Tensor tensor(const json& values, std::vector<std::int64_t> shape) {
  return at::tensor(values.get<std::vector<double>>(), at::kDouble).to(at::kFloat).reshape(shape);
}

EncoderConfig config() {
  EncoderConfig c;
  c.model_type = "bert";
  c.hidden_size = reference()["hidden_size"].get<std::int64_t>();
  c.vocab_size = reference()["vocab_size"].get<std::int64_t>();
  c.num_layers = 1;
  c.num_heads = 2;
  c.intermediate_size = 16;
  c.max_position_embeddings = 8;
  c.type_vocab_size = 2;
  return c;
}

struct Maps {
  ParameterMap head, encoder;
};

Maps maps(bool grad) {
  const EncoderConfig c = config();
  Maps m;
  for (const ParameterSpec& spec : mlm_head_specs(c))
    m.head[spec.name] = tensor(reference()["parameters"][spec.name], spec.shape).requires_grad_(grad);
  m.encoder["embeddings.word_embeddings.weight"] =
      tensor(reference()["word_embeddings"], {c.vocab_size, c.hidden_size}).requires_grad_(grad);
  return m;
}

void expect_close(const at::Tensor& got, const json& expected, double tolerance, const std::string& what) {
  const auto e = expected.get<std::vector<double>>();
  const at::Tensor g = got.detach().to(at::kDouble).contiguous().reshape({-1});
  ASSERT_EQ(g.numel(), static_cast<std::int64_t>(e.size())) << what;
  double worst = 0;
  for (std::size_t i = 0; i < e.size(); ++i) worst = std::max(worst, std::abs(g[i].item<double>() - e[i]));
  EXPECT_LE(worst, tolerance) << what;
}

}  // namespace

TEST(MlmHead, LogitsLossAndGradientsMatchTheReference) {
  const EncoderConfig c = config();
  Maps m = maps(true);
  const auto shape = reference()["shape"].get<std::vector<std::int64_t>>();
  const at::Tensor hidden = tensor(reference()["hidden"], {shape[0], shape[1], c.hidden_size});
  const at::Tensor labels =
      at::tensor(reference()["labels"].get<std::vector<std::int64_t>>(), at::kLong).reshape({shape[0], shape[1]});
  const at::Tensor logits = mlm_logits(c, m.head, m.encoder, hidden);
  EXPECT_EQ(logits.sizes().vec(), (std::vector<std::int64_t>{shape[0], shape[1], c.vocab_size}));
  expect_close(logits, reference()["logits"], 2e-5, "logits");
  const at::Tensor loss = masked_lm_loss(logits, labels);
  EXPECT_NEAR(loss.item<double>(), reference()["loss"].get<double>(), 1e-5);
  loss.backward();
  const json& grad = reference()["grad"];
  expect_close(m.head["cls.predictions.transform.dense.weight"].grad(), grad["cls.predictions.transform.dense.weight"],
               1e-5, "dense weight gradient");
  expect_close(m.head["cls.predictions.bias"].grad(), grad["cls.predictions.bias"], 1e-6, "bias gradient");
  // The decoder is the word embeddings: their gradient is the decoder's.
  expect_close(m.encoder["embeddings.word_embeddings.weight"].grad(), grad["embeddings.word_embeddings.weight"], 1e-5,
               "tied embedding gradient");
}

TEST(MlmHead, LossIgnoresUnlabelledPositions) {
  const at::Tensor logits = at::randn({4, 5});
  const at::Tensor labels = at::tensor(std::vector<std::int64_t>{2, -100, -100, 4});
  const at::Tensor picked = at::stack({logits[0], logits[3]});
  const double expected =
      -0.5 * (at::log_softmax(picked, -1)[0][2].item<double>() + at::log_softmax(picked, -1)[1][4].item<double>());
  EXPECT_NEAR(masked_lm_loss(logits, labels).item<double>(), expected, 1e-6);
}

TEST(MlmHead, SavedUnderHuggingFaceNamesAndLoadedBack) {
  const EncoderConfig c = config();
  const Maps m = maps(false);
  taskscout::testing::TempDir dir;
  std::vector<std::pair<std::string, at::Tensor>> tensors(m.head.begin(), m.head.end());
  write_tensors(dir / "model.safetensors", tensors);
  const ParameterMap loaded = load_mlm_head(Checkpoint::open(dir.path()), c);
  ASSERT_EQ(loaded.size(), 5u);
  for (const auto& [name, t] : m.head) EXPECT_TRUE(at::equal(loaded.at(name), t)) << name;

  tensors.pop_back();  // drop one ("cls.predictions.transform.dense.weight" sorts last)
  write_tensors(dir / "model.safetensors", tensors);
  try {
    load_mlm_head(Checkpoint::open(dir.path()), c);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cls.predictions.transform.dense.weight"), std::string::npos) << e.what();
  }
}

TEST(MlmHead, WrongShapesAndArchitecturesAreErrors) {
  EncoderConfig c = config();
  Maps m = maps(false);
  m.head["cls.predictions.bias"] = at::zeros({c.vocab_size + 1});
  EXPECT_THROW(mlm_logits(c, m.head, m.encoder, at::zeros({1, c.hidden_size})), InputError);
  c.architecture = Architecture::Roberta;
  c.model_type = "roberta";
  EXPECT_THROW(mlm_head_specs(c), UsageError);
}
