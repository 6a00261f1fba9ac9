// ScaLearn over LoRAs (its four variants): logits, loss and gradients w.r.t. ω and the head
// against the independent python3-torch oracle (scripts/oracles/compose/lora_composition_oracle.py:
// K = 3 LoRAs of ranks 2, 4, 3 with different alphas and target modules), the properties that
// tie a composition to its single LoRA and to the base, the initialisation, the weights shown
// per module, and the composed folder's layout round-tripping.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "../train/tiny_model.hpp"
#include "composition_testing.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/composition_files.hpp"
#include "taskscout/model/encoder.hpp"
#include "taskscout/model/head.hpp"
#include "taskscout/model/lora.hpp"
#include "taskscout/model/lora_composition.hpp"
#include "taskscout/model/model_folder.hpp"

using namespace taskscout;
using taskscout::testing::expect_oracle_close;
using taskscout::testing::fixtures_dir;
using taskscout::testing::TempDir;

namespace {

LoraConfig lora_config(std::int64_t rank, double alpha, std::vector<std::string> targets) {
  LoraConfig c;
  c.rank = rank;
  c.alpha = alpha;
  c.target_modules = std::move(targets);
  return c;
}

// The oracle's three LoRAs.
LoraComposition oracle_composition(CompositionMethod method) {
  return {method,
          {"alpha", "beta", "gamma"},
          {lora_config(2, 4, {"query", "value"}), lora_config(4, 16, {"value", "key", "attention.output.dense"}),
           lora_config(3, 6, {"query", "intermediate.dense"})}};
}

class LoraCompositionOracle : public ::testing::TestWithParam<std::string> {};

double max_error(const at::Tensor& got, const at::Tensor& want) {
  return (got.to(at::kDouble) - want.to(at::kDouble)).abs().max().item<double>();
}

}  // namespace

TEST_P(LoraCompositionOracle, LogitsLossAndGradientsMatch) {
  const std::string method = GetParam();
  const auto dir = fixtures_dir() / "model" / "bert";
  const Encoder encoder = load_encoder(dir);
  const SafetensorsFile oracle(fixtures_dir() / "compose" / "lora_composition.safetensors");
  const std::string prefix = method + "/";

  auto [p, head, trained] = taskscout::testing::oracle_case_tensors(oracle, method, ".lora_", encoder.parameters);
  const LoraComposition composition = oracle_composition(parse_composition_method(method));
  ASSERT_EQ(lora_composition_specs(encoder.config, composition).size() + 4, trained.size());
  EncodeOptions options;
  options.lora_composition = std::make_shared<const LoraComposition>(composition);
  const taskscout::testing::OracleBatch batch = taskscout::testing::oracle_batch(dir);
  const at::Tensor hidden =
      encode(encoder.config, p, batch.input_ids, batch.attention_mask, batch.token_type_ids, options).last_hidden_state;
  const at::Tensor logits = classification_logits(encoder.config, p, head, hidden, HeadStyle::Flex);
  const at::Tensor want = as_tensor(oracle.get(prefix + "logits"));
  expect_oracle_close(logits, want, "logits");
  const at::Tensor loss = at::cross_entropy_loss(logits, at::tensor({2, 0, 1}, at::kLong));
  expect_oracle_close(loss.reshape({1}), as_tensor(oracle.get(prefix + "loss")), "loss");
  loss.backward();
  double omega_error = 0, head_error = 0;
  for (const auto& [name, t] : trained) {
    const at::Tensor g = as_tensor(oracle.get(prefix + "grad/" + name));
    expect_oracle_close(t.grad(), g, name);
    double& error = name.rfind("classifier.", 0) == 0 ? head_error : omega_error;
    error = std::max(error, max_error(t.grad(), g));
  }
  std::cerr << method << ": max |error| logits " << max_error(logits, want) << ", grad ω " << omega_error
            << ", grad head " << head_error << "\n";
}

INSTANTIATE_TEST_SUITE_P(Variants, LoraCompositionOracle,
                         ::testing::Values("scalearn", "scalearn-uniform", "scalearn++", "scalearn-uniform++"),
                         [](const auto& info) { return taskscout::testing::case_test_name(info.param); });

