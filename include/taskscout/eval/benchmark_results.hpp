#pragma once
// A benchmark folder's results read back (transfer_benchmark.hpp writes them): the matrix,
// every ranker's score beside the truth, and each ranker's cost. `taskscout report` and
// `taskscout eval` start here; nothing in this file needs libtorch.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "taskscout/eval/ranker_comparison.hpp"
#include "taskscout/eval/report.hpp"
#include "taskscout/eval/transfer_runs.hpp"

namespace taskscout {

struct BenchmarkResults {
  std::filesystem::path folder;
  std::vector<TransferCell> cells;                            // matrix.csv
  std::vector<std::string> rankers;                           // scores.csv's ranker columns, in order
  std::vector<ComparisonRow> rows;                            // scores.csv: one per (target, source), truth as chosen
  std::string truth;                                          // the truth column: macro_f1, accuracy or gain
  std::map<std::string, double> seconds_per_source;           // rankers.csv
  std::vector<std::pair<std::string, std::string>> settings;  // config.json's, for display
};

// The ranker columns of scores.csv are those between `source` and the truth columns
// (macro_f1, accuracy, gain, gain_se, seeds). InputError naming the file and line for a
// missing file or column or a value that is not a number; an empty score cell is NaN (not
// scored).
BenchmarkResults read_benchmark_results(const std::filesystem::path& folder, const std::string& truth = "macro_f1");

// The report's input: the matrix, the scores, and one summary per ranker of `comparison`.
BenchmarkReport benchmark_report(const BenchmarkResults& results, const RankerComparison& comparison);

}  // namespace taskscout
