// Fine-tuning end to end on a tiny model: it learns a trivially learnable task with each
// method, is deterministic for a seed, leaves the base untouched under LoRA and adapters,
// and what it saves reloads into identical predictions.
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/train/fine_tune.hpp"
#include "tiny_model.hpp"

using namespace taskscout;
using taskscout::testing::TempDir;
namespace fs = std::filesystem;

namespace {

struct Task {
  Dataset train, dev;
};

Task make_task(const TempDir& dir, bool regression = false, std::size_t rows = 240) {
  taskscout::testing::write_text(dir / "train.csv", taskscout::testing::tiny_task_csv(rows, 11, regression));
  taskscout::testing::write_text(dir / "dev.csv", taskscout::testing::tiny_task_csv(100, 12, regression));
  DatasetOptions o;
  o.kind = regression ? LabelKind::Regression : LabelKind::Classification;
  Task t;
  t.train = load_dataset(dir / "train.csv", o);
  if (!regression) o.label_names = t.train.label_names;
  t.dev = load_dataset(dir / "dev.csv", o);
  return t;
}

FineTuneOptions options(FineTuneMethod method) {
  FineTuneOptions o;
  o.method = method;
  o.epochs = 6;
  o.batch_size = 16;
  o.learning_rate = method == FineTuneMethod::Full ? 3e-3 : 1e-2;
  o.seed = 5;
  o.lora.rank = 4;
  o.lora.alpha = 8;
  o.adapter.reduction_factor = 2;
  return o;
}

double majority(const Dataset& d) {
  std::vector<double> counts(d.label_names.size());
  for (auto id : d.label_ids) counts[static_cast<std::size_t>(id)] += 1;
  return *std::max_element(counts.begin(), counts.end()) / static_cast<double>(d.label_ids.size());
}

at::Tensor predictions(const TaskModel& m, const fs::path& tokenizer_folder, const Dataset& d) {
  text::Tokenizer tokenizer = text::Tokenizer::from_folder(tokenizer_folder);
  return predict_logits(m, tokenize_texts(tokenizer, d.texts, d.text_pairs, 32, d.path), 7);
}

}  // namespace

class FineTuneMethods : public ::testing::TestWithParam<FineTuneMethod> {};

TEST_P(FineTuneMethods, LearnsAndReloadsIdentically) {
  TempDir dir;
  const fs::path base = taskscout::testing::write_tiny_base(dir / "base");
  const Task task = make_task(dir);
  const Encoder before = load_encoder(base);
  std::map<std::string, at::Tensor> base_copy;
  for (const auto& [name, t] : before.parameters) base_copy[name] = t.clone();

  const FineTuneResult r = fine_tune(base, task.train, task.dev, options(GetParam()));
  const double best = r.evaluations.at(r.best).dev.get("accuracy");
  EXPECT_GT(best, majority(task.dev) + 0.25) << method_name(GetParam());
  EXPECT_EQ(r.evaluations.size(), 6u);

  if (GetParam() != FineTuneMethod::Full) {
    // The frozen base: bit for bit, in memory and on disk.
    for (const auto& [name, t] : base_copy) {
      EXPECT_TRUE(at::equal(r.model.encoder.at(name), t)) << name;
      EXPECT_FALSE(r.model.encoder.at(name).requires_grad()) << name;
    }
    const Encoder after = load_encoder(base);
    for (const auto& [name, t] : base_copy) EXPECT_TRUE(at::equal(after.parameters.at(name), t)) << name;
  }

  save_task_model(dir / "out", r.model, {{"train_log.json", r.log_json(options(GetParam()))}});
  EXPECT_TRUE(fs::exists(dir / "out" / "train_log.json"));
  const TaskModel loaded = load_task_model(dir / "out");
  EXPECT_EQ(loaded.method, GetParam());
  EXPECT_EQ(loaded.config.labels, (std::vector<std::string>{"neg", "pos"}));
  const at::Tensor a = predictions(r.model, base, task.dev), b = predictions(loaded, base, task.dev);
  EXPECT_TRUE(at::equal(a, b));
  // The reloaded model's accuracy is the best evaluation's.
  const auto p = b.argmax(1);
  double right = 0;
  for (std::size_t i = 0; i < task.dev.label_ids.size(); ++i)
    right += p[static_cast<std::int64_t>(i)].item<std::int64_t>() == task.dev.label_ids[i];
  EXPECT_DOUBLE_EQ(right / static_cast<double>(task.dev.label_ids.size()), best);
}

