// The transfer benchmark (see transfer_benchmark.hpp): sources fine-tuned and registered,
// target runs from each source and from the base, every ranker over the same pool.
#include "taskscout/eval/transfer_benchmark.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "taskscout/core/cluster.hpp"
#include "taskscout/core/distributed_work.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/eval/task_suite.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/io/json_error.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "taskscout/io/table.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "taskscout/registry/registry.hpp"
#include "taskscout/registry/staging.hpp"
#include "taskscout/select/combined_ranker.hpp"
#include "taskscout/select/rank.hpp"
#include "taskscout/select/registration.hpp"
#include "taskscout/train/fine_tune.hpp"

namespace taskscout {

namespace fs = std::filesystem;

void apply_quick_settings(TransferBenchmarkOptions& o) {
  o.target_examples = std::min<std::size_t>(o.target_examples, 200);
  o.source_examples = o.source_examples == 0 ? 600 : std::min<std::size_t>(o.source_examples, 600);
  o.dev_examples = o.dev_examples == 0 ? 200 : std::min<std::size_t>(o.dev_examples, 200);
  o.test_examples = o.test_examples == 0 ? 300 : std::min<std::size_t>(o.test_examples, 300);
  o.seeds = std::min<std::size_t>(o.seeds, 2);
  o.max_tasks = o.max_tasks == 0 ? 4 : std::min<std::size_t>(o.max_tasks, 4);
  o.epochs = 1;
  o.source_epochs = 1;
}

namespace {

// A task's splits as the benchmark uses them: the row subsets, with dev and test labels
// checked against the train split's.
struct LoadedTask {
  TaskSpec spec;
  Dataset train, dev, test;  // subsets: train as a target's (target_examples) or a source's
  Dataset source_train;      // the source's training rows (source_examples)
  nlohmann::ordered_json fingerprints;
};

LoadedTask load_task(const TaskSpec& spec, const TransferBenchmarkOptions& o) {
  LoadedTask t;
  t.spec = spec;
  DatasetOptions options;
  options.text_column = spec.text_column;
  options.label_column = spec.label_column;
  const Dataset train = load_dataset(spec.train, options);
  options.label_names = train.label_names;  // a dev or test label the train split lacks is an error naming its line
  const Dataset dev = load_dataset(spec.dev, options);
  const Dataset test = load_dataset(spec.test, options);
  t.fingerprints = {
      {"train", dataset_fingerprint(train)}, {"dev", dataset_fingerprint(dev)}, {"test", dataset_fingerprint(test)}};
  auto cap = [](std::size_t n) { return n == 0 ? std::numeric_limits<std::size_t>::max() : n; };
  t.train = select_rows(train, sample_rows(train.size(), cap(o.target_examples), o.seed));
  t.source_train = select_rows(train, sample_rows(train.size(), cap(o.source_examples), o.seed));
  t.dev = select_rows(dev, sample_rows(dev.size(), cap(o.dev_examples), o.seed));
  t.test = select_rows(test, sample_rows(test.size(), cap(o.test_examples), o.seed));
  return t;
}

void check_target(const LoadedTask& t) {
  std::set<std::int64_t> classes(t.train.label_ids.begin(), t.train.label_ids.end());
  if (classes.size() < 2)
    throw InputError(
        fmt::format("{}: target '{}' has a single class among its training rows; a target needs two "
                    "or more (raise --target-examples or drop it with --targets)",
                    t.spec.train.string(), t.spec.name));
}

// What the results depend on, beyond the task data (whose fingerprints config.json keeps
// per task): its digest tags every run.
nlohmann::ordered_json settings_json(const TransferBenchmarkOptions& o, const std::string& base_fingerprint) {
  return {{"format", "taskscout-transfer-benchmark"},
          {"version", 1},
          {"base_fingerprint", base_fingerprint},
          {"method", o.method},
          {"target_examples", o.target_examples},
          {"source_examples", o.source_examples},
          {"dev_examples", o.dev_examples},
          {"test_examples", o.test_examples},
          {"seed", o.seed},
          {"epochs", o.epochs},
          {"source_epochs", o.source_epochs},
          {"batch_size", o.batch_size},
          {"learning_rate", o.learning_rate},
          {"max_length", o.max_length}};
}

// Creates config.json, or checks the folder's against this run: the settings must be the
// same, and every task both know must have the same data. New tasks are added.
std::string settle_config(const fs::path& out, const nlohmann::ordered_json& settings,
                          const std::map<std::string, LoadedTask>& tasks) {
  const std::string digest = [&] {
    Sha256 h;
    h.update(settings.dump());
    return h.finish_hex();
  }();
  const fs::path file = out / "config.json";
  nlohmann::ordered_json config = {
      {"digest", digest}, {"settings", settings}, {"tasks", nlohmann::ordered_json::object()}};
  if (fs::exists(file)) {
    nlohmann::ordered_json old;
    try {
      old = nlohmann::ordered_json::parse(MappedFile(file).text());
    } catch (const nlohmann::json::exception& e) {
      throw InputError(location(file.string()) + "not a benchmark configuration (" + json_error_text(e) +
                       "); use another output folder");
    }
    if (!old.contains("settings") || !old["settings"].is_object() || !old.contains("tasks"))
      throw InputError(location(file.string()) + "not a benchmark configuration; use another output folder");
    std::string differ;
    for (const auto& [key, value] : settings.items())
      if (!old["settings"].contains(key) || old["settings"][key] != value)
        differ += fmt::format("{}{} {} (now {})", differ.empty() ? "" : ", ", key,
                              old["settings"].contains(key) ? old["settings"][key].dump() : "absent", value.dump());
    if (!differ.empty())
      throw InputError(
          fmt::format("{}this folder was measured with other settings: {}; results are never mixed: "
                      "use another --out, or the same settings",
                      out.string(), differ));
    config["tasks"] = old["tasks"];
  }
  for (const auto& [name, t] : tasks) {
    auto& known = config["tasks"];
    if (known.contains(t.spec.name) && known[t.spec.name] != t.fingerprints)
      throw InputError(
          fmt::format("{}: task '{}' has other data than when this folder was measured (its train, dev "
                      "or test file changed); use another --out",
                      out.string(), t.spec.name));
    known[t.spec.name] = t.fingerprints;
  }
  write_file_atomically(file, config.dump(1) + "\n");
  return digest;
}

FineTuneOptions fine_tune_options(const TransferBenchmarkOptions& o, std::int64_t epochs, std::uint64_t seed) {
  FineTuneOptions f;
  f.method = parse_fine_tune_method(o.method);
  f.epochs = epochs;
  f.batch_size = o.batch_size;
  f.learning_rate = o.learning_rate;
  f.max_length = o.max_length;
  f.seed = seed;
  return f;
}

// Runs `count` jobs on `workers` threads, each with threads/workers libtorch threads;
// the first exception stops the others and is rethrown.
void run_parallel(std::size_t count, int workers, int threads, const std::function<void(std::size_t)>& job) {
  workers = std::max(1, std::min<int>(workers, static_cast<int>(count)));
  if (workers <= 1) {
    for (std::size_t i = 0; i < count; ++i) job(i);
    return;
  }
  const int per_worker = std::max(1, threads / workers);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    set_thread_count(per_worker);  // this thread's OpenMP team, and BLAS (the same for every worker)
    for (std::size_t i = next++; i < count && !failed; i = next++) {
      try {
        job(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  set_thread_count(threads);
  if (error) std::rethrow_exception(error);
}

struct Phase {
  const BenchmarkProgress& progress;
  std::mutex mutex;
  Phase(const BenchmarkProgress& p, const std::string& name, std::int64_t total) : progress(p) {
    if (progress.start) progress.start(name, total);
  }
  ~Phase() {
    if (progress.finish) progress.finish();
  }
  void done(const std::string& what, const std::string& result) {
    std::lock_guard lock(mutex);
    if (progress.done) progress.done(what, result);
  }
};

std::string pair_name(const std::string& target, const std::string& source) {
  return source.empty() ? target + " (target only)" : target + " from " + source;
}

std::string number(double v) { return std::isfinite(v) ? fmt::format("{:.9g}", v) : ""; }

// The combined ranker, judged fairly: each target's "combined" scores come from weights
// fitted on the other targets only (leave one target out), so it is never scored on a
// target it saw. The weights fitted on every target go to `file`, for rank --method
// combined --combined-weights.
void fit_combined(std::map<std::string, std::map<std::string, std::map<std::string, double>>>& scored,
                  const std::map<std::string, const TransferCell*>& truth, const fs::path& file,
                  const BenchmarkProgress& progress) {
  const std::vector<std::string> features = CombinedRanker::builtin().features;
  auto training_target = [&](const std::string& target) {
    CombinedTrainingTarget t;
    t.target = target;
    t.signals.assign(features.size(), {});
    for (const auto& [source, by_method] : scored.at(target)) {
      for (std::size_t f = 0; f < features.size(); ++f) {
        const auto it = by_method.find(features[f]);
        t.signals[f].push_back(it == by_method.end() ? std::numeric_limits<double>::quiet_NaN() : it->second);
      }
      t.truth.push_back(truth.at(target + '\n' + source)->macro_f1);
    }
    return t;
  };
  std::vector<CombinedTrainingTarget> all;
  for (const auto& [target, sources] : scored) all.push_back(training_target(target));
  for (std::size_t held = 0; held < all.size(); ++held) {
    std::vector<CombinedTrainingTarget> others;
    for (std::size_t i = 0; i < all.size(); ++i)
      if (i != held) others.push_back(all[i]);
    auto& by_source = scored.at(all[held].target);
    for (auto& [source, by_method] : by_source) by_method.erase("combined");
    if (others.empty()) continue;  // one target: nothing to learn from
    CombinedRanker fitted;
    try {
      fitted = fit_combined_ranker(features, others);
    } catch (const UsageError&) {
      continue;  // no other target has complete signals
    }
    const std::vector<double> combined = fitted.score(all[held].signals);
    std::size_t i = 0;
    for (auto& [source, by_method] : by_source) {
      if (std::isfinite(combined[i])) by_method["combined"] = combined[i];
      ++i;
    }
  }
  try {
    CombinedRanker fitted = fit_combined_ranker(features, all);
    fitted.fitted_on = fmt::format("{} targets of {}", all.size(), file.parent_path().string());
    fitted.save(file);
  } catch (const UsageError& e) {
    if (progress.note) progress.note(std::string("no combined ranker fitted: ") + e.what());
  }
}

}  // namespace

TransferBenchmarkResult run_transfer_benchmark(const TransferBenchmarkOptions& o, const BenchmarkProgress& given,
                                               Cluster& cluster) {
  Stopwatch watch;
  // Only the root reports progress; it hears of every process's finished units.
  const BenchmarkProgress progress = cluster.is_root() ? given : BenchmarkProgress{};
  parse_fine_tune_method(o.method);  // UsageError for an unknown method
  if (o.seeds < 1) throw UsageError(opt("seeds") + " must be at least 1");
  if (o.target_examples < 2) throw UsageError(opt("target_examples") + " must be at least 2");
  if (o.jobs < 1) throw UsageError(opt("jobs") + " must be at least 1");
  const int threads = o.threads > 0 ? o.threads : hardware_threads();
  set_thread_count(threads);
  for (const auto& m : o.rankers) find_rank_method(m);  // unknown names fail before any work

  // Every process reads the tasks (the same files: storage every node shares).
  TransferBenchmarkResult result;
  std::map<std::string, LoadedTask> tasks;
  all_or_none(cluster, [&] {
    const std::vector<TaskSpec> suite = load_task_suite(o.tasks);
    auto choose = [&](const std::vector<std::string>& names, const std::string& flag) {
      std::vector<TaskSpec> chosen = select_tasks(suite, names, flag);
      if (names.empty() && o.max_tasks > 0 && chosen.size() > o.max_tasks) chosen.resize(o.max_tasks);
      return chosen;
    };
    const std::vector<TaskSpec> source_specs = choose(o.sources, opt("sources"));
    const std::vector<TaskSpec> target_specs = choose(o.targets, opt("targets"));
    for (const auto* list : {&source_specs, &target_specs})
      for (const auto& spec : *list)
        if (!tasks.count(spec.name)) tasks.emplace(spec.name, load_task(spec, o));
    for (const auto& spec : target_specs) check_target(tasks.at(spec.name));
    for (const auto& s : source_specs) result.sources.push_back(s.name);
    for (const auto& t : target_specs) result.targets.push_back(t.name);
  });
  // A target is never its own source.
  auto sources_of = [&](const std::string& target) {
    std::vector<std::string> out;
    for (const auto& s : result.sources)
      if (s != target) out.push_back(s);
    return out;
  };
  for (const auto& t : result.targets)
    if (sources_of(t).empty())
      throw UsageError(fmt::format("target '{}' has no source but itself; give {} other tasks", t, opt("sources")));

  // The root alone writes the output folder: its configuration and its registry.
  const fs::path registry_folder = o.out / "registry";
  const auto settled = nlohmann::json::parse(root_decides(cluster, [&] {
    std::error_code ec;
    fs::create_directories(o.out / "sources", ec);
    if (ec) throw IoError(location(o.out.string()) + "cannot create the output folder: " + ec.message());
    const std::string base_fingerprint = base_model_fingerprint(o.base);
    const std::string digest = settle_config(o.out, settings_json(o, base_fingerprint), tasks);
    if (!fs::exists(registry_folder / "registry.sqlite")) Registry::create(registry_folder);
    return nlohmann::json{{"digest", digest}, {"base_fingerprint", base_fingerprint}}.dump();
  }));
  const std::string digest = settled["digest"], base_fingerprint = settled["base_fingerprint"];
  // Every process reads the sources' models and the root's config from the output folder.
  all_or_none(cluster, [&] {
    if (!fs::exists(o.out / "config.json"))
      throw InputError(location(o.out.string()) +
                       "this process does not see the output folder the root process wrote: it must be on storage "
                       "every node of the job shares (NFS, Lustre, …), at the same path");
  });

  // 1. Sources: fine-tuned once, registered with their ESMs, their model folder kept.
  if (o.measure) {
    const std::vector<std::string> pending = nlohmann::json::parse(root_decides(cluster, [&] {
      std::vector<std::string> out;
      const Registry registry = Registry::open(registry_folder);
      for (const auto& s : result.sources) {
        const bool registered = registry.find(s).has_value();
        const bool folder = fs::exists(o.out / "sources" / s / "config.json");
        if (registered && folder) continue;
        if (registered) {  // killed between the folder and the index: measure it again
          Registry writer = Registry::open(registry_folder);
          writer.remove({s});
        }
        out.push_back(s);
      }
      return nlohmann::json(out).dump();
    }));
    Phase phase(progress, "sources", static_cast<std::int64_t>(pending.size()));
    auto options_of = [&](const LoadedTask& t) {
      SourceRegistrationOptions r;
      r.base = o.base;
      r.name = t.spec.name;
      r.fine_tune = fine_tune_options(o, o.source_epochs, o.seed);
      r.max_length = o.max_length;
      r.max_texts = 2000;
      r.model_folder = o.out / "sources" / t.spec.name;
      r.provenance = {{"command", "taskscout benchmark"}, {"benchmark_config", digest}};
      return r;
    };
    auto summary = [](const SourceRegistration& reg) {
      return fmt::format("dev {} {:.4f}, ESM R² {:.3f}, {:.0f} s", reg.best.dev.main_name(), reg.best.dev.main(),
                         reg.esm_fit.r2_heldout, reg.seconds);
    };
    if (cluster.size() == 1) {
      run_parallel(pending.size(), o.jobs, threads, [&](std::size_t i) {
        const LoadedTask& t = tasks.at(pending[i]);
        Registry registry = Registry::open(registry_folder);
        phase.done("source " + t.spec.name,
                   summary(register_fine_tuned_source(registry, t.source_train, t.dev, options_of(t))));
      });
    } else {
      // Each process fine-tunes its share into a staging run inside the registry (storage
      // every node shares); the root alone adds each to the index as it arrives.
      std::optional<Registry> registry;
      std::unique_ptr<StagingRun> staging;
      const fs::path run = staging_folder(registry_folder) / root_decides(cluster, [&] {
                             registry.emplace(Registry::open(registry_folder));
                             staging = std::make_unique<StagingRun>(registry_folder);
                             return staging->id();
                           });
      std::string failure;
      DistributedWork work;
      work.count = pending.size();
      work.workers = o.jobs;
      work.worker_start = [&] { set_thread_count(std::max(1, threads / o.jobs)); };
      work.run = [&](std::size_t i) {
        const LoadedTask& t = tasks.at(pending[i]);
        const fs::path folder = run / std::to_string(i);
        fs::create_directories(folder);
        const PreparedSource prepared = prepare_fine_tuned_source(t.source_train, t.dev, options_of(t), folder);
        return nlohmann::json{{"prepared", prepared_source_json(prepared.entry, run)},
                              {"summary", summary(prepared.details)}}
            .dump();
      };
      work.commit = [&](std::size_t i, const std::string& bytes) {
        const auto message = nlohmann::json::parse(bytes);
        try {
          registry->add(prepared_source_from_json(message["prepared"], run));
          phase.done("source " + pending[i], message["summary"].get<std::string>());
        } catch (const Error& e) {
          if (failure.empty()) failure = fmt::format("source {}: {}", pending[i], e.what());
        }
        std::error_code ec;
        fs::remove_all(run / std::to_string(i), ec);
      };
      work.failed = [&](std::size_t i, const std::string& error) {
        if (failure.empty()) failure = fmt::format("source {}: {}", pending[i], error);
      };
      run_distributed(cluster, work);
      root_decides(cluster, [&] {
        if (!failure.empty()) throw InputError(failure + "; the other sources are registered, and a rerun resumes");
        return std::string();
      });
    }
  }

  // 2. Target runs, seed by seed, so a partial benchmark covers every pair. The root
  // alone holds the log; the others send it their runs as they finish.
  std::optional<TransferRunLog> log;
  struct Job {
    std::string target, source;
    std::uint64_t seed;
  };
  std::vector<Job> jobs;
  const auto planned = nlohmann::json::parse(root_decides(cluster, [&] {
    log.emplace(o.out / "runs.jsonl", digest);
    if (log->dropped_torn_line() && progress.note)
      progress.note("the run log ended in a torn line (a run killed while being written); it was dropped");
    nlohmann::json pending = nlohmann::json::array();
    std::size_t total = 0, resumed = 0;
    for (std::size_t k = 0; k < o.seeds; ++k)
      for (const auto& t : result.targets) {
        std::vector<std::string> starts = {kTargetOnly};
        for (const auto& s : sources_of(t)) starts.push_back(s);
        for (const auto& s : starts) {
          ++total;
          if (log->has(t, s, o.seed + k))
            ++resumed;
          else
            pending.push_back({t, s, o.seed + k});
        }
      }
    return nlohmann::json{{"jobs", pending}, {"total", total}, {"resumed", resumed}}.dump();
  }));
  for (const auto& j : planned["jobs"]) jobs.push_back({j[0], j[1], j[2]});
  result.runs_total = planned["total"];
  result.runs_resumed = planned["resumed"];
  if (o.measure) {
    Phase phase(progress, "transfer runs", static_cast<std::int64_t>(jobs.size()));
    auto run_job = [&](std::size_t i) {
      const Job& job = jobs[i];
      const LoadedTask& t = tasks.at(job.target);
      // Full: the source's model is the target's base. Adapter or LoRA: the source's adapter
      // goes on training over the base (sequential transfer, Poth et al. 2021).
      const fs::path source_model = o.out / "sources" / job.source;
      FineTuneOptions tune = fine_tune_options(o, o.epochs, job.seed);
      fs::path start = o.base;
      if (!job.source.empty()) (tune.method == FineTuneMethod::Full ? start : tune.init_from) = source_model;
      const FineTuneResult tuned = fine_tune(start, t.train, t.dev, tune);
      text::Tokenizer tokenizer = text::Tokenizer::from_folder(start);
      const TokenizedTexts test =
          tokenize_texts(tokenizer, t.test.texts, t.test.text_pairs, tuned.model.max_length, t.test.path);
      const Metrics m = evaluate_task_model(tuned.model, test, t.test, 64);
      return TransferRun{job.target,        job.source,        job.seed,
                         m.get("accuracy"), m.get("macro_f1"), tuned.evaluations.at(tuned.best).dev.main(),
                         tuned.steps,       tuned.seconds,     thread_count()};
    };
    auto logged = [&](const TransferRun& run) {
      log->append(run);
      phase.done(fmt::format("{} seed {}", pair_name(run.target, run.source), run.seed),
                 fmt::format("macro-F1 {:.4f}, accuracy {:.4f}, {:.0f} s", run.macro_f1, run.accuracy, run.seconds));
    };
    if (cluster.size() == 1) {
      run_parallel(jobs.size(), o.jobs, threads, [&](std::size_t i) { logged(run_job(i)); });
    } else {
      // A failed run is reported after every other run is done and logged; a rerun resumes.
      std::string failure;
      DistributedWork work;
      work.count = jobs.size();
      work.workers = o.jobs;
      work.worker_start = [&] { set_thread_count(std::max(1, threads / o.jobs)); };
      work.run = [&](std::size_t i) { return transfer_run_json(run_job(i), digest); };
      work.commit = [&](std::size_t, const std::string& line) { logged(parse_transfer_run(line).value().second); };
      work.failed = [&](std::size_t i, const std::string& error) {
        if (failure.empty())
          failure = fmt::format("{} seed {}: {}", pair_name(jobs[i].target, jobs[i].source), jobs[i].seed, error);
      };
      run_distributed(cluster, work);
      root_decides(cluster, [&] {
        if (!failure.empty()) throw InputError(failure + "; the other runs are logged, and a rerun resumes");
        return std::string();
      });
    }
    result.runs_done = jobs.size();
  }

  // 3. Every ranker over the same pool, on the target rows the truth was trained on; each
  // process ranks its share of the targets, the root gathers the rankings.
  if (o.rankers.empty())
    for (const auto& m : rank_methods()) result.rankers.push_back(m.name);
  else
    result.rankers = o.rankers;
  const std::vector<PoolSource> registered =
      decode_pool(root_decides(cluster, [&] { return encode_pool(registry_pool(registry_folder)); }));
  std::map<std::string, std::vector<MethodRanking>> rankings_of;  // target → its rankings
  {
    Phase phase(progress, "rankers", static_cast<std::int64_t>(result.targets.size()));
    nlohmann::json mine = nlohmann::json::object();
    for (std::size_t i : shard_of(result.targets.size(), cluster)) {
      const std::string& target = result.targets[i];
      const std::vector<std::string> wanted = sources_of(target);
      std::vector<PoolSource> pool;
      for (const auto& p : registered)
        if (std::find(wanted.begin(), wanted.end(), p.name) != wanted.end()) pool.push_back(p);
      TextEmbeddingOptions embedding;
      embedding.embedding = {Pooling::Mean, -1};
      embedding.max_length = o.max_length;
      const RankTarget rank_target = embed_rank_target(tasks.at(target).train, o.base, base_fingerprint, embedding);
      RankPoolOptions rank_options;  // taskemb's target model: trained as the target runs are
      rank_options.taskemb_fine_tune = fine_tune_options(o, o.epochs, o.seed);
      rankings_of[target] = rank_pool(rank_target, pool, result.rankers, {}, rank_options);
      if (cluster.size() > 1) {
        const std::string bytes = encode_rankings(rankings_of[target]);
        mine[target] = nlohmann::json::binary({bytes.begin(), bytes.end()});
      }
      phase.done("rankers for " + target, fmt::format("{} sources", pool.size()));
    }
    if (cluster.size() > 1) {
      const std::vector<std::uint8_t> bytes = nlohmann::json::to_cbor(mine);
      for (const auto& from : cluster.gather({bytes.begin(), bytes.end()})) {
        const auto theirs = nlohmann::json::from_cbor(std::vector<std::uint8_t>(from.begin(), from.end()));
        for (const auto& [target, b] : theirs.items()) {
          const auto& raw = b.get_binary();
          if (rankings_of.count(target)) continue;  // the root's own
          rankings_of[target] = decode_rankings({raw.begin(), raw.end()});
          phase.done("rankers for " + target, "by another process");
        }
      }
    }
  }
  // The root writes the results; the others are done.
  if (!cluster.is_root()) {
    result.seconds = watch.seconds();
    return result;
  }
  // The matrix of the seeds asked for: a log holding more (a run with --seeds 4 stopped
  // early, then read with --seeds 3) gives every pair the same seeds.
  std::vector<TransferRun> runs = log->runs();
  std::erase_if(runs, [&](const TransferRun& r) { return r.seed < o.seed || r.seed >= o.seed + o.seeds; });
  // In the order of the jobs (targets as given; the target-only baseline, then the sources
  // as given; seeds), not the order the log holds them: processes finish in any order.
  auto place = [&](const TransferRun& r) {
    const auto index = [](const std::vector<std::string>& list, const std::string& name) {
      return std::find(list.begin(), list.end(), name) - list.begin();
    };
    return std::tuple(index(result.targets, r.target), r.source.empty() ? -1 : index(result.sources, r.source), r.seed);
  };
  std::stable_sort(runs.begin(), runs.end(),
                   [&](const TransferRun& a, const TransferRun& b) { return place(a) < place(b); });
  result.cells = aggregate_transfer(runs);
  write_file_atomically(o.out / "matrix.csv", transfer_matrix_csv(result.cells));

  std::map<std::string, const TransferCell*> truth;
  for (const auto& c : result.cells) truth[c.target + '\n' + c.source] = &c;
  std::map<std::string, RankerCost> costs;
  for (const auto& m : result.rankers) costs[m].method = m;
  // target → source → method → score, for the measured pairs.
  std::map<std::string, std::map<std::string, std::map<std::string, double>>> scored;
  for (const auto& target : result.targets) {
    auto& by_source = scored[target];
    for (const auto& s : sources_of(target))
      if (truth.count(target + '\n' + s)) by_source[s];  // measured: a row even if every ranker skips it
    for (const auto& r : rankings_of.at(target)) {
      RankerCost& cost = costs[r.method];
      cost.setup_seconds += r.setup_seconds / static_cast<double>(result.targets.size());
      for (const auto& s : r.ranking.ranked) {
        if (by_source.count(s.name)) by_source[s.name][r.method] = s.score;
        cost.seconds_per_source += s.seconds;
        ++cost.scored;
      }
      for (const auto& s : r.ranking.skipped) {
        ++cost.skipped;
        if (cost.first_skip_reason.empty()) cost.first_skip_reason = s.name + ": " + s.skipped;
      }
    }
  }
  if (std::find(result.rankers.begin(), result.rankers.end(), "combined") != result.rankers.end())
    fit_combined(scored, truth, o.out / "combined.json", progress);

  std::string scores = "target,source";
  for (const auto& m : result.rankers) scores += "," + csv_field(m);
  scores += ",macro_f1,accuracy,gain,gain_se,seeds\n";
  for (const auto& target : result.targets)
    for (const auto& [source, by_method] : scored[target]) {
      const TransferCell& c = *truth.at(target + '\n' + source);
      scores += csv_field(target) + "," + csv_field(source);
      for (const auto& m : result.rankers)
        scores += "," + (by_method.count(m) ? number(by_method.at(m)) : std::string());
      scores += fmt::format(",{},{},{},{},{}\n", number(c.macro_f1), number(c.accuracy), number(c.gain),
                            number(c.gain_se), c.seeds);
    }
  write_file_atomically(o.out / "scores.csv", scores);
  std::string cost_csv = "method,seconds_per_source,setup_seconds,scored,skipped,first_skip_reason\n";
  for (const auto& m : result.rankers) {
    RankerCost& c = costs[m];
    if (c.scored > 0) c.seconds_per_source /= static_cast<double>(c.scored);
    cost_csv += fmt::format("{},{},{},{},{},{}\n", csv_field(m), number(c.seconds_per_source), number(c.setup_seconds),
                            c.scored, c.skipped, csv_field(c.first_skip_reason));
    result.costs.push_back(c);
  }
  write_file_atomically(o.out / "rankers.csv", cost_csv);
  result.seconds = watch.seconds();
  return result;
}

}  // namespace taskscout
