// Adapter compositions (ScaLearn's four variants, AdapterFusion): logits, loss and gradients
// against the independent python3-torch oracle (scripts/oracles/compose/composition_oracle.py),
// the properties that tie them to a single adapter and to the base, their initialisation,
// and the composed folder's layout round-tripping.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../train/tiny_model.hpp"
#include "composition_testing.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/adapter_composition.hpp"
#include "taskscout/model/composition_files.hpp"
#include "taskscout/model/encoder.hpp"
#include "taskscout/model/head.hpp"
#include "taskscout/model/model_folder.hpp"

using namespace taskscout;
using taskscout::testing::expect_oracle_close;
using taskscout::testing::fixtures_dir;
using taskscout::testing::TempDir;

namespace {

struct OracleCase {
  const char* name;
  CompositionMethod method;
  AdapterPlacement placement;
};

std::ostream& operator<<(std::ostream& os, const OracleCase& c) { return os << c.name; }

class CompositionOracle : public ::testing::TestWithParam<OracleCase> {};

}  // namespace

TEST_P(CompositionOracle, LogitsLossAndGradientsMatch) {
  const OracleCase& c = GetParam();
  const auto dir = fixtures_dir() / "model" / "bert";
  const Encoder encoder = load_encoder(dir);
  const SafetensorsFile oracle(fixtures_dir() / "compose" / "composition.safetensors");
  const taskscout::testing::OracleBatch batch = taskscout::testing::oracle_batch(dir);
  const std::string prefix = std::string(c.name) + "/";

  auto [p, head, trained] = taskscout::testing::oracle_case_tensors(oracle, c.name, ".adapters.", encoder.parameters);
  AdapterComposition composition{c.method, {"alpha", "beta", "gamma"}, {}};
  AdapterConfig adapter;
  adapter.placement = c.placement;
  EncodeOptions options;
  options.adapter = adapter.encode_options();
  options.adapter.composition = std::make_shared<const AdapterComposition>(composition);
  ASSERT_EQ(composition_specs(encoder.config, composition, c.placement).size() + 4, trained.size());

  const at::Tensor hidden =
      encode(encoder.config, p, batch.input_ids, batch.attention_mask, batch.token_type_ids, options).last_hidden_state;
  const at::Tensor logits = classification_logits(encoder.config, p, head, hidden, HeadStyle::Flex);
  expect_oracle_close(logits, as_tensor(oracle.get(prefix + "logits")), "logits");
  const at::Tensor loss = at::cross_entropy_loss(logits, at::tensor({2, 0, 1}, at::kLong)) +
                          composition_regularization(p, encoder.config, composition, c.placement);
  expect_oracle_close(loss.reshape({1}), as_tensor(oracle.get(prefix + "loss")), "loss");
  loss.backward();
  for (const auto& [name, t] : trained)
    expect_oracle_close(t.grad(), as_tensor(oracle.get(prefix + "grad/" + name)), name);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CompositionOracle,
    ::testing::Values(OracleCase{"scalearn", CompositionMethod::ScaLearn, AdapterPlacement::Pfeiffer},
                      OracleCase{"scalearn-uniform", CompositionMethod::ScaLearnUniform, AdapterPlacement::Pfeiffer},
                      OracleCase{"scalearn++", CompositionMethod::ScaLearnPlusPlus, AdapterPlacement::Pfeiffer},
                      OracleCase{"scalearn-uniform++-houlsby", CompositionMethod::ScaLearnUniformPlusPlus,
                                 AdapterPlacement::Houlsby},
                      OracleCase{"fusion", CompositionMethod::Fusion, AdapterPlacement::Pfeiffer},
                      OracleCase{"fusion-houlsby", CompositionMethod::Fusion, AdapterPlacement::Houlsby}),
    [](const auto& info) { return taskscout::testing::case_test_name(info.param.name); });

namespace {

using taskscout::testing::tiny_ids;
using taskscout::testing::tiny_mask;

// The tiny base with adapter "solo" (random up-projections, so it changes the outputs).
ParameterMap base_with_adapter(const EncoderConfig& c, AdapterPlacement placement, const std::string& name) {
  ParameterMap p = taskscout::testing::tiny_parameters(c, 3);
  AdapterConfig a;
  a.placement = placement;
  a.reduction_factor = 2;
  a.name = name;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(5);
  for (auto [tensor, t] : init_adapter(c, a, 1)) p[tensor] = at::normal(0.0, 0.3, t.sizes(), generator);
  return p;
}

at::Tensor run(const EncoderConfig& c, const ParameterMap& p, const BottleneckOptions& adapter) {
  EncodeOptions o;
  o.adapter = adapter;
  return encode(c, p, tiny_ids(), tiny_mask(), {}, o).last_hidden_state;
}

BottleneckOptions composed(AdapterPlacement placement, const AdapterComposition& composition) {
  AdapterConfig a;
  a.placement = placement;
  BottleneckOptions o = a.encode_options();
  o.name.clear();
  o.composition = std::make_shared<const AdapterComposition>(composition);
  return o;
}

}  // namespace

