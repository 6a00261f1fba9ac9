#pragma once
// The HTML report behind `taskscout report` (a benchmark's transfer matrix and how well each
// ranker predicts it) and `taskscout rank --report` (one target's rankings).
//
// Each renderer returns one self-contained HTML5 document: figures are inline SVG, the
// stylesheet and the few lines of script (click a table header to sort) are inline, and
// nothing is loaded from anywhere (a Content-Security-Policy forbids it, and only the
// report's own script, by its hash, may run). Every name is HTML-escaped, invalid UTF-8 in
// it becomes U+FFFD, and a NaN or infinite value is printed as "—", never used as a
// coordinate. Empty or degenerate inputs (no rankers, one source, equal scores) still
// render. The same input gives the same bytes.
//
// The inputs are plain values (no libtorch), so the CLI, the
// Python module or a test fills them from whatever it read. NaN marks a missing number.
//
// Stable hooks for tests and for readers' own scripts:
//   benchmark  svg#transfer-heatmap (g.cell per (target, source); .cell.sig, .cell.missing),
//              svg.scatter per (target, ranker), svg#ranker-ci, svg#quality-cost,
//              table.sortable (#ranker-table, #target-table, .scores-table per target)
//   ranking    #ranking-bars (svg.bars per method), #skipped, table.sortable#ranking-table
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "taskscout/eval/transfer_runs.hpp"

namespace taskscout {

// One (target, source) cell of the heat map: the benchmark's matrix cell (transfer_runs.hpp).
using TransferMatrixCell = TransferCell;

// One (target, source) pair as the rankers saw it.
struct ScoreRow {
  std::string target;
  std::string source;
  std::map<std::string, double> scores;  // ranker name → its score; absent or NaN: not scored (skipped)
  double truth = 0;                      // the measured transfer performance the rankers predict
};

// How one ranker did over all targets (the numbers `taskscout eval` prints).
struct RankerSummary {
  std::string name;
  // metric → its mean over the targets where it is defined; metric names as transfer_metrics()
  // (weighted_tau, kendall_tau_b, spearman, pearson, regret@1, regret@3, regret@5, ndcg@5,
  // precision@3). Absent or NaN: undefined.
  std::map<std::string, double> mean;
  // metric → (low, high) confidence interval of that mean (e.g. a bootstrap over targets);
  // absent or NaN bounds: drawn without a whisker.
  std::map<std::string, std::pair<double, double>> ci;
  // target → metric → value for that target alone; NaN: undefined.
  std::map<std::string, std::map<std::string, double>> per_target;
  double seconds_per_source = 0;  // mean cost of scoring one source; ≤ 0 or NaN: unknown
};

struct BenchmarkReport {
  std::string title = "taskscout benchmark";
  // Short facts shown under the title, in order, e.g. {"base", "bert-base"}, {"seeds", "3"}.
  std::vector<std::pair<std::string, std::string>> facts;
  // Display order of the matrix's rows and columns. Empty: order of first appearance in
  // `matrix`, then `scores`. Names found in the data but not listed are appended.
  std::vector<std::string> targets, sources;
  // The measured matrix. A (target, source) pair given twice: the first is shown.
  std::vector<TransferMatrixCell> matrix;
  std::string truth_label = "macro-F1";  // what ScoreRow::truth measures (the scatter plots' y axis)
  // Ranker names in display order. Empty: the summaries' names, then the scores' keys (sorted).
  std::vector<std::string> rankers;
  std::vector<ScoreRow> scores;
  // One per ranker (order follows `rankers`; ones not listed follow in their own order).
  std::vector<RankerSummary> summaries;
  // The ranker drawn as a dashed reference line in the confidence-interval chart, if present.
  std::string reference_ranker = "random";
};

// One source a method ranked.
struct RankedSource {
  std::string name;
  double score = 0;    // higher is better; NaN/Inf: shown as "—" without a bar
  double seconds = 0;  // loading and scoring it
};

// One source a method could not score.
struct SkippedSource {
  std::string name;
  std::string reason;  // the error message
};

// One method's ranking of the pool.
struct MethodRankingReport {
  std::string method;
  std::vector<RankedSource> ranked;    // best first (the report keeps this order)
  std::vector<SkippedSource> skipped;  // in input order
  double setup_seconds = 0;            // once for the target
  double seconds = 0;                  // all sources
};

struct RankingReport {
  std::string title = "taskscout ranking";
  std::string target;                                      // the target's name (e.g. its dataset path)
  std::vector<std::pair<std::string, std::string>> facts;  // shown under the title, in order
  std::vector<MethodRankingReport> methods;                // in display order
};

// Every report names its generator in a <meta name="generator"> tag with this content, so
// that taskscout knows a report it may replace from a file it did not write.
inline constexpr const char* kReportGenerator = "taskscout report";

// True when `path` does not exist or holds a report taskscout wrote (its generator tag in
// the first 4 KiB): the files an output path may replace without --force.
bool replaceable_report(const std::filesystem::path& path);

// The complete HTML documents.
std::string render_benchmark_report(const BenchmarkReport& report);
std::string render_ranking_report(const RankingReport& report);

}  // namespace taskscout
