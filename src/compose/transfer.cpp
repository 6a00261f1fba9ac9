#include "taskscout/compose/transfer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "taskscout/compose/merge.hpp"
#include "taskscout/compose/merge_method.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/io/scratch_dir.hpp"
#include "taskscout/registry/registry.hpp"
#include "taskscout/text/tokenizer.hpp"

namespace fs = std::filesystem;

namespace taskscout {

namespace {

void mean_sd(const std::vector<double>& v, double& mean, double& sd) {
  mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  sd = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0;  // sample standard deviation
}

void summarize(TransferArm& row) {
  std::vector<double> accuracy, f1;
  for (const TransferTrial& r : row.runs) {
    accuracy.push_back(r.test.get("accuracy"));
    f1.push_back(r.test.get("macro_f1"));
  }
  mean_sd(accuracy, row.accuracy_mean, row.accuracy_sd);
  mean_sd(f1, row.macro_f1_mean, row.macro_f1_sd);
}

// k of the candidates drawn without replacement, seeded.
std::vector<std::string> random_sources(std::vector<std::string> candidates, std::size_t k, std::uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x7261'6e64'6f6dULL);  // its own stream, not the training's
  std::shuffle(candidates.begin(), candidates.end(), rng);
  candidates.resize(k);
  return candidates;
}

constexpr std::string_view kMergePrefix = "merge-";

bool is_merge(const std::string& name) { return name.rfind(kMergePrefix, 0) == 0; }

// A merge method's settings for transfer: the mean task vector for linear and task
// arithmetic (weights 1/k), TIES' and DARE's 20% density (Yadav et al. 2023), breadcrumbs'
// 90% with 1% of the largest dropped; λ = 1.
MergeOptions merge_options(const std::string& method, std::size_t k, std::uint64_t seed) {
  MergeOptions m;
  m.method = method;
  m.seed = seed;
  m.fold_lora = true;
  if (method == "linear" || method == "task-arithmetic" || method == "dare-linear" || method == "fisher")
    m.weights.assign(k, 1.0 / static_cast<double>(k));
  if (method == "ties" || method == "dare-ties" || method == "dare-linear") m.density = 0.2;
  if (method == "breadcrumbs") m.density = 0.9;
  return m;
}

}  // namespace