INSTANTIATE_TEST_SUITE_P(All, FineTuneMethods,
                         ::testing::Values(FineTuneMethod::Full, FineTuneMethod::Lora, FineTuneMethod::Adapter),
                         [](const auto& info) { return method_name(info.param); });

// Sequential transfer: an adapter or LoRA trained on one task goes on training on the next.
TEST_P(FineTuneMethods, StartsFromAnotherFoldersAdapter) {
  if (GetParam() == FineTuneMethod::Full) {
    TempDir dir;
    const fs::path base = taskscout::testing::write_tiny_base(dir / "base");
    const Task task = make_task(dir, false, 32);
    FineTuneOptions o = options(FineTuneMethod::Full);
    o.init_from = dir / "anything";
    EXPECT_THROW(fine_tune(base, task.train, task.dev, o), UsageError);
    return;
  }
  TempDir dir;
  const fs::path base = taskscout::testing::write_tiny_base(dir / "base");
  const Task task = make_task(dir, false, 64);
  FineTuneOptions first = options(GetParam());
  first.epochs = 2;
  first.adapter.reduction_factor = 4;  // not the default: the folder's configuration must be the one used
  first.lora.rank = 2;
  const FineTuneResult source = fine_tune(base, task.train, task.dev, first);
  save_task_model(dir / "source", source.model);

  // A learning rate of 1e-12 leaves the started tensors where they were.
  FineTuneOptions next = options(GetParam());
  next.epochs = 1;
  next.learning_rate = 1e-12;
  next.seed = 9;
  next.init_from = dir / "source";
  const FineTuneResult r = fine_tune(base, task.train, task.dev, next);
  ASSERT_FALSE(r.model.added.empty());
  std::size_t compared = 0;
  for (const auto& name : source.model.added) {
    if (name.rfind("pooler.", 0) == 0) continue;  // part of the head, fresh
    ASSERT_TRUE(r.model.encoder.count(name)) << name;
    EXPECT_TRUE(at::allclose(r.model.encoder.at(name), source.model.encoder.at(name), 0, 1e-9)) << name;
    ++compared;
  }
  EXPECT_GT(compared, 0u);
  EXPECT_EQ(r.model.adapter.reduction_factor, source.model.adapter.reduction_factor);
  EXPECT_EQ(r.model.lora.rank, source.model.lora.rank);
  // Without init_from, the same seed draws fresh tensors instead.
  next.init_from.clear();
  const FineTuneResult fresh = fine_tune(base, task.train, task.dev, next);
  const std::string probe = source.model.added.front();
  if (fresh.model.encoder.count(probe) &&
      fresh.model.encoder.at(probe).sizes() == source.model.encoder.at(probe).sizes())
    EXPECT_FALSE(at::allclose(fresh.model.encoder.at(probe), source.model.encoder.at(probe), 0, 1e-9)) << probe;

  // A folder of the other method is refused, naming it.
  const FineTuneMethod other = GetParam() == FineTuneMethod::Lora ? FineTuneMethod::Adapter : FineTuneMethod::Lora;
  next.method = other;
  next.init_from = dir / "source";
  try {
    fine_tune(base, task.train, task.dev, next);
    FAIL() << "a folder of another method was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("source"), std::string::npos) << e.what();
  }
}

TEST(FineTune, DeterministicForASeed) {
  TempDir dir;
  const fs::path base = taskscout::testing::write_tiny_base(dir / "base");
  const Task task = make_task(dir, false, 64);
  FineTuneOptions o = options(FineTuneMethod::Full);
  o.epochs = 2;
  o.max_train_examples = 40;
  const FineTuneResult a = fine_tune(base, task.train, task.dev, o), b = fine_tune(base, task.train, task.dev, o);
  EXPECT_EQ(a.train_examples, 40u);
  for (const auto& [name, t] : a.model.encoder) EXPECT_TRUE(at::equal(t, b.model.encoder.at(name))) << name;
  for (const auto& [name, t] : a.model.head) EXPECT_TRUE(at::equal(t, b.model.head.at(name))) << name;
  EXPECT_EQ(a.log_json(o).substr(0, a.log_json(o).find("\"seconds\"")),
            b.log_json(o).substr(0, b.log_json(o).find("\"seconds\"")));
  o.seed = 6;
  const FineTuneResult c = fine_tune(base, task.train, task.dev, o);
  EXPECT_FALSE(at::equal(a.model.head.at("classifier.weight"), c.model.head.at("classifier.weight")));
}