namespace {

using taskscout::testing::tiny_ids;
using taskscout::testing::tiny_mask;

// The tiny base with LoRA `name` of `config` (random B, so it changes the outputs) under
// the composed names, and with `bare` also under the single LoRA's own names.
ParameterMap with_lora(ParameterMap p, const EncoderConfig& c, const LoraConfig& config, const std::string& name,
                       std::uint64_t seed, bool bare = false) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (const auto& [tensor, t] : init_lora(c, config, seed)) {
    const at::Tensor v = at::normal(0.0, 0.3, t.sizes(), generator);
    const std::size_t at = tensor.rfind(".lora_");
    p[composed_lora_name(tensor.substr(0, at), name, tensor[at + 6])] = v;
    if (bare) p[tensor] = v;
  }
  return p;
}

at::Tensor run(const EncoderConfig& c, const ParameterMap& p, const EncodeOptions& o) {
  return encode(c, p, tiny_ids(), tiny_mask(), {}, o).last_hidden_state;
}

EncodeOptions composed(const LoraComposition& composition) {
  EncodeOptions o;
  o.lora_composition = std::make_shared<const LoraComposition>(composition);
  return o;
}

}  // namespace

TEST(LoraComposition, OneSourceWithUnitWeightsIsThatLora) {
  const EncoderConfig c = taskscout::testing::tiny_config();
  const LoraConfig config = lora_config(4, 8, {"query", "value", "output.dense"});
  for (CompositionMethod m : {CompositionMethod::ScaLearn, CompositionMethod::ScaLearnUniform,
                              CompositionMethod::ScaLearnPlusPlus, CompositionMethod::ScaLearnUniformPlusPlus}) {
    ParameterMap p = with_lora(taskscout::testing::tiny_parameters(c, 3), c, config, "solo", 1, true);
    const LoraComposition composition{m, {"solo"}, {config}};
    for (auto& [name, t] : init_lora_composition(c, composition, 1)) p[name] = at::ones_like(t);
    EncodeOptions single;
    single.lora_scaling = config.scaling();
    const at::Tensor alone = run(c, p, single);
    EXPECT_TRUE(at::allclose(run(c, p, composed(composition)), alone, 1e-6, 1e-6)) << composition_method_name(m);
    EXPECT_FALSE(at::allclose(alone, run(c, p, {}), 1e-3, 1e-3));  // the LoRA does change the outputs
  }
}

TEST(LoraComposition, ZeroWeightsAreTheBase) {
  const EncoderConfig c = taskscout::testing::tiny_config();
  const LoraComposition composition{CompositionMethod::ScaLearn,
                                    {"a", "b"},
                                    {lora_config(2, 4, {"query", "value"}), lora_config(4, 4, {"key", "dense"})}};
  ParameterMap p = taskscout::testing::tiny_parameters(c, 3);
  p = with_lora(with_lora(p, c, composition.configs[0], "a", 1), c, composition.configs[1], "b", 2);
  for (auto& [name, t] : init_lora_composition(c, composition, 1)) p[name] = at::zeros_like(t);
  EXPECT_TRUE(at::allclose(run(c, p, composed(composition)), run(c, p, {}), 1e-6, 1e-6));
}

TEST(LoraComposition, InitialisationAndSharing) {
  const EncoderConfig c = taskscout::testing::tiny_config();
  const LoraComposition per_module = oracle_composition(CompositionMethod::ScaLearn);
  const ParameterMap w = init_lora_composition(c, per_module, 7);
  // query, key, value, attention.output.dense and intermediate.dense in each of 2 layers.
  ASSERT_EQ(w.size(), 2u * 5);
  const at::Tensor omega = w.at("encoder.layer.1.intermediate.dense.scalearn.omega");
  EXPECT_EQ(omega.sizes(), (at::IntArrayRef{3, c.intermediate_size}));
  const at::Tensor all =
      at::cat({w.at("encoder.layer.0.attention.self.query.scalearn.omega").flatten(), omega.flatten(),
               w.at("encoder.layer.1.attention.self.key.scalearn.omega").flatten()});
  EXPECT_NEAR(all.mean().item<double>(), 1.0 / 3, 3e-4);
  EXPECT_NEAR(all.std().item<double>(), 0.001, 3e-4);

  const ParameterMap u = init_lora_composition(c, oracle_composition(CompositionMethod::ScaLearnUniformPlusPlus), 7);
  ASSERT_EQ(u.size(), 5u);  // one per module kind, shared by the layers
  EXPECT_EQ(u.at("scalearn.attention.output.dense.omega").sizes(), (at::IntArrayRef{3}));

  EXPECT_THROW(init_lora_composition(c, oracle_composition(CompositionMethod::Fusion), 1), UsageError);
  EXPECT_THROW(init_lora_composition(c, {CompositionMethod::ScaLearn, {}, {}}, 1), UsageError);
  EXPECT_THROW(init_lora_composition(c, {CompositionMethod::ScaLearn, {"a", "a"}, {{}, {}}}, 1), UsageError);
  EXPECT_THROW(init_lora_composition(c, {CompositionMethod::ScaLearn, {"a.b"}, {{}}}, 1), UsageError);
}

