// compose_adapters: the sources stay frozen and only the composition and the head train;
// the saved folder loads back to the same predictions; the measured weights are ScaLearn's
// ω and AdapterFusion's attention; mismatched or missing sources are refused.
#include <gtest/gtest.h>

#include "../train/tiny_model.hpp"
#include "taskscout/compose/compose.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/model/model_folder.hpp"

using namespace taskscout;
using taskscout::testing::TempDir;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  TempDir tmp;
  fs::path base;
  Dataset train, dev;
  std::vector<AdapterSource> sources;

  Fixture() {
    base = taskscout::testing::write_tiny_base(tmp.path() / "base");
    taskscout::testing::write_text(tmp.path() / "train.csv", taskscout::testing::tiny_task_csv(64, 1));
    taskscout::testing::write_text(tmp.path() / "dev.csv", taskscout::testing::tiny_task_csv(24, 2));
    train = load_dataset(tmp.path() / "train.csv", {});
    DatasetOptions o;
    o.label_names = train.label_names;
    dev = load_dataset(tmp.path() / "dev.csv", o);
    std::vector<std::string> folders;
    for (int seed : {1, 2}) {
      FineTuneOptions f;
      f.method = FineTuneMethod::Adapter;
      f.epochs = 1;
      f.seed = static_cast<std::uint64_t>(seed);
      f.adapter.reduction_factor = seed == 1 ? 2 : 4;
      const fs::path folder = tmp.path() / ("adapter" + std::to_string(seed));
      save_task_model(folder, fine_tune(base, train, dev, f).model);
      folders.push_back(folder.string());
    }
    sources = folder_adapters(folders, base);
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
  std::vector<AdapterSource> twice = {f.sources[0], f.sources[0]};
  EXPECT_THROW(compose_adapters(f.base, twice, f.train, f.dev, options(CompositionMethod::ScaLearn)), UsageError);
  std::vector<AdapterSource> mixed = f.sources;
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
  EXPECT_THROW(folder_adapters({(f.tmp.path() / "full").string()}, f.base), InputError);
}
