// Reading a benchmark folder back, and turning it into the report's input (see
// benchmark_results.hpp).
#include "taskscout/eval/benchmark_results.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "taskscout/io/table.hpp"

namespace taskscout {

namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* kTruthColumns[] = {"macro_f1", "accuracy", "gain", "gain_se", "seeds"};

std::vector<std::pair<std::string, std::string>> read_settings(const fs::path& file) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!fs::is_regular_file(file)) return out;
  const auto j = nlohmann::ordered_json::parse(MappedFile(file).text(), nullptr, false);
  if (j.is_discarded() || !j.contains("settings") || !j["settings"].is_object()) return out;
  for (const auto& [key, value] : j["settings"].items()) {
    if (key == "format" || key == "version") continue;
    std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    if (key == "base_fingerprint") shown = shown.substr(0, 12) + "…";
    out.emplace_back(key, shown);
  }
  return out;
}

}  // namespace

BenchmarkResults read_benchmark_results(const fs::path& folder, const std::string& truth) {
  if (std::find(std::begin(kTruthColumns), std::begin(kTruthColumns) + 3, truth) == std::begin(kTruthColumns) + 3)
    throw UsageError(fmt::format("the truth must be macro_f1, accuracy or gain, not '{}'", truth));
  BenchmarkResults r;
  r.folder = folder;
  r.truth = truth;
  r.cells = read_transfer_matrix(folder / "matrix.csv");
  const Table scores = read_table(folder / "scores.csv");
  const std::size_t target = scores.require_column("target"), source = scores.require_column("source");
  const std::size_t first_truth = scores.require_column("macro_f1");
  if (source + 1 > first_truth)
    throw InputError(location(scores.path) + "the ranker columns must lie between 'source' and 'macro_f1'");
  for (std::size_t c = source + 1; c < first_truth; ++c) r.rankers.push_back(scores.columns[c]);
  const std::size_t truth_column = scores.require_column(truth);
  for (std::size_t row = 0; row < scores.rows.size(); ++row) {
    ComparisonRow out{scores.rows[row][target],
                      scores.rows[row][source],
                      {},
                      table_number(scores, row, truth_column),
                      scores.lines[row]};
    if (!std::isfinite(out.truth)) continue;  // not measured (e.g. a gain without a baseline)
    for (std::size_t c = source + 1; c < first_truth; ++c) out.scores.push_back(table_number(scores, row, c));
    r.rows.push_back(std::move(out));
  }
  if (fs::exists(folder / "rankers.csv")) {
    const Table costs = read_table(folder / "rankers.csv");
    const std::size_t method = costs.require_column("method"), seconds = costs.require_column("seconds_per_source");
    for (std::size_t row = 0; row < costs.rows.size(); ++row)
      r.seconds_per_source[costs.rows[row][method]] = table_number(costs, row, seconds);
  }
  r.settings = read_settings(folder / "config.json");
  return r;
}

BenchmarkReport benchmark_report(const BenchmarkResults& results, const RankerComparison& comparison) {
  BenchmarkReport report;
  report.title = "taskscout benchmark: " + results.folder.filename().string();
  report.facts = results.settings;
  report.facts.emplace_back("targets", std::to_string(comparison.targets.size()));
  report.truth_label = results.truth == "gain"       ? "gain in macro-F1"
                       : results.truth == "accuracy" ? "accuracy"
                                                     : "macro-F1";
  report.matrix = results.cells;
  for (const auto& row : results.rows) {
    ScoreRow s{row.target, row.source, {}, row.truth};
    for (std::size_t i = 0; i < results.rankers.size(); ++i) s.scores[results.rankers[i]] = row.scores[i];
    report.scores.push_back(std::move(s));
  }
  const auto metrics = transfer_metrics();
  for (const RankerEvaluation& e : comparison.rankers) {
    report.rankers.push_back(e.name);
    RankerSummary summary;
    summary.name = e.name;
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const std::string name(metrics[m].name);
      summary.mean[name] = e.mean.values[m].value_or(kNaN);
      summary.ci[name] = {e.ci[m].lo.value_or(kNaN), e.ci[m].hi.value_or(kNaN)};
      for (const auto& t : e.targets) summary.per_target[t.target][name] = t.values[m].value_or(kNaN);
    }
    const auto cost = results.seconds_per_source.find(e.name);
    summary.seconds_per_source = cost == results.seconds_per_source.end() ? kNaN : cost->second;
    report.summaries.push_back(std::move(summary));
  }
  return report;
}

bool replaceable_report(const fs::path& path) {
  if (!fs::exists(path)) return true;
  std::ifstream in(path, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head.find(std::string("<meta name=\"generator\" content=\"") + kReportGenerator + "\">") != std::string::npos;
}

}  // namespace taskscout