TEST(FineTune, RegressionLearns) {
  TempDir dir;
  const fs::path base = taskscout::testing::write_tiny_base(dir / "base", Architecture::DistilBert);
  const Task task = make_task(dir, true);
  FineTuneOptions o = options(FineTuneMethod::Full);
  const FineTuneResult r = fine_tune(base, task.train, task.dev, o);
  EXPECT_GT(r.evaluations.at(r.best).dev.get("pearson"), 0.7);
  EXPECT_TRUE(r.model.regression());
  save_task_model(dir / "out", r.model);
  EXPECT_EQ(load_task_model(dir / "out").config.problem_type, "regression");
}

TEST(FineTune, EarlyStoppingKeepsTheBest) {
  TempDir dir;
  const fs::path base = taskscout::testing::write_tiny_base(dir / "base");
  const Task task = make_task(dir, false, 64);
  FineTuneOptions o = options(FineTuneMethod::Full);
  o.learning_rate = 1e-9;  // nothing improves after the first evaluation
  o.epochs = 10;
  o.eval_steps = 1;
  o.patience = 2;
  const FineTuneResult r = fine_tune(base, task.train, task.dev, o);
  EXPECT_TRUE(r.stopped_early);
  EXPECT_LE(r.evaluations.size(), 3u + r.best);
  EXPECT_EQ(r.steps, static_cast<std::int64_t>(r.evaluations.size()));
}

TEST(FineTune, RejectsUnfitData) {
  TempDir dir;
  const fs::path base = taskscout::testing::write_tiny_base(dir / "base");
  Task task = make_task(dir, false, 32);
  Dataset one_class = task.train;
  one_class.label_names = {"pos"};
  std::fill(one_class.label_ids.begin(), one_class.label_ids.end(), 0);
  EXPECT_THROW(fine_tune(base, one_class, task.dev, options(FineTuneMethod::Full)), InputError);
  Dataset regression = task.dev;
  regression.kind = LabelKind::Regression;
  EXPECT_THROW(fine_tune(base, task.train, regression, options(FineTuneMethod::Full)), InputError);
  FineTuneOptions bad = options(FineTuneMethod::Lora);
  bad.lora.target_modules = {"nonexistent"};
  EXPECT_THROW(fine_tune(base, task.train, task.dev, bad), UsageError);
  bad = options(FineTuneMethod::Full);
  bad.max_length = 500;
  EXPECT_THROW(fine_tune(base, task.train, task.dev, bad), UsageError);
  // A dev label the train set lacks is the dataset loader's error, naming the file and line.
  taskscout::testing::write_text(dir / "dev_extra.csv", "text,label\ngood film,pos\nodd film,neutral\n");
  DatasetOptions o;
  o.label_names = task.train.label_names;
  try {
    load_dataset(dir / "dev_extra.csv", o);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("dev_extra.csv:3"), std::string::npos) << e.what();
  }
}

