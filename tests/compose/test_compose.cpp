// compose_adapters and compose_loras: the sources stay frozen and only the composition and
// the head train; the saved folder loads back to the same predictions; the measured weights
// are ScaLearn's ω and AdapterFusion's attention; mismatched or missing sources, AdapterFusion
// over LoRAs and adapters mixed with LoRAs are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "../train/tiny_model.hpp"
#include "taskscout/compose/compose.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/model/lora_composition.hpp"
#include "taskscout/model/model_folder.hpp"

using namespace taskscout;
using taskscout::testing::TempDir;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  TempDir tmp;
  fs::path base;
  Dataset train, dev;
  std::vector<ComposeSource> sources, loras;  // two adapters; two LoRAs of other ranks and targets

  Fixture() {
    base = taskscout::testing::write_tiny_base(tmp.path() / "base");
    taskscout::testing::write_text(tmp.path() / "train.csv", taskscout::testing::tiny_task_csv(64, 1));
    taskscout::testing::write_text(tmp.path() / "dev.csv", taskscout::testing::tiny_task_csv(24, 2));
    train = load_dataset(tmp.path() / "train.csv", {});
    DatasetOptions o;
    o.label_names = train.label_names;
    dev = load_dataset(tmp.path() / "dev.csv", o);
    sources = trained(FineTuneMethod::Adapter,
                      [](FineTuneOptions& f, bool first) { f.adapter.reduction_factor = first ? 2 : 4; });
    loras = trained(FineTuneMethod::Lora, [](FineTuneOptions& f, bool first) {
      f.lora.rank = first ? 2 : 4;
      f.lora.alpha = first ? 4 : 16;
      f.lora.target_modules =
          first ? std::vector<std::string>{"query", "value"} : std::vector<std::string>{"value", "intermediate.dense"};
    });
  }

  // Two folders fine-tuned by `method` for one epoch (seeds 1 and 2), set up by `vary`, as sources.
  std::vector<ComposeSource> trained(FineTuneMethod method, const std::function<void(FineTuneOptions&, bool)>& vary) {
    std::vector<std::string> folders;
    for (int seed : {1, 2}) {
      FineTuneOptions f;
      f.method = method;
      f.epochs = 1;
      f.seed = static_cast<std::uint64_t>(seed);
      vary(f, seed == 1);
      const fs::path folder = tmp.path() / (method_name(method) + std::to_string(seed));
      save_task_model(folder, fine_tune(base, train, dev, f).model);
      folders.push_back(folder.string());
    }
    return folder_sources(folders, base);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

ComposeOptions options(CompositionMethod method) {
  ComposeOptions o;
  o.method = method;
  o.training.epochs = 2;
  o.training.batch_size = 8;
  o.training.seed = 3;
  return o;
}

}  // namespace

TEST(Compose, OnlyTheCompositionAndTheHeadTrain) {
  Fixture& f = fixture();
  for (CompositionMethod m :
       {CompositionMethod::ScaLearn, CompositionMethod::ScaLearnUniformPlusPlus, CompositionMethod::Fusion}) {
    const FineTuneResult r = compose_adapters(f.base, f.sources, f.train, f.dev, options(m));
    const TaskModel& model = r.model;
    EXPECT_EQ(model.method, FineTuneMethod::Compose);
    std::size_t expected = 0;
    for (const auto& [name, shape] :
         composition_specs(model.config, *model.encode.adapter.composition, AdapterPlacement::Pfeiffer)) {
      std::int64_t n = 1;
      for (std::int64_t d : shape) n *= d;
      expected += static_cast<std::size_t>(n);
    }
    expected += 16 * 16 + 16 + 2 * 16 + 2;  // the flex head
    EXPECT_EQ(r.trainable_parameters, expected) << composition_method_name(m);
    // Every source tensor is as the source has it, under its new name.
    for (std::size_t k = 0; k < f.sources.size(); ++k) {
      const TaskModel& source = f.sources[k].model;
      const std::string from = ".adapters." + source.adapter.name + ".";
      const std::string to = ".adapters." + model.composed[k].adapter + ".";
      for (const std::string& name : source.added) {
        std::string here = name;
        here.replace(here.find(from), from.size(), to);
        EXPECT_TRUE(at::equal(model.encoder.at(here), source.encoder.at(name))) << here;
      }
    }
    const Encoder base = load_encoder(f.base);
    for (const auto& [name, t] : base.parameters) EXPECT_TRUE(at::equal(model.encoder.at(name), t)) << name;
  }
}

