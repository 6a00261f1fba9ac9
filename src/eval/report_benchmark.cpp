// The benchmark report: the normalized view, the tables and the page.
#include "report_benchmark.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <set>

#include "report_html.hpp"
#include "taskscout/eval/transfer_table.hpp"

namespace taskscout {

namespace report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void add_unique(std::vector<std::string>& list, std::set<std::string>& seen, const std::string& name) {
  if (seen.insert(name).second) list.push_back(name);
}

// Every metric a table shows: transfer_metrics() first, then any other the summaries hold.
std::vector<std::string> metric_names(const BenchmarkView& view) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& m : transfer_metrics()) add_unique(names, seen, std::string(m.name));
  std::set<std::string> extra;
  for (const auto* s : view.summaries) {
    for (const auto& [metric, value] : s->mean) extra.insert(metric);
    for (const auto& [target, metrics] : s->per_target)
      for (const auto& [metric, value] : metrics) extra.insert(metric);
  }
  for (const auto& metric : extra) add_unique(names, seen, metric);
  return names;
}

std::string ci_title(const RankerSummary& s, const std::string& metric) {
  const auto it = s.ci.find(metric);
  if (it == s.ci.end() || !std::isfinite(it->second.first) || !std::isfinite(it->second.second)) return {};
  const int d = metric_decimals(metric);
  return fmt::format("CI [{}, {}]", fixed(it->second.first, d), fixed(it->second.second, d));
}

}  // namespace

BenchmarkView make_view(const BenchmarkReport& report) {
  BenchmarkView v;
  v.report = &report;
  std::set<std::string> targets, sources, rankers;
  for (const auto& t : report.targets) add_unique(v.targets, targets, t);
  for (const auto& s : report.sources) add_unique(v.sources, sources, s);
  for (const auto& c : report.matrix) {
    add_unique(v.targets, targets, c.target);
    add_unique(v.sources, sources, c.source);
    v.cells.try_emplace({c.target, c.source}, &c);
  }
  for (const auto& r : report.scores) {
    add_unique(v.targets, targets, r.target);
    add_unique(v.sources, sources, r.source);
    v.rows[r.target].push_back(&r);
  }
  for (const auto& t : v.targets)
    if (v.rows.count(t)) v.scored_targets.push_back(t);

  for (const auto& r : report.rankers) add_unique(v.rankers, rankers, r);
  for (const auto& s : report.summaries) add_unique(v.rankers, rankers, s.name);
  std::set<std::string> keys;
  for (const auto& r : report.scores)
    for (const auto& [name, score] : r.scores) keys.insert(name);
  for (const auto& k : keys) add_unique(v.rankers, rankers, k);

  for (const auto& s : report.summaries) v.summary.try_emplace(s.name, &s);
  for (const auto& r : v.rankers)
    if (const auto it = v.summary.find(r); it != v.summary.end()) v.summaries.push_back(it->second);
  return v;
}

double mean_metric(const BenchmarkView& view, const std::string& ranker, const std::string& metric) {
  const auto s = view.summary.find(ranker);
  if (s == view.summary.end()) return kNaN;
  const auto m = s->second->mean.find(metric);
  return m == s->second->mean.end() ? kNaN : m->second;
}

double target_metric(const BenchmarkView& view, const std::string& ranker, const std::string& target,
                     const std::string& metric) {
  const auto s = view.summary.find(ranker);
  if (s == view.summary.end()) return kNaN;
  const auto t = s->second->per_target.find(target);
  if (t == s->second->per_target.end()) return kNaN;
  const auto m = t->second.find(metric);
  return m == t->second.end() ? kNaN : m->second;
}

int metric_decimals(const std::string& metric) { return metric.rfind("regret", 0) == 0 ? 2 : 3; }

std::string metric_label(const std::string& metric) {
  static const std::map<std::string, std::string> labels = {{"weighted_tau", "weighted τ"},
                                                            {"kendall_tau_b", "Kendall τ-b"},
                                                            {"spearman", "Spearman ρ"},
                                                            {"pearson", "Pearson r"}};
  const auto it = labels.find(metric);
  return it == labels.end() ? metric : it->second;
}

std::string ranker_tables(const BenchmarkView& view) {
  if (view.summaries.empty()) return "<p class=\"empty\">No ranker was evaluated.</p>\n";
  const std::vector<std::string> metrics = metric_names(view);

  std::vector<std::string> headers{"ranker"};
  for (const auto& m : metrics) headers.push_back(metric_label(m));
  headers.push_back("time / source");
  std::vector<std::vector<Cell>> rows;
  for (const auto* s : view.summaries) {
    std::vector<Cell> row{text_cell(s->name, 40)};
    for (const auto& m : metrics)
      row.push_back(number_cell(mean_metric(view, s->name, m), metric_decimals(m), esc(ci_title(*s, m))));
    const double sec = s->seconds_per_source > 0 ? s->seconds_per_source : kNaN;
    row.push_back(Cell{seconds_text(sec), sort_key(sec), true, {}});
    rows.push_back(std::move(row));
  }
  std::string out = "<h3>Mean over targets</h3>\n" + sortable_table("ranker-table", "", headers, rows);

  // Weighted τ per target: where each ranker wins and fails.
  headers = {"ranker"};
  for (const auto& t : view.targets) headers.push_back(t);
  rows.clear();
  for (const auto* s : view.summaries) {
    std::vector<Cell> row{text_cell(s->name, 40)};
    for (const auto& t : view.targets) row.push_back(number_cell(target_metric(view, s->name, t, "weighted_tau"), 3));
    rows.push_back(std::move(row));
  }
  out += "<h3>Weighted τ per target</h3>\n" + sortable_table("target-table", "", headers, rows);

  headers = {"target", "ranker"};
  for (const auto& m : metrics) headers.push_back(metric_label(m));
  rows.clear();
  for (const auto& t : view.targets) {
    for (const auto* s : view.summaries) {
      if (!s->per_target.count(t)) continue;
      std::vector<Cell> row{text_cell(t, 40), text_cell(s->name, 40)};
      for (const auto& m : metrics) row.push_back(number_cell(target_metric(view, s->name, t, m), metric_decimals(m)));
      rows.push_back(std::move(row));
    }
  }
  out += "<details><summary>Every metric per target and ranker</summary>\n" +
         sortable_table("per-target-table", "", headers, rows) + "</details>\n";
  return out;
}