TEST(AdapterComposition, OneSourceWithUnitWeightsIsThatAdapter) {
  const EncoderConfig c = taskscout::testing::tiny_config();
  for (AdapterPlacement placement : {AdapterPlacement::Pfeiffer, AdapterPlacement::Houlsby})
    for (CompositionMethod m : {CompositionMethod::ScaLearn, CompositionMethod::ScaLearnUniform,
                                CompositionMethod::ScaLearnPlusPlus, CompositionMethod::ScaLearnUniformPlusPlus}) {
      ParameterMap p = base_with_adapter(c, placement, "solo");
      const AdapterComposition composition{m, {"solo"}, {}};
      for (auto& [name, t] : init_composition(c, composition, placement, 1)) p[name] = at::ones_like(t);
      AdapterConfig single;
      single.placement = placement;
      single.name = "solo";
      const at::Tensor alone = run(c, p, single.encode_options());
      EXPECT_TRUE(at::allclose(run(c, p, composed(placement, composition)), alone, 1e-6, 1e-6))
          << composition_method_name(m);
      EXPECT_FALSE(at::allclose(alone, run(c, p, {}), 1e-3, 1e-3));  // the adapter does change the outputs
    }
}

TEST(AdapterComposition, ZeroWeightsAreTheBase) {
  const EncoderConfig c = taskscout::testing::tiny_config();
  ParameterMap p = base_with_adapter(c, AdapterPlacement::Pfeiffer, "a");
  for (const auto& [name, t] : base_with_adapter(c, AdapterPlacement::Pfeiffer, "b"))
    if (name.find(".adapters.") != std::string::npos) p[name] = t * 0.5;
  const AdapterComposition composition{CompositionMethod::ScaLearn, {"a", "b"}, {}};
  for (auto& [name, t] : init_composition(c, composition, AdapterPlacement::Pfeiffer, 1)) p[name] = at::zeros_like(t);
  EXPECT_TRUE(at::allclose(run(c, p, composed(AdapterPlacement::Pfeiffer, composition)), run(c, p, {}), 1e-6, 1e-6));
}

TEST(AdapterComposition, FusionOfIdenticalAdaptersIsTheirValue) {
  // Whatever the attention, equal outputs a_k give Σ p_k W_v a = W_v a: with W_v = I that
  // is the single adapter.
  const EncoderConfig c = taskscout::testing::tiny_config();
  ParameterMap p = base_with_adapter(c, AdapterPlacement::Pfeiffer, "a");
  for (const auto& [name, t] : ParameterMap(p))
    if (name.find(".adapters.a.") != std::string::npos) {
      std::string twin = name;
      twin.replace(twin.find(".adapters.a."), 12, ".adapters.b.");
      p[twin] = t;
    }
  const AdapterComposition composition{CompositionMethod::Fusion, {"a", "b"}, {}};
  auto generator = at::make_generator<at::CPUGeneratorImpl>(9);
  for (auto& [name, t] : init_composition(c, composition, AdapterPlacement::Pfeiffer, 1))
    p[name] =
        name.find(".value.") != std::string::npos ? at::eye(c.hidden_size) : at::normal(0.0, 0.5, t.sizes(), generator);
  AdapterConfig single;
  single.name = "a";
  EXPECT_TRUE(at::allclose(run(c, p, composed(AdapterPlacement::Pfeiffer, composition)),
                           run(c, p, single.encode_options()), 1e-5, 1e-5));
}

TEST(AdapterComposition, InitialisationAsTheAuthors) {
  EncoderConfig c = taskscout::testing::tiny_config();
  c.hidden_size = 64;
  c.num_heads = 4;
  const AdapterComposition scalearn{CompositionMethod::ScaLearn, {"a", "b", "c", "d"}, {}};
  const ParameterMap w = init_composition(c, scalearn, AdapterPlacement::Pfeiffer, 7);
  ASSERT_EQ(w.size(), 2u);  // one site per layer
  const at::Tensor omega = w.at("encoder.layer.1.output.scalearn.omega");
  EXPECT_EQ(omega.sizes(), (at::IntArrayRef{4, 64}));
  EXPECT_NEAR(omega.mean().item<double>(), 0.25, 3e-4);
  EXPECT_NEAR(omega.std().item<double>(), 0.001, 2e-4);

  const AdapterComposition uniform_pp{CompositionMethod::ScaLearnUniformPlusPlus, {"a", "b"}, {}};
  const ParameterMap u = init_composition(c, uniform_pp, AdapterPlacement::Houlsby, 7);
  ASSERT_EQ(u.size(), 2u);  // shared by the layers: one for the attention sites, one for the output sites
  EXPECT_EQ(u.at("scalearn.output.omega").sizes(), (at::IntArrayRef{2}));
  EXPECT_EQ(u.at("scalearn.attention.omega").sizes(), (at::IntArrayRef{2}));

  const AdapterComposition fusion{CompositionMethod::Fusion, {"a", "b"}, {}};
  const ParameterMap f = init_composition(c, fusion, AdapterPlacement::Pfeiffer, 7);
  EXPECT_EQ(f.size(), 2u * 5);
  const at::Tensor value = f.at("encoder.layer.0.output.adapter_fusion_layer.a,b.value.weight");
  EXPECT_TRUE(at::allclose(value, at::eye(64) + (1 - at::eye(64)) * 1e-6));
  EXPECT_NEAR(f.at("encoder.layer.0.output.adapter_fusion_layer.a,b.query.weight").std().item<double>(), 0.02, 2e-3);
  EXPECT_EQ(f.at("encoder.layer.0.output.adapter_fusion_layer.a,b.key.bias").abs().sum().item<double>(), 0);
  EXPECT_NEAR(composition_regularization(f, c, fusion, AdapterPlacement::Pfeiffer).item<double>(),
              2 * 0.01 * 64 * 63 * 1e-12, 1e-12);
}

