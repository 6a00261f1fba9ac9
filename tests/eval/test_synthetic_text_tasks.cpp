// The synthetic text task family: deterministic for a seed, labels that follow the
// declared factors (read back from the words of each sentence), the promised overlap
// between the first target and some sources, and the files it writes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "taskscout/core/error.hpp"
#include "taskscout/eval/synthetic_text_tasks.hpp"
#include "taskscout/io/dataset.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// The value of every factor as the sentence's words show it: exactly one value's words
// must occur, or -1.
std::vector<int> read_factor_values(const std::string& text) {
  const auto words = words_of(text);
  std::vector<int> values;
  for (const auto& factor : synthetic_text_factors()) {
    int found = -1, hits = 0;
    for (std::size_t v = 0; v < factor.words.size(); ++v)
      for (const std::string& w : factor.words[v])
        if (std::find(words.begin(), words.end(), w) != words.end()) found = static_cast<int>(v), ++hits;
    values.push_back(hits == 1 ? found : -1);
  }
  return values;
}

TEST(SyntheticTextTasks, WordListsAreDisjoint) {
  std::set<std::string> seen;
  for (const auto& f : synthetic_text_factors()) {
    ASSERT_EQ(f.values.size(), f.words.size()) << f.name;
    for (const auto& list : f.words) {
      ASSERT_FALSE(list.empty()) << f.name;
      for (const std::string& w : list) EXPECT_TRUE(seen.insert(w).second) << w;
    }
  }
}

TEST(SyntheticTextTasks, LabelsFollowTheDeclaredFactorsAsTheTextShowsThem) {
  SyntheticTextSpec spec;
  spec.sources = 8;
  spec.train = 120;
  spec.dev = spec.test = 30;
  spec.label_noise = 0;
  spec.seed = 5;
  const SyntheticTextFamily family = make_synthetic_text_tasks(spec);
  ASSERT_EQ(family.tasks.size(), 9u);
  for (const auto& task : family.tasks) {
    ASSERT_GE(task.factors.size(), 1u);
    ASSERT_LE(task.factors.size(), 2u);
    std::size_t classes = 1;
    for (int k : task.factors) classes *= synthetic_text_factors()[k].values.size();
    ASSERT_EQ(task.label_names.size(), classes) << task.name;
    for (const auto* split : {&task.train, &task.dev, &task.test}) {
      std::set<std::int64_t> labels;
      for (std::size_t r = 0; r < split->texts.size(); ++r) {
        const auto shown = read_factor_values(split->texts[r]);
        ASSERT_EQ(shown, split->factor_values[r]) << split->texts[r];
        // The label names the values of the task's factors, in order.
        std::string expected;
        for (int k : task.factors)
          expected += (expected.empty() ? "" : "+") + synthetic_text_factors()[k].values[shown[k]];
        ASSERT_EQ(task.label_names[split->labels[r]], expected) << task.name << ": " << split->texts[r];
        labels.insert(split->labels[r]);
      }
      if (split == &task.train) {
        EXPECT_EQ(labels.size(), classes) << task.name;  // every class occurs
      }
    }
  }
  // The first target's factor is shared by at least a quarter of the sources, not by all.
  const auto& target = family.tasks.front();
  ASSERT_TRUE(target.target);
  int related = 0;
  for (const auto& t : family.tasks)
    if (!t.target) related += shared_text_factors(target, t) > 0;
  EXPECT_GE(related, 2);
  EXPECT_LT(related, 8);
}

TEST(SyntheticTextTasks, NoiseRedrawsAboutTheRequestedShare) {
  SyntheticTextSpec spec;
  spec.sources = 2;
  spec.max_task_factors = 1;
  spec.train = 4000;
  spec.dev = spec.test = 1;
  spec.label_noise = 0.3;
  const auto family = make_synthetic_text_tasks(spec);
  for (const auto& task : family.tasks) {
    std::size_t changed = 0;
    for (std::size_t r = 0; r < task.train.texts.size(); ++r)
      changed += task.train.labels[r] != synthetic_text_label(task, task.train.factor_values[r]);
    // A redrawn binary label keeps its value half the time: 0.3 · 1/2 = 0.15 change.
    EXPECT_NEAR(static_cast<double>(changed) / 4000, 0.15, 0.025) << task.name;
  }
}

TEST(SyntheticTextTasks, DeterministicForASeedAndDifferentForAnother) {
  SyntheticTextSpec spec;
  spec.train = 50;
  spec.dev = spec.test = 10;
  spec.seed = 11;
  const auto a = make_synthetic_text_tasks(spec), b = make_synthetic_text_tasks(spec);
  spec.seed = 12;
  const auto c = make_synthetic_text_tasks(spec);
  ASSERT_EQ(a.tasks.size(), b.tasks.size());
  bool differs = false;
  for (std::size_t i = 0; i < a.tasks.size(); ++i) {
    EXPECT_EQ(a.tasks[i].factors, b.tasks[i].factors);
    EXPECT_EQ(a.tasks[i].train.texts, b.tasks[i].train.texts);
    EXPECT_EQ(a.tasks[i].test.labels, b.tasks[i].test.labels);
    differs = differs || a.tasks[i].train.texts != c.tasks[i].train.texts;
  }
  EXPECT_TRUE(differs);
}

TEST(SyntheticTextTasks, WritesLoadableCsvsAManifestAndTheTruth) {
  testing::TempDir dir;
  SyntheticTextSpec spec;
  spec.sources = 4;
  spec.train = 40;
  spec.dev = spec.test = 10;
  const auto family = make_synthetic_text_tasks(spec);
  write_synthetic_text_tasks(dir.path(), family, spec);
  const auto manifest = nlohmann::json::parse(testing::read_text(dir / "manifest.json"));
  ASSERT_EQ(manifest["tasks"].size(), 5u);
  for (std::size_t i = 0; i < family.tasks.size(); ++i) {
    const auto& task = family.tasks[i];
    EXPECT_EQ(manifest["tasks"][i]["name"], task.name);
    const Dataset train = load_dataset(dir.path() / manifest["tasks"][i]["train"].get<std::string>());
    ASSERT_EQ(train.size(), 40u);
    for (std::size_t r = 0; r < train.size(); ++r) {
      EXPECT_EQ(train.texts[r], task.train.texts[r]);
      EXPECT_EQ(train.label_names[train.label_ids[r]], task.label_names[task.train.labels[r]]);
    }
  }
  const std::string truth = testing::read_text(dir / "truth.csv");
  EXPECT_EQ(std::count(truth.begin(), truth.end(), '\n'), 1 + 4);  // header + target1 × 4 sources
  EXPECT_THROW(make_synthetic_text_tasks({.sources = 0}), UsageError);
  EXPECT_THROW(make_synthetic_text_tasks({.max_task_factors = 3}), UsageError);
}

}  // namespace
}  // namespace taskscout