std::string score_tables(const BenchmarkView& view) {
  if (view.scored_targets.empty()) return "<p class=\"empty\">No ranker scores.</p>\n";
  const std::string& truth = view.report->truth_label;
  std::string out;
  for (const auto& t : view.scored_targets) {
    const auto& rows_in = view.rows.at(t);
    std::vector<std::string> headers{"source", truth, "gain"};
    for (const auto& r : view.rankers) headers.push_back(r);
    // Each ranker's rank of each source (1 = its first choice) for the tooltips.
    std::map<std::string, std::vector<std::size_t>> ranks;
    for (const auto& r : view.rankers) {
      std::vector<double> s;
      for (const auto* row : rows_in) {
        const auto it = row->scores.find(r);
        s.push_back(it == row->scores.end() ? kNaN : it->second);
      }
      auto& rank = ranks[r];
      rank.assign(s.size(), 0);
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (!std::isfinite(s[i])) continue;
        rank[i] = 1;
        for (std::size_t j = 0; j < s.size(); ++j)
          if (std::isfinite(s[j]) && (s[j] > s[i] || (s[j] == s[i] && j < i))) ++rank[i];
      }
    }
    std::vector<std::vector<Cell>> rows;
    for (std::size_t i = 0; i < rows_in.size(); ++i) {
      const ScoreRow& row = *rows_in[i];
      const auto cell = view.cells.find({t, row.source});
      const double gain = cell == view.cells.end() ? kNaN : cell->second->gain;
      std::vector<Cell> out_row{text_cell(row.source, 48), number_cell(row.truth, 4),
                                Cell{signed_fixed(gain, 4), sort_key(gain), true, {}}};
      for (const auto& r : view.rankers) {
        const auto it = row.scores.find(r);
        const double score = it == row.scores.end() ? kNaN : it->second;
        const std::size_t rank = ranks[r][i];
        out_row.push_back(Cell{general(score, 5), sort_key(score), true,
                               rank ? fmt::format("rank {} by {}", rank, esc(r)) : std::string("not scored")});
      }
      rows.push_back(std::move(out_row));
    }
    out += fmt::format("<details><summary>{} — {} sources</summary>\n", esc(t), rows_in.size());
    out += sortable_table("", "scores-table", headers, rows) + "</details>\n";
  }
  return out;
}

}  // namespace report

std::string render_benchmark_report(const BenchmarkReport& report) {
  using namespace report;
  const BenchmarkView view = make_view(report);
  std::string body = page_header(
      report.title,
      fmt::format("{} targets × {} sources, {} rankers", view.targets.size(), view.sources.size(), view.rankers.size()),
      report.facts,
      {{"matrix", "Transfer matrix"},
       {"scatter", "Score vs truth"},
       {"rankers", "Rankers"},
       {"cost", "Quality vs cost"},
       {"tables", "Tables"}});

  body += section_heading(
      "matrix", "Transfer matrix: gain over target-only fine-tuning",
      "Each row is a target, each column a source fine-tuned first. Colour is the change in the target's "
      "macro-F1 against fine-tuning on the target alone (same budget and seeds): blue helps, red hurts, white "
      "is no change. Outlined cells are resolved by the seeds (|gain| &gt; 2·SE); grey cells were not measured "
      "or are the target itself. Hover a cell for its numbers.");
  body += heatmap_figure(view);

  body += section_heading(
      "scatter", "Score against measured truth, per target and ranker",
      fmt::format("One panel per ranker: each dot is a source, x its score, y its measured {} on the target. "
                  "A good ranker puts the high dots on the right. The orange ring is the ranker's first choice; "
                  "the dashed line is the best source's truth, so the gap below it is the regret@1. "
                  "The title gives that target's weighted τ (1: same order as the truth; 0: unrelated).",
                  esc(report.truth_label)));
  body += scatter_figures(view);

  body += section_heading(
      "rankers", "Rankers over all targets",
      "Mean weighted τ (higher is better) and regret@k — how far the best of the ranker's top k falls short "
      "of the best source, in % (lower is better) — with their confidence intervals. The dashed line marks the "
      "reference ranker, if present: a useful ranker beats it clearly.");
  body += ranker_ci_figure(view);

  body += section_heading("cost", "Quality against cost",
                          "Mean weighted τ against the time a ranker spends per source (log scale). Up and to "
                          "the left is better.");
  body += quality_cost_figure(view);

  body += section_heading("tables", "Tables",
                          "Click a column header to sort (again to reverse). Hover a mean for its confidence "
                          "interval, a score for its rank.");
  body += ranker_tables(view);
  body += "<h3>Scores per target</h3>\n" + score_tables(view);
  return page(report.title, body);
}

}  // namespace taskscout
