// The rankers' figures: score-vs-truth small multiples, mean metrics with confidence
// intervals, and quality against cost.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report_benchmark.hpp"
#include "report_html.hpp"
#include "report_svg.hpp"
#include "taskscout/eval/ranking_metrics.hpp"

namespace taskscout::report {
namespace {

constexpr double kCharWidth = 6.3;
constexpr std::string_view kBlue = "#2f6db5", kOrange = "#e8710a", kGrey = "#8c959f";

double score_of(const ScoreRow& row, const std::string& ranker) {
  const auto it = row.scores.find(ranker);
  return it == row.scores.end() ? std::nan("") : it->second;
}

// The target's weighted τ for a ranker: the summary's, else computed from the scored rows.
double weighted_tau_of(const BenchmarkView& view, const std::string& ranker, const std::string& target) {
  if (const auto s = view.summary.find(ranker); s != view.summary.end()) {
    if (const auto t = s->second->per_target.find(target); t != s->second->per_target.end())
      if (const auto m = t->second.find("weighted_tau"); m != t->second.end()) return m->second;
  }
  std::vector<double> scores, truth;
  for (const auto* row : view.rows.at(target)) {
    const double s = score_of(*row, ranker);
    if (!std::isfinite(s) || !std::isfinite(row->truth)) continue;
    scores.push_back(s);
    truth.push_back(row->truth);
  }
  const Metric tau = weighted_tau(scores, truth);
  return tau ? *tau : std::nan("");
}

std::string scatter_panel(const BenchmarkView& view, const std::string& target, const std::string& ranker,
                          const Axis& y_axis_values) {
  constexpr double kW = 232, kH = 196, kL = 48, kR = 12, kT = 40, kB = 34;
  const auto& rows = view.rows.at(target);
  Range xs;
  std::size_t scored = 0;
  for (const auto* row : rows) {
    const double s = score_of(*row, ranker);
    if (std::isfinite(s) && std::isfinite(row->truth)) xs.add(s), ++scored;
  }
  const Axis xa = nice_axis(xs, 3);
  const Scale x = xa.scale(kL, kW - kR), y = y_axis_values.scale(kH - kB, kT);
  const double tau = weighted_tau_of(view, ranker, target);

  std::string out = fmt::format(
      "<svg class=\"scatter\" data-target=\"{}\" data-ranker=\"{}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">",
      esc(target), esc(ranker), px(kW), px(kH), px(kW), px(kH));
  out += fmt::format("<title>{} on {}</title>", esc(ranker), esc(target));
  out += text(4, 13, esc_short(ranker, 30), "font-weight=\"600\" font-size=\"12\"");
  std::string sub = fmt::format("weighted τ {} · {} scored", fixed(tau, 3), scored);
  if (scored < rows.size()) sub += fmt::format(" · {} not", rows.size() - scored);
  out += text(4, 27, esc(sub), "class=\"muted\" font-size=\"10.5\"");
  out += y_axis(y_axis_values, y, kL, kW - kR);
  out += x_axis(xa, x, kH - kB, kT);
  out += text((kL + kW - kR) / 2, kH - 4, "score", "text-anchor=\"middle\" class=\"muted\" font-size=\"10\"");
  out += fmt::format(
      "<text transform=\"translate(10,{}) rotate(-90)\" text-anchor=\"middle\" class=\"muted\" "
      "font-size=\"10\">{}</text>",
      px((kT + kH - kB) / 2), esc_short(view.report->truth_label, 20));
  if (scored == 0)
    return out + text((kL + kW) / 2, (kT + kH - kB) / 2, "not scored", "text-anchor=\"middle\" class=\"muted\"") +
           "</svg>";

  // The best source's truth (the line regret@1 is measured from) and the ranker's first choice.
  const ScoreRow* best = nullptr;
  const ScoreRow* pick = nullptr;
  for (const auto* row : rows) {
    const double s = score_of(*row, ranker);
    if (!std::isfinite(s) || !std::isfinite(row->truth)) continue;
    if (!best || row->truth > best->truth) best = row;
    if (!pick || s > score_of(*pick, ranker)) pick = row;
  }
  out += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"{3}\" stroke-dasharray=\"4 3\"/>",
                     px(kL), px(kW - kR), px(y(best->truth)), kGrey);
  for (const auto* row : rows) {
    const double s = score_of(*row, ranker);
    if (!std::isfinite(s) || !std::isfinite(row->truth)) continue;
    out += fmt::format("<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"3.4\" fill=\"{}\" fill-opacity=\"0.72\">",
                       px(x(s)), px(y(row->truth)), kBlue);
    out += fmt::format("<title>{}\nscore {}\n{} {}</title></circle>", esc(row->source), general(s, 5),
                       esc(view.report->truth_label), general(row->truth, 4));
  }
  out += fmt::format(
      "<circle class=\"pick\" cx=\"{}\" cy=\"{}\" r=\"6.5\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\">",
      px(x(score_of(*pick, ranker))), px(y(pick->truth)), kOrange);
  out += fmt::format("<title>first choice: {}</title></circle>", esc(pick->source));
  return out + "</svg>";
}

}  // namespace

