#include "taskscout/compose/transfer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "taskscout/core/error.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/io/scratch_dir.hpp"
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

}  // namespace

TransferReport run_transfer(const fs::path& registry, const fs::path& base, const TransferTarget& target,
                            const TransferOptions& o, const TransferProgress& progress) {
  if (o.k == 0) throw UsageError("--k must be at least 1");
  if (o.seeds == 0) throw UsageError("--seeds must be at least 1");
  if (o.compose.empty()) throw UsageError("--compose names no composition");
  std::vector<CompositionMethod> methods;
  for (const std::string& name : o.compose) methods.push_back(parse_composition_method(name));
  find_rank_method(o.rank_method);
  if (target.test.size() == 0) throw InputError(fmt::format("{}: the test split is empty", target.name));
  Stopwatch watch;

  TransferReport report;
  report.ranking = top_registry_sources(registry, base, target.train, o.k, o.rank_method);
  report.candidates = report.ranking.candidates.size();
  if (report.ranking.names.size() < o.k)
    throw InputError(fmt::format("{} ranked {} adapter sources of {}; composing {} needs as many (lower --k)",
                                 o.rank_method, report.ranking.names.size(), registry.string(), o.k));

  text::Tokenizer tokenizer = text::Tokenizer::from_folder(base);
  ScratchDir scratch("taskscout-transfer");
  TransferArm baseline, best;
  baseline.name = "target-only";
  best.name = "best-source";
  std::vector<TransferArm> top(methods.size()), random(methods.size());
  for (std::size_t m = 0; m < methods.size(); ++m) {
    top[m].name = fmt::format("top-{} {}", o.k, composition_method_name(methods[m]));
    random[m].name = fmt::format("random-{} {}", o.k, composition_method_name(methods[m]));
  }

  // The ranking's first source as an adapter folder, for best-source to start from.
  const std::vector<AdapterSource> top_sources = registry_adapters(registry, report.ranking.names, base);
  const fs::path first = scratch.path() / "best-source";
  save_task_model(first, top_sources.front().model);

  auto test = [&](const TaskModel& model) {
    const TokenizedTexts texts =
        tokenize_texts(tokenizer, target.test.texts, target.test.text_pairs, model.max_length, target.test.path);
    return evaluate_task_model(model, texts, target.test, 64);
  };
  auto record = [&](TransferArm& row, std::uint64_t seed, std::vector<std::string> sources, const FineTuneResult& r,
                    double seconds) {
    if (r.interrupted) throw Error(fmt::format("interrupted during {} (seed {})", row.name, seed));
    row.runs.push_back({seed, std::move(sources), test(r.model), seconds});
  };

  for (std::size_t i = 0; i < o.seeds; ++i) {
    const std::uint64_t seed = o.seed + i;
    FineTuneOptions adapter = o.training;
    adapter.method = FineTuneMethod::Adapter;
    adapter.seed = seed;
    adapter.adapter = top_sources.front().model.adapter;  // the sources' placement and width
    ComposeOptions compose;
    compose.training = o.training;
    compose.training.seed = seed;

    auto timed = [&](TransferArm& row, std::vector<std::string> sources, const std::function<FineTuneResult()>& train) {
      if (progress.run) progress.run(row.name, seed);
      Stopwatch run;
      const FineTuneResult r = train();
      record(row, seed, std::move(sources), r, run.seconds());
    };
    timed(baseline, {}, [&] { return fine_tune(base, target.train, target.dev, adapter, progress.training); });
    timed(best, {report.ranking.names.front()}, [&] {
      FineTuneOptions from = adapter;
      from.init_from = first;
      return fine_tune(base, target.train, target.dev, from, progress.training);
    });
    const std::vector<std::string> drawn = random_sources(report.ranking.candidates, o.k, seed);
    const std::vector<AdapterSource> drawn_sources =
        o.random_row ? registry_adapters(registry, drawn, base) : std::vector<AdapterSource>{};
    for (std::size_t m = 0; m < methods.size(); ++m) {
      compose.method = methods[m];
      timed(top[m], report.ranking.names,
            [&] { return compose_adapters(base, top_sources, target.train, target.dev, compose, progress.training); });
      if (o.random_row)
        timed(random[m], drawn, [&] {
          return compose_adapters(base, drawn_sources, target.train, target.dev, compose, progress.training);
        });
    }
  }
  report.rows = {baseline, best};
  for (std::size_t m = 0; m < methods.size(); ++m) {
    report.rows.push_back(top[m]);
    if (o.random_row) report.rows.push_back(random[m]);
  }
  for (TransferArm& row : report.rows) summarize(row);
  for (TransferArm& row : report.rows) row.gain = row.accuracy_mean - report.rows.front().accuracy_mean;
  report.seconds = watch.seconds();
  return report;
}

}  // namespace taskscout
