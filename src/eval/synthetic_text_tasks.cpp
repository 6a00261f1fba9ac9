// A procedural family of text classification tasks with known shared factors (see
// synthetic_text_tasks.hpp).
#include "taskscout/eval/synthetic_text_tasks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "taskscout/core/error.hpp"
#include "taskscout/io/atomic_file.hpp"

namespace taskscout {
namespace {

using Rng = std::mt19937_64;

enum FactorIndex { kSentiment, kTopic, kNegation, kTense, kSpeaker, kCertainty, kFactorCount };

// Neutral words that carry no factor, to vary the sentences.
const std::vector<std::string> kAdverbials{"overall", "honestly", "again", "somehow", "frankly"};

std::size_t pick(Rng& rng, std::size_t n) { return static_cast<std::size_t>(rng() % n); }

const std::string& word(Rng& rng, const SyntheticTextFactor& factor, int value) {
  const auto& words = factor.words[static_cast<std::size_t>(value)];
  return words[pick(rng, words.size())];
}

// One sentence for the given factor values, in one of three templates.
std::string sentence(Rng& rng, const std::vector<int>& v) {
  const auto& f = synthetic_text_factors();
  const std::string speaker = word(rng, f[kSpeaker], v[kSpeaker]) + " said";
  const std::string& topic = word(rng, f[kTopic], v[kTopic]);
  const std::string& verb = word(rng, f[kTense], v[kTense]);
  const std::string& certainty = word(rng, f[kCertainty], v[kCertainty]);
  const std::string& negation = word(rng, f[kNegation], v[kNegation]);
  const std::string& adjective = word(rng, f[kSentiment], v[kSentiment]);
  const std::string& adverbial = kAdverbials[pick(rng, kAdverbials.size())];
  switch (pick(rng, 3)) {
    case 0:
      return fmt::format("{} the {} {} {} {} {} .", speaker, topic, verb, certainty, negation, adjective);
    case 1:
      return fmt::format("{} the {} {} {} {} and {} so {} .", adverbial, topic, verb, negation, adjective, certainty,
                         speaker);
    default:
      return fmt::format("{} that the {} {} {} {} {} .", speaker, topic, verb, negation, adjective,
                         adverbial + " " + certainty);
  }
}

std::vector<std::string> label_names(const std::vector<int>& factors) {
  const auto& f = synthetic_text_factors();
  std::vector<std::string> names{""};
  for (int factor : factors) {
    std::vector<std::string> next;
    for (const std::string& prefix : names)
      for (const std::string& value : f[static_cast<std::size_t>(factor)].values)
        next.push_back(prefix.empty() ? value : prefix + "+" + value);
    names = std::move(next);
  }
  return names;
}

SyntheticTextSplit make_split(const SyntheticTextTask& task, std::size_t rows, double label_noise, Rng& rng) {
  const auto& f = synthetic_text_factors();
  const auto classes = static_cast<std::int64_t>(task.label_names.size());
  std::uniform_real_distribution<double> uniform(0, 1);
  SyntheticTextSplit split;
  for (std::size_t r = 0; r < rows; ++r) {
    std::vector<int> values(f.size());
    for (std::size_t k = 0; k < f.size(); ++k) values[k] = static_cast<int>(pick(rng, f[k].values.size()));
    split.texts.push_back(sentence(rng, values));
    std::int64_t label = synthetic_text_label(task, values);
    if (uniform(rng) < label_noise) label = static_cast<std::int64_t>(pick(rng, static_cast<std::size_t>(classes)));
    split.labels.push_back(label);
    split.factor_values.push_back(std::move(values));
  }
  return split;
}

// A factor other than those in `excluded`.
int other_factor(Rng& rng, const std::vector<int>& excluded) {
  std::vector<int> allowed;
  for (int k = 0; k < kFactorCount; ++k)
    if (std::find(excluded.begin(), excluded.end(), k) == excluded.end()) allowed.push_back(k);
  return allowed[pick(rng, allowed.size())];
}

std::string csv_of(const SyntheticTextSplit& split, const std::vector<std::string>& labels) {
  std::string csv = "text,label\n";
  for (std::size_t r = 0; r < split.texts.size(); ++r)
    csv += split.texts[r] + "," + labels[static_cast<std::size_t>(split.labels[r])] + "\n";  // no commas or quotes
  return csv;
}

std::string factor_names(const SyntheticTextTask& task) {
  std::string names;
  for (int k : task.factors)
    names += (names.empty() ? "" : "+") + synthetic_text_factors()[static_cast<std::size_t>(k)].name;
  return names;
}

}  // namespace

const std::vector<SyntheticTextFactor>& synthetic_text_factors() {
  static const std::vector<SyntheticTextFactor> factors = {
      {"sentiment",
       {"positive", "negative"},
       {{"great", "wonderful", "pleasant", "excellent", "lovely", "superb"},
        {"terrible", "awful", "boring", "dreadful", "poor", "dull"}}},
      {"topic",
       {"sports", "music", "food"},
       {{"match", "team", "race", "game"}, {"concert", "album", "song", "band"}, {"dinner", "soup", "cake", "meal"}}},
      {"negation", {"affirmed", "negated"}, {{"really", "truly", "quite"}, {"not", "never", "hardly"}}},
      {"tense", {"past", "present"}, {{"was", "seemed", "felt"}, {"is", "seems", "feels"}}},
      {"speaker", {"first_person", "third_person"}, {{"i", "we"}, {"she", "he", "they"}}},
      {"certainty", {"certain", "hedged"}, {{"clearly", "definitely", "surely"}, {"perhaps", "maybe", "probably"}}},
  };
  return factors;
}

std::int64_t synthetic_text_label(const SyntheticTextTask& task, const std::vector<int>& values) {
  const auto& f = synthetic_text_factors();
  std::int64_t label = 0;
  for (int k : task.factors) {
    const auto index = static_cast<std::size_t>(k);
    label = label * static_cast<std::int64_t>(f[index].values.size()) + values.at(index);
  }
  return label;
}

int shared_text_factors(const SyntheticTextTask& a, const SyntheticTextTask& b) {
  int shared = 0;
  for (int k : a.factors) shared += std::count(b.factors.begin(), b.factors.end(), k) > 0;
  return shared;
}

SyntheticTextFamily make_synthetic_text_tasks(const SyntheticTextSpec& s) {
  if (s.sources < 1 || s.targets < 1 || s.train < 1 || s.dev < 1 || s.test < 1)
    throw UsageError("synthetic text tasks: need at least 1 source, 1 target and 1 row per split");
  if (s.max_task_factors < 1 || s.max_task_factors > 2)
    throw UsageError(fmt::format("synthetic text tasks: a task depends on 1 or 2 factors, not {}", s.max_task_factors));
  if (!(s.label_noise >= 0 && s.label_noise <= 1))
    throw UsageError(fmt::format("synthetic text tasks: the label noise must lie in [0, 1], not {}", s.label_noise));
  Rng rng(s.seed);
  SyntheticTextFamily family;
  for (int t = 0; t < s.targets; ++t) {
    SyntheticTextTask task;
    task.name = fmt::format("target{}", t + 1);
    task.target = true;
    task.factors = {other_factor(rng, {})};
    family.tasks.push_back(std::move(task));
  }
  // Sources: the first quarter (at least one) share the first target's factor, the rest
  // avoid it; their order is then shuffled so that names say nothing.
  const int focus = family.tasks.front().factors.front();
  const int related = std::max(1, s.sources / 4);
  std::vector<SyntheticTextTask> sources;
  for (int j = 0; j < s.sources; ++j) {
    SyntheticTextTask task;
    task.factors = {j < related ? focus : other_factor(rng, {focus})};
    if (s.max_task_factors == 2 && rng() % 2) task.factors.push_back(other_factor(rng, {focus, task.factors[0]}));
    std::sort(task.factors.begin(), task.factors.end());
    sources.push_back(std::move(task));
  }
  std::shuffle(sources.begin(), sources.end(), rng);
  for (std::size_t j = 0; j < sources.size(); ++j) {
    sources[j].name = fmt::format("source{:02}", j + 1);
    family.tasks.push_back(std::move(sources[j]));
  }
  for (std::size_t i = 0; i < family.tasks.size(); ++i) {
    SyntheticTextTask& task = family.tasks[i];
    task.label_names = label_names(task.factors);
    // One stream per task, so a task's rows do not depend on how many tasks come before.
    Rng rows(s.seed * 1'000'003ULL + 7919ULL * (i + 1));
    task.train = make_split(task, s.train, s.label_noise, rows);
    task.dev = make_split(task, s.dev, s.label_noise, rows);
    task.test = make_split(task, s.test, s.label_noise, rows);
  }
  return family;
}

void write_synthetic_text_tasks(const std::filesystem::path& folder, const SyntheticTextFamily& family,
                                const SyntheticTextSpec& spec) {
  namespace fs = std::filesystem;
  nlohmann::ordered_json factors = nlohmann::ordered_json::array();
  for (const auto& f : synthetic_text_factors())
    factors.push_back({{"name", f.name}, {"values", f.values}, {"words", f.words}});
  nlohmann::ordered_json tasks = nlohmann::ordered_json::array();
  for (const auto& task : family.tasks) {
    std::error_code ec;
    fs::create_directories(folder / task.name, ec);
    if (ec) throw IoError(location((folder / task.name).string()) + "cannot create the folder: " + ec.message());
    for (const auto& [split, rows] : {std::pair{"train", &task.train}, {"dev", &task.dev}, {"test", &task.test}})
      write_file_atomically(folder / task.name / (std::string(split) + ".csv"), csv_of(*rows, task.label_names));
    std::vector<std::string> names;
    for (int k : task.factors) names.push_back(synthetic_text_factors()[static_cast<std::size_t>(k)].name);
    tasks.push_back({{"name", task.name},
                     {"role", task.target ? "target" : "source"},
                     {"factors", names},
                     {"labels", task.label_names},
                     {"train", task.name + "/train.csv"},
                     {"dev", task.name + "/dev.csv"},
                     {"test", task.name + "/test.csv"}});
  }
  const nlohmann::ordered_json manifest = {{"generator", "taskscout synth --text-tasks"},
                                           {"seed", spec.seed},
                                           {"label_noise", spec.label_noise},
                                           {"rows", {{"train", spec.train}, {"dev", spec.dev}, {"test", spec.test}}},
                                           {"factors", factors},
                                           {"tasks", tasks}};
  write_file_atomically(folder / "manifest.json", manifest.dump(2) + "\n");
  std::string truth = "target,source,shared_factors,target_factors,source_factors\n";
  for (const auto& t : family.tasks)
    if (t.target)
      for (const auto& s : family.tasks)
        if (!s.target)
          truth += fmt::format("{},{},{},{},{}\n", t.name, s.name, shared_text_factors(t, s), factor_names(t),
                               factor_names(s));
  write_file_atomically(folder / "truth.csv", truth);
}

}  // namespace taskscout