std::string scatter_figures(const BenchmarkView& view) {
  if (view.scored_targets.empty() || view.rankers.empty()) return "<p class=\"empty\">No ranker scores.</p>\n";
  std::string out;
  for (std::size_t i = 0; i < view.scored_targets.size(); ++i) {
    const std::string& target = view.scored_targets[i];
    Range truth;
    for (const auto* row : view.rows.at(target)) truth.add(row->truth);
    const Axis ya = nice_axis(truth, 4);
    out += fmt::format("<section class=\"target-scatter\" id=\"scatter-{}\"><h3>{}</h3>\n<div class=\"panels\">\n", i,
                       esc(target));
    // The reference ranker (random) usually has expected metrics but no scores to plot.
    for (const auto& ranker : view.rankers) {
      const bool unscored_reference =
          ranker == view.report->reference_ranker &&
          std::none_of(view.rows.at(target).begin(), view.rows.at(target).end(),
                       [&](const auto* row) { return std::isfinite(score_of(*row, ranker)); });
      if (!unscored_reference) out += scatter_panel(view, target, ranker, ya) + "\n";
    }
    out += "</div></section>\n";
  }
  return out;
}

std::string ranker_ci_figure(const BenchmarkView& view) {
  struct Panel {
    std::string metric, title;
  };
  const std::vector<Panel> panels = {{"weighted_tau", "weighted τ  (higher is better)"},
                                     {"regret@1", "regret@1, %  (lower is better)"},
                                     {"regret@3", "regret@3, %"},
                                     {"regret@5", "regret@5, %"}};
  const auto& sums = view.summaries;
  std::size_t longest = 6;
  for (const auto* s : sums) longest = std::max(longest, std::min<std::size_t>(text_length(s->name), 24));
  const double label_w = static_cast<double>(longest) * kCharWidth + 18;
  constexpr double kPanelW = 250, kGap = 40, kRow = 24, kTop = 36, kBottom = 34;
  const double width = label_w + panels.size() * (kPanelW + kGap);
  const double height = kTop + kRow * static_cast<double>(std::max<std::size_t>(sums.size(), 1)) + kBottom;
  if (sums.empty())
    return "<div class=\"figure\"><svg id=\"ranker-ci\" width=\"400\" height=\"24\" viewBox=\"0 0 400 24\">" +
           text(0, 16, "No ranker was evaluated.", "class=\"muted\" font-size=\"13\"") + "</svg></div>\n";
  std::string out = fmt::format(
      "<div class=\"figure\"><svg id=\"ranker-ci\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"mean ranking metrics with confidence intervals\">\n",
      px(width), px(height), px(width), px(height));

  const RankerSummary* reference = nullptr;
  if (const auto it = view.summary.find(view.report->reference_ranker); it != view.summary.end())
    reference = it->second;
  for (std::size_t i = 0; i < sums.size(); ++i) {
    const double y = kTop + kRow * static_cast<double>(i);
    if (i % 2 == 0)
      out += fmt::format("<rect x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f6f8fa\"/>", px(y),
                         px(width - kGap), px(kRow));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\"{}>{}<title>{}</title></text>", px(label_w - 10),
                       px(y + kRow / 2 + 4), sums[i] == reference ? " class=\"muted\"" : "",
                       esc_short(sums[i]->name, 24), esc(sums[i]->name));
  }
  for (std::size_t p = 0; p < panels.size(); ++p) {
    const std::string& metric = panels[p].metric;
    const double x0 = label_w + p * (kPanelW + kGap), x1 = x0 + kPanelW;
    Range r;
    for (const auto* s : sums) {
      r.add(mean_metric(view, s->name, metric));
      if (const auto it = s->ci.find(metric); it != s->ci.end()) r.add(it->second.first), r.add(it->second.second);
    }
    const Axis axis = nice_axis(r, 4, true);
    const Scale x = axis.scale(x0, x1);
    const double bottom = kTop + kRow * static_cast<double>(sums.size());
    out += fmt::format("<g class=\"ci-panel\" data-metric=\"{}\">", esc(metric));
    out += text(x0, kTop - 12, esc(panels[p].title), "font-weight=\"600\"");
    out += x_axis(axis, x, bottom, kTop);
    if (reference) {
      const double ref = mean_metric(view, reference->name, metric);
      if (std::isfinite(ref))
        out += fmt::format(
            "<line class=\"reference\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\" "
            "stroke-dasharray=\"5 3\"><title>{4}: {5}</title></line>",
            px(x(ref)), px(kTop - 4), px(bottom), kGrey, esc(reference->name), fixed(ref, metric_decimals(metric)));
    }
    for (std::size_t i = 0; i < sums.size(); ++i) {
      const RankerSummary& s = *sums[i];
      const double cy = kTop + kRow * (static_cast<double>(i) + 0.5);
      const double mean = mean_metric(view, s.name, metric);
      const int d = metric_decimals(metric);
      std::string tip = fmt::format("{} · {} {}", esc(s.name), esc(metric_label(metric)), fixed(mean, d));
      const std::string_view colour = &s == reference ? kGrey : kBlue;
      if (const auto it = s.ci.find(metric);
          it != s.ci.end() && std::isfinite(it->second.first) && std::isfinite(it->second.second)) {
        const double lo = x(std::min(it->second.first, it->second.second));
        const double hi = x(std::max(it->second.first, it->second.second));
        tip += fmt::format(" [{}, {}]", fixed(it->second.first, d), fixed(it->second.second, d));
        out += fmt::format(
            "<path class=\"whisker\" d=\"M{0} {2}V{3}M{0} {4}H{1}M{1} {2}V{3}\" stroke=\"{5}\" stroke-width=\"1.5\" "
            "fill=\"none\"/>",
            px(lo), px(hi), px(cy - 4), px(cy + 4), px(cy), colour);
      }
      if (std::isfinite(mean))
        out +=
            fmt::format("<circle class=\"mean\" cx=\"{}\" cy=\"{}\" r=\"4.5\" fill=\"{}\"><title>{}</title></circle>",
                        px(x(mean)), px(cy), colour, tip);
      else
        out += text((x0 + x1) / 2, cy + 4, "—", "text-anchor=\"middle\" class=\"muted\"");
    }
    out += "</g>\n";
  }
  return out + "</svg></div>\n";
}