TEST(Compose, SavedFolderLoadsToTheSamePredictions) {
  Fixture& f = fixture();
  for (CompositionMethod m : {CompositionMethod::ScaLearnUniform, CompositionMethod::Fusion}) {
    const FineTuneResult r = compose_adapters(f.base, f.sources, f.train, f.dev, options(m));
    const fs::path out = f.tmp.path() / ("composed-" + composition_method_name(m));
    save_task_model(out, r.model);
    const TaskModel back = load_task_model(out);
    EXPECT_EQ(back.method, FineTuneMethod::Compose);
    EXPECT_EQ(back.config.labels, r.model.config.labels);
    ASSERT_EQ(back.composed.size(), 2u);
    EXPECT_EQ(back.composed[0].source, f.sources[0].name);
    text::Tokenizer tokenizer = task_tokenizer(back, out);
    const TokenizedTexts texts = tokenize_texts(tokenizer, f.dev.texts, {}, 32, "dev");
    EXPECT_TRUE(at::equal(predict_logits(back, texts, 8), predict_logits(r.model, texts, 8)));
  }
}

TEST(Compose, WeightsAreOmegaOrTheAttention) {
  Fixture& f = fixture();
  const FineTuneResult uniform =
      compose_adapters(f.base, f.sources, f.train, f.dev, options(CompositionMethod::ScaLearnUniform));
  const CompositionWeights w = measure_composition_weights(uniform.model, f.dev);
  ASSERT_EQ(w.sites.size(), 2u);
  EXPECT_EQ(w.sites[0], "encoder.layer.0.output");
  const at::Tensor omega = uniform.model.encoder.at("encoder.layer.0.output.scalearn.omega");
  EXPECT_NEAR(w.weights[0][1], omega[1].item<double>(), 1e-7);

  const FineTuneResult fusion = compose_adapters(f.base, f.sources, f.train, f.dev, options(CompositionMethod::Fusion));
  const CompositionWeights a = measure_composition_weights(fusion.model, f.dev);
  ASSERT_EQ(a.weights.size(), 2u);
  for (const auto& site : a.weights) EXPECT_NEAR(site[0] + site[1], 1.0, 1e-6);  // float32 softmax

  const CompositionWeights pp = measure_composition_weights(
      compose_adapters(f.base, f.sources, f.train, f.dev, options(CompositionMethod::ScaLearnPlusPlus)).model, f.dev);
  EXPECT_EQ(pp.sites, std::vector<std::string>{"all layers"});
}

TEST(Compose, RefusesMismatchedAndMissingSources) {
  Fixture& f = fixture();
  EXPECT_THROW(compose_adapters(f.base, {}, f.train, f.dev, options(CompositionMethod::ScaLearn)), UsageError);
  std::vector<ComposeSource> twice = {f.sources[0], f.sources[0]};
  EXPECT_THROW(compose_adapters(f.base, twice, f.train, f.dev, options(CompositionMethod::ScaLearn)), UsageError);
  std::vector<ComposeSource> mixed = f.sources;
  mixed[1].model.adapter.placement = AdapterPlacement::Houlsby;
  try {
    compose_adapters(f.base, mixed, f.train, f.dev, options(CompositionMethod::ScaLearn));
    FAIL() << "adapters of two placements were composed";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(mixed[1].name), std::string::npos) << e.what();
  }
  TaskModel full = fine_tune(f.base, f.train, f.dev,
                             [] {
                               FineTuneOptions o;
                               o.epochs = 1;
                               return o;
                             }())
                       .model;
  save_task_model(f.tmp.path() / "full", full);
  EXPECT_THROW(folder_sources({(f.tmp.path() / "full").string()}, f.base), InputError);
}