TransferReport run_transfer(const fs::path& registry, const fs::path& base, const TransferTarget& target,
                            const TransferOptions& o, const TransferProgress& progress) {
  if (o.k == 0) throw UsageError(opt("k") + " must be at least 1");
  if (o.seeds == 0) throw UsageError(opt("seeds") + " must be at least 1");
  if (o.compose.empty()) throw UsageError(opt("compose") + " names no composition");
  // One family per run: adapters composed, or full models merged; each has its own baseline.
  const bool merging = is_merge(o.compose.front());
  std::vector<CompositionMethod> compositions;
  std::vector<std::string> merges;
  for (const std::string& name : o.compose) {
    if (is_merge(name) != merging)
      throw UsageError(
          fmt::format("{} mixes compositions of adapters and merges of full models (\"{}\", \"{}\"); they need "
                      "different sources and baselines: run transfer once for each",
                      opt("compose"), o.compose.front(), name));
    if (merging) {
      merges.push_back(name.substr(kMergePrefix.size()));
      try {
        find_merge_method(merges.back());
      } catch (const UsageError& e) {
        throw UsageError(fmt::format("{} {}: {}", opt("compose"), name, e.what()));
      }
    } else {
      compositions.push_back(parse_composition_method(name));
    }
  }
  find_rank_method(o.rank_method);
  if (target.test.size() == 0) throw InputError(fmt::format("{}: the test split is empty", target.name));
  Stopwatch watch;

  // Compositions take the adapter sources, or the LoRA sources when there are no adapters.
  const std::string_view kind = merging ? artifact_kind::kFullModel : composable_kind(registry);
  const bool lora = kind == artifact_kind::kLora;
  for (const std::string& name : o.compose)
    if (lora && !merging && parse_composition_method(name) == CompositionMethod::Fusion)
      throw UsageError(fmt::format(
          "{} fusion: the composable sources of {} are LoRAs (it has no adapter sources) and AdapterFusion needs "
          "adapters; use scalearn, scalearn-uniform, scalearn++ or scalearn-uniform++",
          opt("compose"), registry.string()));
  TransferReport report;
  report.ranking = top_registry_sources(registry, base, target.train, o.k, o.rank_method, kind);
  report.candidates = report.ranking.candidates.size();
  if (report.ranking.names.size() < o.k)
    throw InputError(fmt::format("{} ranked {} {} sources of {}; combining {} needs as many (lower {})", o.rank_method,
                                 report.ranking.names.size(), kind, registry.string(), o.k, opt("k")));

  text::Tokenizer tokenizer = text::Tokenizer::from_folder(base);
  ScratchDir scratch("taskscout-transfer");
  const Registry opened = Registry::open(registry);
  TransferArm baseline, best;
  baseline.name = "target-only";
  best.name = "best-source";
  const std::size_t arms = o.compose.size();
  std::vector<TransferArm> top(arms), random(arms);
  for (std::size_t m = 0; m < arms; ++m) {
    top[m].name = fmt::format("top-{} {}", o.k, o.compose[m]);
    random[m].name = fmt::format("random-{} {}", o.k, o.compose[m]);
  }

  // The top sources, loaded once: adapters or LoRAs for composing, or full-model folders for
  // merging (the first is also best-source's start).
  std::vector<ComposeSource> top_adapters;
  RegistryMergeSources top_models;
  fs::path first;
  if (merging) {
    top_models = registry_merge_sources(opened, report.ranking.names, base);
    first = top_models.sources.front().folder;
  } else {
    top_adapters = registry_sources(registry, report.ranking.names, base);
    first = scratch.path() / "best-source";
    save_task_model(first, top_adapters.front().model);
  }

  // The test split is tokenized once per sequence length (every arm has the base's), not per run.
  std::map<std::size_t, TokenizedTexts> test_texts;
  auto test = [&](const TaskModel& model) {
    auto texts = test_texts.find(model.max_length);
    if (texts == test_texts.end())
      texts = test_texts
                  .emplace(model.max_length, tokenize_texts(tokenizer, target.test.texts, target.test.text_pairs,
                                                            model.max_length, target.test.path))
                  .first;
    return evaluate_task_model(model, texts->second, target.test, 64);
  };

  for (std::size_t i = 0; i < o.seeds; ++i) {
    const std::uint64_t seed = o.seed + i;
    FineTuneOptions tune = o.training;
    tune.seed = seed;
    tune.method = merging ? FineTuneMethod::Full : lora ? FineTuneMethod::Lora : FineTuneMethod::Adapter;
    if (!merging) {  // the sources' placement and width, or rank, alpha and targets
      tune.adapter = top_adapters.front().model.adapter;
      tune.lora = top_adapters.front().model.lora;
    }
    ComposeOptions compose;
    compose.training = o.training;
    compose.training.seed = seed;

    auto timed = [&](TransferArm& arm, std::vector<std::string> sources, const std::function<FineTuneResult()>& train) {
      if (progress.run) progress.run(arm.name, seed);
      Stopwatch run;
      const FineTuneResult r = train();
      if (r.interrupted) throw Error(fmt::format("interrupted during {} (seed {})", arm.name, seed));
      arm.runs.push_back({seed, std::move(sources), test(r.model), run.seconds()});
    };
    timed(baseline, {}, [&] { return fine_tune(base, target.train, target.dev, tune, progress.training); });
    timed(best, {report.ranking.names.front()}, [&] {
      FineTuneOptions from = tune;
      if (merging) return fine_tune(first, target.train, target.dev, from, progress.training);
      from.init_from = first;
      return fine_tune(base, target.train, target.dev, from, progress.training);
    });

    const std::vector<std::string> drawn = random_sources(report.ranking.candidates, o.k, seed);
    std::vector<ComposeSource> drawn_adapters;
    RegistryMergeSources drawn_models;
    if (o.random_row) {
      if (merging)
        drawn_models = registry_merge_sources(opened, drawn, base);
      else
        drawn_adapters = registry_sources(registry, drawn, base);
    }
    // One arm: the sources composed, or merged into a base that is then fine-tuned.
    auto combine = [&](std::size_t m, const std::vector<ComposeSource>& adapters, const RegistryMergeSources& models,
                       const std::string& tag) {
      if (!merging) {
        compose.method = compositions[m];
        return compose_sources(base, adapters, target.train, target.dev, compose, progress.training);
      }
      const fs::path merged = scratch.path() / fmt::format("{}-{}-{}", tag, merges[m], seed);
      merge_models(models.sources, base, merged, merge_options(merges[m], o.k, seed));
      const FineTuneResult r = fine_tune(merged, target.train, target.dev, tune, progress.training);
      fs::remove_all(merged);
      return r;
    };
    for (std::size_t m = 0; m < arms; ++m) {
      timed(top[m], report.ranking.names, [&] { return combine(m, top_adapters, top_models, "top"); });
      if (o.random_row) timed(random[m], drawn, [&] { return combine(m, drawn_adapters, drawn_models, "random"); });
    }
  }
  report.rows = {baseline, best};
  for (std::size_t m = 0; m < arms; ++m) {
    report.rows.push_back(top[m]);
    if (o.random_row) report.rows.push_back(random[m]);
  }
  for (TransferArm& row : report.rows) summarize(row);
  for (TransferArm& row : report.rows) row.gain = row.accuracy_mean - report.rows.front().accuracy_mean;
  report.seconds = watch.seconds();
  return report;
}

}  // namespace taskscout
