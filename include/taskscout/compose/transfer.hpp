#pragma once
// Select, combine, measure: the pipeline behind `taskscout transfer`. It ranks a registry's
// sources for a target, takes the top k, combines them and trains on the target, then
// evaluates on the target's test split — beside, with the same training budget and seeds:
//   target-only   the base fine-tuned on the target alone (the baseline)
//   best-source   intermediate-task transfer from the ranking's first source: trained
//                 further on the target with a fresh head (Poth et al. 2021)
//   top-k         the k best sources by the ranking, combined (one arm per method)
//   random-k      k sources drawn at random (per seed; the same draw for every method) from
//                 the same candidates, combined the same way: what the ranking is worth
// Two families, one per run, since each needs its own sources and baseline:
//   compositions (scalearn, …, fusion): adapter sources composed (compose.hpp); the
//       baseline and best-source train an adapter of the sources' placement and width.
//       A registry without adapter sources gives its LoRA sources instead (ScaLearn's
//       variants only), and LoRAs of the first source's rank, alpha and targets are trained;
//   merges (merge-ties, merge-task-arithmetic, … any merge_method.hpp method after
//       "merge-"): full-model sources merged (merge.hpp: the mean task vector for linear
//       and task arithmetic, density 0.2 for TIES and DARE, 0.9 for breadcrumbs, λ = 1),
//       and the merged model fine-tuned in full; the baseline fine-tunes the base in full,
//       best-source the first source's model.
// Each arm runs once per seed; test accuracy and macro-F1 are reported per seed and as mean
// and standard deviation, with the gain over the baseline's mean.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "taskscout/compose/compose.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/train/fine_tune.hpp"

namespace taskscout {

struct TransferTarget {
  std::string name;
  Dataset train, dev, test;  // dev and test loaded with train's label names
};

struct TransferOptions {
  // Composition methods (adapter_composition.hpp), or "merge-<method>"s: each gives a top-k
  // and a random-k arm. UsageError when the list mixes the two families.
  std::vector<std::string> compose = {"scalearn"};
  std::size_t k = 3;
  std::string rank_method = "esm-logme";
  std::size_t seeds = 3;  // runs per row, with seeds seed, seed + 1, …
  std::uint64_t seed = 0;
  // The budget every row trains with (epochs, batch size, max_train_examples, patience…);
  // a learning rate of 0 takes each row's default (adapter 1e-3; the composition's own).
  FineTuneOptions training;
  bool random_row = true;  // also compose k random sources
};

// One training run of an arm, with one seed.
struct TransferTrial {
  std::uint64_t seed = 0;
  std::vector<std::string> sources;  // what this run transferred from (none for target-only)
  Metrics test;
  double seconds = 0;
};

// One row of the comparison: a way of training on the target, run once per seed.
struct TransferArm {
  std::string name;  // "target-only", "best-source", "top-3 scalearn", "random-3 scalearn", …
  std::vector<TransferTrial> runs;
  double accuracy_mean = 0, accuracy_sd = 0, macro_f1_mean = 0, macro_f1_sd = 0;
  double gain = 0;  // accuracy_mean − the baseline's, in accuracy (0.012 = 1.2 points)
};

struct TransferReport {
  TopSources ranking;  // the top k with their scores, and what the ranker skipped
  std::size_t candidates = 0;
  std::vector<TransferArm> rows;  // target-only, best-source, then top-k and random-k per composition
  double seconds = 0;
};

struct TransferProgress {
  // Before each training run: the row and the seed.
  std::function<void(const std::string& row, std::uint64_t seed)> run;
  FineTuneProgress training;  // every run's steps and evaluations (and the interrupt flag)
};

// UsageError for k = 0, no seeds, an unknown composition, merge or rank method; InputError
// when the registry has fewer than k sources of the family's kind or the target does not
// fit (as fine_tune).
TransferReport run_transfer(const std::filesystem::path& registry, const std::filesystem::path& base,
                            const TransferTarget& target, const TransferOptions& options,
                            const TransferProgress& progress = {});

}  // namespace taskscout
