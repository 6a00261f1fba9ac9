#pragma once
// A procedural family of small English text classification tasks with known shared
// latent factors, for the end-to-end demo (register → rank) and its tests.
//
// Every sentence realizes one value of each of several latent factors through disjoint
// word lists — sentiment (great / awful …), topic (match / concert / soup …), negation
// (really / not …), tense (was + yesterday / is + today …), speaker (i think / she said …),
// certainty (clearly / perhaps …) — in one of a few templates, e.g.
//   "i think the concert was clearly not wonderful yesterday ."
// Factor values are drawn independently per sentence. A task's label is the value of one
// factor, or the pair of values of two ("positive+past"); a share of labels
// (label_noise) is redrawn uniformly. A model fine-tuned on a source therefore learns
// the source's factors, and a source should transfer to a target when they share one.
//
// The generator guarantees that the first target's factor is shared by some sources
// (at least one in four) and not by the others, so a ranking has something to recover.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace taskscout {

struct SyntheticTextFactor {
  std::string name;
  std::vector<std::string> values;              // value names, e.g. {"positive", "negative"}
  std::vector<std::vector<std::string>> words;  // per value: the words that realize it
};

// The factors every sentence carries. Word lists are disjoint across all values of all
// factors and from the template words, so a sentence's factor values can be read back.
const std::vector<SyntheticTextFactor>& synthetic_text_factors();

struct SyntheticTextSpec {
  int sources = 8;
  int targets = 1;
  std::size_t train = 400, dev = 100, test = 200;  // rows per split of every task
  int max_task_factors = 2;                        // each source depends on 1..this many factors
  double label_noise = 0.05;                       // share of labels redrawn at random
  std::uint64_t seed = 0;
};

struct SyntheticTextSplit {
  std::vector<std::string> texts;
  std::vector<std::int64_t> labels;             // index into the task's label_names
  std::vector<std::vector<int>> factor_values;  // per row: the value index of every factor
};

struct SyntheticTextTask {
  std::string name;  // "target1", "source01", …
  bool target = false;
  std::vector<int> factors;  // indices into synthetic_text_factors(), increasing
  std::vector<std::string> label_names;
  SyntheticTextSplit train, dev, test;
};

struct SyntheticTextFamily {
  std::vector<SyntheticTextTask> tasks;  // the targets, then the sources
};

// Deterministic for a spec. UsageError for fewer than 1 source or target, an empty split,
// max_task_factors outside [1, 2], or label_noise outside [0, 1].
SyntheticTextFamily make_synthetic_text_tasks(const SyntheticTextSpec& spec);

// The label a task's factors give for a row's factor values (before label noise).
std::int64_t synthetic_text_label(const SyntheticTextTask& task, const std::vector<int>& factor_values);

// How many factors two tasks share.
int shared_text_factors(const SyntheticTextTask& a, const SyntheticTextTask& b);

// Writes TASK/{train,dev,test}.csv (text,label), manifest.json (factors, and per task its
// factors, labels and files) and truth.csv (target, source, shared_factors, the factor
// names of each) under `folder`, each file atomically.
void write_synthetic_text_tasks(const std::filesystem::path& folder, const SyntheticTextFamily& family,
                                const SyntheticTextSpec& spec);

}  // namespace taskscout