TEST(FineTune, BalancedClassWeights) {
  Dataset d;
  d.label_names = {"a", "b", "c"};
  d.label_ids = {0, 0, 0, 1};  // c never occurs
  const at::Tensor w = balanced_class_weights(d);
  EXPECT_NEAR(w[0].item<float>(), 4.0 / (3 * 3), 1e-7);
  EXPECT_NEAR(w[1].item<float>(), 4.0 / (3 * 1), 1e-7);
  EXPECT_EQ(w[2].item<float>(), 0.0f);

  // On a 7:1 imbalanced set the weighted loss changes training, and the log says so.
  TempDir dir;
  const fs::path base = taskscout::testing::write_tiny_base(dir / "base");
  Task task = make_task(dir, false, 64);
  std::vector<std::size_t> keep;
  for (std::size_t i = 0, pos = 0; i < task.train.label_ids.size(); ++i)
    if (task.train.label_ids[i] == 0 || pos++ % 7 == 0) keep.push_back(i);
  Dataset imbalanced = task.train;
  imbalanced.texts.clear();
  imbalanced.label_ids.clear();
  for (std::size_t i : keep) {
    imbalanced.texts.push_back(task.train.texts[i]);
    imbalanced.label_ids.push_back(task.train.label_ids[i]);
  }
  FineTuneOptions o = options(FineTuneMethod::Full);
  o.epochs = 1;
  const FineTuneResult plain = fine_tune(base, imbalanced, task.dev, o);
  o.balanced_class_weights = true;
  const FineTuneResult weighted = fine_tune(base, imbalanced, task.dev, o);
  EXPECT_NE(plain.evaluations[0].train_loss, weighted.evaluations[0].train_loss);
  EXPECT_NE(weighted.log_json(o).find("\"balanced_class_weights\": true"), std::string::npos);
}

TEST(TaskModel, EveryArchitectureAndMethodReloadsIdentically) {
  TempDir dir;
  for (const char* fixture : {"bert", "roberta", "xlmr", "distilbert"}) {
    const fs::path base = taskscout::testing::fixtures_dir() / "model" / fixture;
    const Encoder encoder = load_encoder(base);
    for (FineTuneMethod method : {FineTuneMethod::Full, FineTuneMethod::Lora, FineTuneMethod::Adapter}) {
      TaskModel m;
      m.method = method;
      m.base_folder = base;
      m.config = encoder.config;
      m.config.labels = {"x", "y", "z"};
      m.config.problem_type = "single_label_classification";
      m.encoder = encoder.parameters;
      m.head_style = method == FineTuneMethod::Adapter ? HeadStyle::Flex : HeadStyle::Native;
      ParameterMap extra;
      if (method == FineTuneMethod::Lora) {
        m.lora.rank = 2;
        m.encode.lora_scaling = m.lora.scaling();
        extra = init_lora(m.config, m.lora, 1);
      } else if (method == FineTuneMethod::Adapter) {
        m.adapter.reduction_factor = 4;
        m.encode.adapter = m.adapter.encode_options();
        extra = init_adapter(m.config, m.adapter, 1);
      }
      for (const auto& [name, t] : extra) {
        m.encoder[name] = at::randn(t.sizes()) * 0.1;  // non-zero, so that they matter
        m.added.push_back(name);
      }
      for (const auto& [name, t] : init_head(m.config, 3, 2, m.encoder, m.head_style)) {
        const bool pooler = name.rfind("pooler.", 0) == 0;
        (pooler ? m.encoder : m.head)[name] = at::randn(t.sizes()) * 0.1;
        if (pooler && method != FineTuneMethod::Full) m.added.push_back(name);
      }
      const fs::path out = dir / (std::string(fixture) + "-" + method_name(method));
      save_task_model(out, m);
      const TaskModel back = load_task_model(out);
      EXPECT_EQ(back.method, method);
      EXPECT_EQ(back.config.labels, m.config.labels);
      const at::Tensor ids = at::arange(3, 3 + 12, at::kLong).view({2, 6});
      const at::Tensor mask = at::ones({2, 6}, at::kLong);
      c10::InferenceMode guard;
      EXPECT_TRUE(at::equal(task_logits(m, ids, mask, {}), task_logits(back, ids, mask, {})))
          << fixture << " " << method_name(method);
    }
  }
}

TEST(FineTune, InterruptStopsAfterTheCurrentStep) {
  TempDir dir;
  const fs::path base = taskscout::testing::write_tiny_base(dir / "base");
  const Task task = make_task(dir, false, 64);
  std::atomic<bool> stop{false};
  FineTuneProgress progress;
  progress.interrupt = &stop;
  progress.step = [&](std::int64_t step, std::int64_t, double) { stop.store(step == 2); };
  const FineTuneResult r = fine_tune(base, task.train, task.dev, options(FineTuneMethod::Lora), progress);
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.steps, 2);
  EXPECT_TRUE(r.evaluations.empty());
}
