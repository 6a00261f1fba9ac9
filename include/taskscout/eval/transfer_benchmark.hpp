#pragma once
// The transfer benchmark: the ground truth a ranking is judged by, measured.
//
// Truth is intermediate-task transfer. Each source task is fine-tuned from the base once
// (and registered, with its ESM and the other artifacts rankers read); each target is then
// fine-tuned from every source's model, and from the base alone (the target-only
// baseline), all with the same budget: the same `target_examples` training rows (one seeded
// subset per target), the same dev and test rows, the same options, the same seeds. A
// target's own task is never its source.
//
// Then every ranker scores every source for every target, on those same target training
// rows, so the table of (target, source, scores…, truth) judges them side by side.
//
// Everything lands in one output folder:
//   config.json   the configuration; its digest tags every run, and a folder measured with
//                 another configuration is refused, never mixed
//   registry/     the fine-tuned sources (a registry `taskscout rank` reads)
//   sources/NAME  each source's fine-tuned model folder, where the target runs start
//   runs.jsonl    one line per finished run, fsynced (transfer_runs.hpp): a killed
//                 benchmark resumes where it stopped and never recomputes a finished run
//   matrix.csv    the transfer matrix: per (target, source) mean, standard error, gain
//   scores.csv    target,source, one column per ranker, then the truth columns; the
//                 "combined" column is leave-one-target-out: each target's scores come
//                 from weights fitted on the other targets only
//   combined.json the combined ranker fitted on every target (rank --combined-weights)
//   rankers.csv   per ranker: seconds per source, sources scored and skipped
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "taskscout/core/cluster.hpp"
#include "taskscout/eval/transfer_runs.hpp"

namespace taskscout {

struct TransferBenchmarkOptions {
  std::filesystem::path tasks;                // manifest.json or a folder of task folders (task_suite.hpp)
  std::filesystem::path base;                 // the base model folder
  std::filesystem::path out;                  // the output folder (created, or resumed)
  std::vector<std::string> sources, targets;  // task names; empty: every task
  std::size_t max_tasks = 0;                  // with sources or targets empty: the first N tasks; 0: all
  std::string method = "full";                // full, adapter or lora (fine_tune.hpp): how sources and targets train
  std::size_t target_examples = 1000;         // training rows of each target (a seeded subset)
  std::size_t source_examples = 0;            // training rows of each source; 0: all
  std::size_t dev_examples = 500;             // dev rows (early stopping, model choice); 0: all
  std::size_t test_examples = 2000;           // test rows the truth is measured on; 0: all
  std::size_t seeds = 3;                      // target runs per pair: seeds seed … seed+seeds−1
  std::uint64_t seed = 0;                     // row subsets, source fine-tuning, first run seed
  std::int64_t epochs = 5, source_epochs = 2;
  std::size_t batch_size = 16;
  // 2e-4: the default base (2 layers, hidden 128) learns little at BERT-base's 5e-5 in a
  // 1,000-example budget (bench/RESULTS.md); 0 takes the method's default.
  double learning_rate = 2e-4;
  std::size_t max_length = 64;       // tokens per text (the default base was pretrained on 64-token blocks)
  int jobs = 1;                      // runs at once, each on threads/jobs threads
  int threads = 0;                   // 0: every core
  std::vector<std::string> rankers;  // methods (select/rank.hpp); empty: every method
  bool measure = true;               // false: only score the rankers over what is measured
};

// The quick setting for tests and demos: at most 4 tasks (max_tasks), 200 target rows, 600 source rows,
// 200 dev and 300 test rows, 2 seeds, 1 epoch each; minutes on 2 cores.
void apply_quick_settings(TransferBenchmarkOptions& options);

struct BenchmarkProgress {
  // A phase ("sources", "transfer runs", "rankers") begins with `total` units.
  std::function<void(const std::string& phase, std::int64_t total)> start;
  // One unit finished: what it was and how it came out.
  std::function<void(const std::string& what, const std::string& result)> done;
  std::function<void()> finish;
  std::function<void(const std::string& message)> note;
};

struct RankerCost {
  std::string method;
  double seconds_per_source = 0;  // mean over the (target, source) pairs it scored
  double setup_seconds = 0;       // mean per target (factoring it, counting its tokens)
  std::size_t scored = 0, skipped = 0;
  std::string first_skip_reason;
};

struct TransferBenchmarkResult {
  std::vector<std::string> targets, sources;
  std::vector<TransferCell> cells;
  std::size_t runs_done = 0, runs_resumed = 0, runs_total = 0;
  std::vector<std::string> rankers;  // in the order of scores.csv's columns
  std::vector<RankerCost> costs;
  double seconds = 0;
};

// Runs (or resumes) the benchmark. UsageError for bad options; InputError for tasks that
// cannot be used (a split missing, a label column absent from a split, a target whose
// training rows hold one class, a dev or test label its train split lacks) or an output
// folder measured with another configuration; nothing already measured is lost.
//
// Over a cluster (core/cluster.hpp; every process calls it alike), the runs are spread over
// the processes and the root, which alone writes the output folder, logs each as it
// arrives; a failed run is reported once the others are logged. Each process ranks its
// share of the targets. Only the root reports progress (every process's units) and holds
// the whole result; `jobs` runs at once per process.
TransferBenchmarkResult run_transfer_benchmark(const TransferBenchmarkOptions& options,
                                               const BenchmarkProgress& progress = {},
                                               Cluster& cluster = single_process());

}  // namespace taskscout
