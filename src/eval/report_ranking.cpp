// The single-target ranking report (`taskscout rank --report`): each method's scores as
// horizontal bars, one sortable table of every source's scores, and what was skipped.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "report_html.hpp"
#include "report_svg.hpp"
#include "taskscout/eval/report.hpp"

namespace taskscout {
namespace report {
namespace {

constexpr double kCharWidth = 6.3;
constexpr std::size_t kMaxName = 34;

std::string bars(const MethodRankingReport& m) {
  constexpr double kRow = 19, kTop = 6, kBottom = 36, kBarW = 430, kValueW = 150;
  std::size_t longest = 8;
  for (const auto& s : m.ranked) longest = std::max(longest, std::min(text_length(s.name), kMaxName));
  const double rank_w = 34, name_w = static_cast<double>(longest) * kCharWidth + 12;
  const double x0 = rank_w + name_w, x1 = x0 + kBarW;
  const double n = static_cast<double>(std::max<std::size_t>(m.ranked.size(), 1));
  const double width = x1 + kValueW, height = kTop + kRow * n + kBottom;

  Range scores;
  for (const auto& s : m.ranked) scores.add(s.score);
  // Bars start at 0 when 0 is in view; positive scores include it unless that squashes
  // their differences. Negative ones (LogME) start at the axis's left end: longer is better.
  const bool zero = !scores.empty() && scores.lo >= 0 && scores.lo <= 0.5 * scores.hi;
  const Axis axis = nice_axis(scores, 5, zero);
  const Scale x = axis.scale(x0, x1);
  const double base = axis.lo <= 0 && axis.hi >= 0 ? x(0) : x0;

  std::string out = fmt::format(
      "<svg class=\"bars\" data-method=\"{}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"scores by {}\">\n",
      esc(m.method), px(width), px(height), px(width), px(height), esc(m.method));
  const double bottom = kTop + kRow * n;
  out += x_axis(axis, x, bottom, kTop);
  out += text((x0 + x1) / 2, bottom + 30, "score", "text-anchor=\"middle\" class=\"muted\"");
  if (m.ranked.empty()) out += text(x0 + 8, kTop + 13, "No source was ranked.", "class=\"muted\"");
  for (std::size_t i = 0; i < m.ranked.size(); ++i) {
    const RankedSource& s = m.ranked[i];
    const double y = kTop + kRow * static_cast<double>(i);
    out += fmt::format("<g class=\"bar\" data-source=\"{}\"><title>{}. {}\nscore {}\n{}</title>", esc(s.name), i + 1,
                       esc(s.name), general(s.score, 6), seconds_text(s.seconds));
    out += text(rank_w - 6, y + 13, fmt::format("{}", i + 1), "text-anchor=\"end\" class=\"muted\"");
    out += text(rank_w, y + 13, esc_short(s.name, kMaxName));
    if (std::isfinite(s.score)) {
      const double end = x(s.score);
      out +=
          fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>", px(std::min(base, end)),
                      px(y + 3), px(std::max(std::abs(end - base), 1.0)), px(kRow - 6), i < 3 ? "#2f6db5" : "#93b4dc");
    }
    out += text(x1 + 10, y + 13, general(s.score, 4), "font-variant-numeric=\"tabular-nums\"");
    out += text(x1 + 80, y + 13, seconds_text(s.seconds), "class=\"muted\"");
    out += "</g>\n";
  }
  if (!scores.empty() && base > x0 && base < x1)
    out += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#57606a\"/>", px(base), px(kTop),
                       px(bottom));
  return out + "</svg>\n";
}

std::string method_note(const MethodRankingReport& m) {
  return fmt::format("<p class=\"note\">{} ranked · {} skipped · setup {} · {} for all sources</p>\n", m.ranked.size(),
                     m.skipped.size(), seconds_text(m.setup_seconds), seconds_text(m.seconds));
}

// Every source of every method, in order of first appearance.
std::vector<std::string> all_sources(const RankingReport& r) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& m : r.methods) {
    for (const auto& s : m.ranked)
      if (seen.insert(s.name).second) names.push_back(s.name);
    for (const auto& s : m.skipped)
      if (seen.insert(s.name).second) names.push_back(s.name);
  }
  return names;
}