TEST(LoraComposition, WeightsPerModuleAndKind) {
  const EncoderConfig c = taskscout::testing::tiny_config();
  const LoraComposition uniform = oracle_composition(CompositionMethod::ScaLearnUniform);
  const ParameterMap w = init_lora_composition(c, uniform, 3);
  const auto sites = lora_composition_weights(c, w, uniform);
  ASSERT_EQ(sites.size(), 10u);
  EXPECT_EQ(sites[0].first, "encoder.layer.0.attention.self.query");
  EXPECT_DOUBLE_EQ(sites[0].second[0], w.at("encoder.layer.0.attention.self.query.scalearn.omega")[0].item<double>());
  EXPECT_TRUE(std::isnan(sites[0].second[1]));  // beta has no LoRA on the query
  const LoraComposition pp = oracle_composition(CompositionMethod::ScaLearnPlusPlus);
  const auto kinds = lora_composition_weights(c, init_lora_composition(c, pp, 3), pp);
  ASSERT_EQ(kinds.size(), 5u);
  EXPECT_EQ(kinds[4].first, "all layers, intermediate.dense");
}

TEST(LoraCompositionFiles, RoundTripInPeftsLayout) {
  TempDir tmp;
  const EncoderConfig c = taskscout::testing::tiny_config();
  LoraCompositionFiles f;
  f.composition = oracle_composition(CompositionMethod::ScaLearnPlusPlus);
  f.base_model = "/models/base";
  for (std::size_t k = 0; k < 3; ++k) {
    for (const auto& [name, t] : with_lora({}, c, f.composition.configs[k], f.composition.loras[k], k + 1))
      f.loras[name] = t;
    f.sources.push_back({f.composition.loras[k], "source-" + f.composition.loras[k], std::string(64, 'b'), {}, {}});
  }
  f.weights = init_lora_composition(c, f.composition, 5);
  f.head = {init_head(c, 2, 6, {}, HeadStyle::Flex), {"neg", "pos"}};
  const auto folder = tmp.path() / "composed";
  std::filesystem::create_directories(folder);
  write_lora_composition_files(folder, c, f);
  ASSERT_TRUE(is_lora_composition_folder(folder));
  EXPECT_TRUE(is_lora_folder(folder / "loras" / "beta"));  // each source stays a PEFT LoRA folder

  const LoraCompositionFiles back = read_lora_composition_files(folder, c);
  EXPECT_EQ(back.composition.method, CompositionMethod::ScaLearnPlusPlus);
  EXPECT_EQ(back.composition.loras, f.composition.loras);
  EXPECT_EQ(back.composition.configs[1].rank, 4);
  EXPECT_EQ(back.composition.configs[2].alpha, 6);
  EXPECT_EQ(back.sources[2].source, "source-gamma");
  EXPECT_EQ(back.head.labels, (std::vector<std::string>{"neg", "pos"}));
  ASSERT_EQ(back.loras.size(), f.loras.size());
  for (const auto& [name, t] : f.loras) EXPECT_TRUE(at::equal(back.loras.at(name), t)) << name;
  for (const auto& [name, t] : f.weights) EXPECT_TRUE(at::equal(back.weights.at(name), t)) << name;
  try {
    read_composition_files(folder, c);
    FAIL() << "a LoRA composition was read as an adapter composition";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("composes LoRAs, not adapters"), std::string::npos) << e.what();
  }

  std::filesystem::remove_all(folder / "loras" / "gamma");
  try {
    read_lora_composition_files(folder, c);
    FAIL() << "a missing LoRA folder was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("loras/gamma"), std::string::npos) << e.what();
  }
}