TEST(ComposeLoras, OnlyOmegaAndTheHeadTrain) {
  Fixture& f = fixture();
  for (CompositionMethod m : {CompositionMethod::ScaLearn, CompositionMethod::ScaLearnUniformPlusPlus}) {
    const FineTuneResult r = compose_sources(f.base, f.loras, f.train, f.dev, options(m));
    const TaskModel& model = r.model;
    EXPECT_EQ(model.method, FineTuneMethod::Compose);
    ASSERT_TRUE(model.encode.lora_composition);
    std::size_t expected = 0;
    for (const auto& [name, shape] : lora_composition_specs(model.config, *model.encode.lora_composition)) {
      std::int64_t n = 1;
      for (std::int64_t d : shape) n *= d;
      expected += static_cast<std::size_t>(n);
    }
    expected += 16 * 16 + 16 + 2 * 16 + 2;  // the flex head
    EXPECT_EQ(r.trainable_parameters, expected) << composition_method_name(m);
    // Every source pair is as the source has it, under its new name; the base is untouched.
    std::size_t pairs = 0;
    for (std::size_t k = 0; k < f.loras.size(); ++k)
      for (const std::string& name : f.loras[k].model.added) {
        const std::size_t at = name.rfind(".lora_");
        if (at == std::string::npos) continue;
        const std::string here = composed_lora_name(name.substr(0, at), model.composed[k].adapter, name[at + 6]);
        EXPECT_TRUE(at::equal(model.encoder.at(here), f.loras[k].model.encoder.at(name))) << here;
        ++pairs;
      }
    EXPECT_EQ(pairs, 2u * 2 * 2 + 2u * 2 * 2);  // 2 modules × 2 layers × (A, B) for each
    const Encoder base = load_encoder(f.base);
    for (const auto& [name, t] : base.parameters) EXPECT_TRUE(at::equal(model.encoder.at(name), t)) << name;
  }
}

TEST(ComposeLoras, SavedFolderLoadsToTheSamePredictionsAndShowsOmega) {
  Fixture& f = fixture();
  const FineTuneResult r = compose_sources(f.base, f.loras, f.train, f.dev, options(CompositionMethod::ScaLearn));
  const fs::path out = f.tmp.path() / "composed-loras";
  save_task_model(out, r.model);
  const TaskModel back = load_task_model(out);
  EXPECT_EQ(back.method, FineTuneMethod::Compose);
  ASSERT_TRUE(back.encode.lora_composition);
  EXPECT_EQ(back.encode.lora_composition->configs[1].rank, 4);
  ASSERT_EQ(back.composed.size(), 2u);
  EXPECT_EQ(back.composed[1].source, f.loras[1].name);
  text::Tokenizer tokenizer = task_tokenizer(back, out);
  const TokenizedTexts texts = tokenize_texts(tokenizer, f.dev.texts, {}, 32, "dev");
  EXPECT_TRUE(at::equal(predict_logits(back, texts, 8), predict_logits(r.model, texts, 8)));

  const CompositionWeights w = measure_composition_weights(back, f.dev);
  EXPECT_EQ(w.method, "scalearn");
  // query (first only), value (both), intermediate.dense (second only) in 2 layers.
  ASSERT_EQ(w.sites.size(), 6u);
  EXPECT_EQ(w.sites[0], "encoder.layer.0.attention.self.query");
  EXPECT_NEAR(w.weights[0][0],
              back.encoder.at("encoder.layer.0.attention.self.query.scalearn.omega")[0].mean().item<double>(), 1e-7);
  EXPECT_TRUE(std::isnan(w.weights[0][1]));  // the second LoRA has no query pair
  EXPECT_FALSE(std::isnan(w.weights[1][1]));
}

TEST(ComposeLoras, RefusesFusionMixedKindsAndFullModels) {
  Fixture& f = fixture();
  auto refused = [](const std::function<void()>& call, const std::string& name, const std::string& says) {
    try {
      call();
      ADD_FAILURE() << "accepted: " << says;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  refused([&] { compose_sources(f.base, f.loras, f.train, f.dev, options(CompositionMethod::Fusion)); },
          f.loras[0].name, "scalearn");
  const std::vector<ComposeSource> mixed = {f.sources[0], f.loras[1]};
  refused([&] { compose_sources(f.base, mixed, f.train, f.dev, options(CompositionMethod::ScaLearn)); },
          f.loras[1].name, "one kind");
  refused([&] { folder_sources({f.sources[1].name, f.loras[0].name}, f.base); }, f.loras[0].name, "one kind");
  std::vector<ComposeSource> full = f.loras;
  full[1].model.method = FineTuneMethod::Full;
  refused([&] { compose_sources(f.base, full, f.train, f.dev, options(CompositionMethod::ScaLearn)); }, full[1].name,
          "taskscout merge");
}