std::string scores_table(const RankingReport& r) {
  const auto sources = all_sources(r);
  if (sources.empty() || r.methods.empty()) return "<p class=\"empty\">No source.</p>\n";
  std::vector<std::string> headers{"source"};
  for (const auto& m : r.methods) headers.push_back(m.method);
  // source → method index → (rank, score) or the skip reason.
  std::map<std::string, std::map<std::size_t, Cell>> cells;
  for (std::size_t k = 0; k < r.methods.size(); ++k) {
    const auto& m = r.methods[k];
    for (std::size_t i = 0; i < m.ranked.size(); ++i)
      cells[m.ranked[i].name].try_emplace(
          k, Cell{general(m.ranked[i].score, 5), sort_key(m.ranked[i].score), true, fmt::format("rank {}", i + 1)});
    for (const auto& s : m.skipped) cells[s.name].try_emplace(k, Cell{"skipped", "", true, esc(s.reason)});
  }
  std::vector<std::vector<Cell>> rows;
  for (const auto& name : sources) {
    std::vector<Cell> row{text_cell(name, 60)};
    for (std::size_t k = 0; k < r.methods.size(); ++k) {
      const auto it = cells[name].find(k);
      row.push_back(it == cells[name].end() ? Cell{"—", "", true, "not in this method's pool"} : it->second);
    }
    rows.push_back(std::move(row));
  }
  return sortable_table("ranking-table", "", headers, rows);
}

std::string skipped_list(const RankingReport& r) {
  std::vector<std::vector<Cell>> rows;
  for (const auto& m : r.methods)
    for (const auto& s : m.skipped) {
      Cell reason = text_cell(s.reason, 2000);
      reason.wrap = true;  // reasons are long messages
      rows.push_back({text_cell(m.method, 40), text_cell(s.name, 60), reason});
    }
  if (rows.empty()) return "<div id=\"skipped\"><p class=\"empty\">No source was skipped.</p></div>\n";
  return "<div id=\"skipped\">\n" + sortable_table("skipped-table", "", {"method", "source", "reason"}, rows) +
         "</div>\n";
}

std::string methods_table(const RankingReport& r) {
  std::vector<std::vector<Cell>> rows;
  for (const auto& m : r.methods) {
    const double per = m.ranked.empty() && m.skipped.empty()
                           ? std::nan("")
                           : m.seconds / static_cast<double>(m.ranked.size() + m.skipped.size());
    const auto secs = [](double s) { return Cell{seconds_text(s), sort_key(s), true, {}}; };
    rows.push_back({text_cell(m.method, 40), number_cell(static_cast<double>(m.ranked.size()), 0),
                    number_cell(static_cast<double>(m.skipped.size()), 0), secs(m.setup_seconds), secs(m.seconds),
                    secs(per)});
  }
  return sortable_table("method-table", "", {"method", "ranked", "skipped", "setup", "all sources", "per source"},
                        rows);
}

}  // namespace
}  // namespace report

std::string render_ranking_report(const RankingReport& r) {
  using namespace report;
  std::string body = page_header(
      r.title, fmt::format("target {} · {} method{}", r.target, r.methods.size(), r.methods.size() == 1 ? "" : "s"),
      r.facts, {{"bars", "Scores"}, {"table", "Table"}, {"skipped-sources", "Skipped"}, {"methods", "Methods"}});
  body += section_heading("bars", "Scores per method",
                          "Each method's sources, best first. Bar length is the score (methods use different units, "
                          "so compare orders across methods, not lengths); the three darker bars are the top 3. "
                          "Hover a bar for its exact score and time.");
  body += "<div id=\"ranking-bars\">\n";
  if (r.methods.empty()) body += "<p class=\"empty\">No method was run.</p>\n";
  for (const auto& m : r.methods)
    body +=
        fmt::format("<h3>{}</h3>\n", esc(m.method)) + method_note(m) + "<div class=\"figure\">" + bars(m) + "</div>\n";
  body += "</div>\n";
  body += section_heading("table", "All scores",
                          "One row per source, one column per method. Click a header to sort; hover a score for its "
                          "rank, a skipped cell for the reason.");
  body += scores_table(r);
  body += section_heading("skipped-sources", "Skipped sources", "Sources a method could not score, and why.");
  body += skipped_list(r);
  body += section_heading("methods", "Methods", "Sources ranked and skipped, and the time each method took.");
  body += methods_table(r);
  return page(r.title, body);
}

}  // namespace taskscout