std::string quality_cost_figure(const BenchmarkView& view) {
  constexpr double kW = 760, kH = 400, kL = 64, kR = 170, kT = 18, kB = 50;
  struct Point {
    const RankerSummary* s;
    double seconds, tau, px, py, ly;
  };
  std::vector<Point> points;
  std::vector<std::string> left_out;
  Range secs, taus;
  for (const auto* s : view.summaries) {
    const double tau = mean_metric(view, s->name, "weighted_tau");
    if (!(std::isfinite(s->seconds_per_source) && s->seconds_per_source > 0) || !std::isfinite(tau)) {
      left_out.push_back(s->name);
      continue;
    }
    points.push_back({s, s->seconds_per_source, tau, 0, 0, 0});
    secs.add(s->seconds_per_source);
    taus.add(tau);
  }
  std::string note;
  if (!left_out.empty()) {
    std::string names;
    for (const auto& n : left_out) names += (names.empty() ? "" : ", ") + esc(n);
    note = fmt::format("<p class=\"note\">Not plotted (no time or no weighted τ): {}.</p>\n", names);
  }
  if (points.empty())
    return "<div class=\"figure\"><svg id=\"quality-cost\" width=\"400\" height=\"24\" viewBox=\"0 0 400 24\">" +
           text(0, 16, "No ranker has both a time and a weighted τ.", "class=\"muted\" font-size=\"13\"") +
           "</svg></div>\n" + note;
  const Axis xa = log_seconds_axis(secs), ya = nice_axis(taus, 5);
  const Scale x = xa.scale(kL, kW - kR), y = ya.scale(kH - kB, kT);
  std::string out = fmt::format(
      "<div class=\"figure\"><svg id=\"quality-cost\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"ranking quality against cost\">\n",
      px(kW), px(kH), px(kW), px(kH));
  out += y_axis(ya, y, kL, kW - kR);
  out += x_axis(xa, x, kH - kB, kT);
  out += text((kL + kW - kR) / 2, kH - 12, "time per source (log scale)", "text-anchor=\"middle\" class=\"muted\"");
  out += fmt::format(
      "<text transform=\"translate(16,{}) rotate(-90)\" text-anchor=\"middle\" class=\"muted\">mean "
      "weighted τ</text>",
      px((kT + kH - kB) / 2));
  for (auto& p : points) p.px = x(std::log10(p.seconds)), p.py = y(p.tau), p.ly = p.py + 4;
  // Labels sit right of their point; one that would overlap a label placed before moves down.
  std::vector<std::size_t> order(points.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return points[a].py < points[b].py; });
  for (std::size_t k = 0; k < order.size(); ++k) {
    Point& p = points[order[k]];
    const double w = static_cast<double>(std::min<std::size_t>(text_length(p.s->name), 22)) * kCharWidth;
    for (int guard = 0; guard < 40; ++guard) {
      bool clash = false;
      for (std::size_t j = 0; j < k && !clash; ++j) {
        const Point& q = points[order[j]];
        const double qw = static_cast<double>(std::min<std::size_t>(text_length(q.s->name), 22)) * kCharWidth;
        clash = std::abs(q.ly - p.ly) < 12 && p.px + 8 < q.px + 8 + qw && q.px + 8 < p.px + 8 + w;
      }
      if (!clash) break;
      p.ly += 12;
    }
  }
  for (const auto& p : points) {
    const bool ref = p.s->name == view.report->reference_ranker;
    out += fmt::format("<g class=\"ranker-point\" data-ranker=\"{}\">", esc(p.s->name));
    out += fmt::format(
        "<circle cx=\"{}\" cy=\"{}\" r=\"5.5\" fill=\"{}\"><title>{}\nweighted τ {}\n{} per source</title></circle>",
        px(p.px), px(p.py), ref ? kGrey : kBlue, esc(p.s->name), fixed(p.tau, 3), seconds_text(p.seconds));
    if (std::abs(p.ly - p.py - 4) > 1)
      out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#c4ccd4\"/>", px(p.px + 4),
                         px(p.py + 2), px(p.px + 8), px(p.ly - 4));
    out += text(p.px + 9, p.ly, esc_short(p.s->name, 22), ref ? "class=\"muted\"" : "");
    out += "</g>\n";
  }
  return out + "</svg></div>\n" + note;
}

}  // namespace taskscout::report