TEST(AdapterComposition, RefusesBadNamesAndMethods) {
  const EncoderConfig c = taskscout::testing::tiny_config();
  for (const std::vector<std::string>& names :
       std::vector<std::vector<std::string>>{{}, {"a", "a"}, {"a.b"}, {"a,b"}, {""}})
    EXPECT_THROW(init_composition(c, {CompositionMethod::ScaLearn, names, {}}, AdapterPlacement::Pfeiffer, 1),
                 UsageError);
  for (const std::string& name : composition_method_names())
    EXPECT_EQ(composition_method_name(parse_composition_method(name)), name);
  EXPECT_THROW(parse_composition_method("average"), UsageError);
}

TEST(CompositionFiles, RoundTripInTheLibrarysLayout) {
  TempDir tmp;
  const EncoderConfig c = taskscout::testing::tiny_config();
  for (CompositionMethod m : {CompositionMethod::ScaLearnUniform, CompositionMethod::Fusion}) {
    CompositionFiles f;
    f.composition = {m, {"cr", "mr"}, {}};
    f.base_model = "/models/base";
    for (const std::string& name : f.composition.adapters) {
      AdapterConfig a;
      a.name = name;
      a.reduction_factor = name == "cr" ? 2 : 4;
      for (const auto& [tensor, t] : init_adapter(c, a, 3)) f.adapters[tensor] = t + 0.5;
      f.sources.push_back(
          {name, "source-" + name, std::string(64, 'a'), a, {init_head(c, 2, 4, {}, HeadStyle::Flex), {"neg", "pos"}}});
    }
    f.weights = init_composition(c, f.composition, f.placement, 5);
    f.head = {init_head(c, 3, 6, {}, HeadStyle::Flex), {"x", "y", "z"}};
    const auto folder = tmp.path() / composition_method_name(m);
    std::filesystem::create_directories(folder);
    write_composition_files(folder, c, f);
    ASSERT_TRUE(is_composition_folder(folder));
    EXPECT_TRUE(is_adapter_folder(folder / "adapters" / "cr"));  // each source stays a whole adapter folder
    EXPECT_EQ(std::filesystem::exists(folder / "adapter_fusion_config.json"), m == CompositionMethod::Fusion);

    const CompositionFiles back = read_composition_files(folder, c);
    EXPECT_EQ(back.composition.method, m);
    EXPECT_EQ(back.composition.adapters, f.composition.adapters);
    EXPECT_EQ(back.sources.at(1).source, "source-mr");
    EXPECT_EQ(back.sources.at(0).digest, std::string(64, 'a'));
    EXPECT_EQ(back.sources.at(1).config.reduction_factor, 4);
    EXPECT_EQ(back.head.labels, (std::vector<std::string>{"x", "y", "z"}));
    ASSERT_EQ(back.adapters.size(), f.adapters.size());
    for (const auto& [name, t] : f.adapters) EXPECT_TRUE(at::equal(back.adapters.at(name), t)) << name;
    for (const auto& [name, t] : f.weights) EXPECT_TRUE(at::equal(back.weights.at(name), t)) << name;
  }
  // A weight of the wrong shape names the file and tensor.
  const auto folder = tmp.path() / "fusion";
  const nlohmann::json config = nlohmann::json::parse(MappedFile(folder / "adapter_fusion_config.json").text());
  EXPECT_EQ(config["name"], "cr,mr");
  EXPECT_EQ(config["config"]["value_initialized"], true);
  try {
    read_lora_composition_files(folder, c);
    FAIL() << "an adapter composition was read as a LoRA composition";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("composes adapters, not LoRAs"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(folder / "adapters" / "mr");
  try {
    read_composition_files(folder, c);
    FAIL() << "a missing adapter folder was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("adapters/mr"), std::string::npos) << e.what();
  }
}
