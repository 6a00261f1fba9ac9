// The HTML reports: their elements and counts, escaping, no NaN coordinates, no external
// references, determinism, degenerate inputs. With TASKSCOUT_REPORT_SAMPLE_DIR set, the
// sample reports are written there for tests/report/render_test.sh (a real browser).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "taskscout/core/sha256.hpp"
#include "taskscout/eval/report.hpp"
#include "taskscout/eval/transfer_table.hpp"
#include "taskscout/io/utf8.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
const std::string kEvil = "<script>alert(1)</script>&\"";

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size())) ++n;
  return n;
}

// A deterministic uniform in [0, 1) (no std distribution: those differ between libraries).
struct Lcg {
  std::uint64_t state;
  double operator()() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  }
};

// Summaries computed from the score rows as `taskscout eval` would: per-target metrics,
// their means and a normal-approximation interval over targets.
std::vector<RankerSummary> summarize(const std::vector<ScoreRow>& rows, const std::vector<std::string>& rankers,
                                     const std::map<std::string, double>& seconds) {
  std::vector<RankerSummary> out;
  for (const auto& r : rankers) {
    std::vector<TransferRow> table;
    for (const auto& row : rows)
      if (const auto it = row.scores.find(r); it != row.scores.end() && std::isfinite(it->second))
        table.push_back({row.target, row.source, it->second, row.truth});
    const TransferEvaluation ev = evaluate_transfer(table);
    RankerSummary s;
    s.name = r;
    s.seconds_per_source = seconds.count(r) ? seconds.at(r) : kNaN;
    const auto metrics = transfer_metrics();
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const std::string name(metrics[m].name);
      std::vector<double> values;
      for (const auto& t : ev.targets) {
        const double v = t.values[m] ? *t.values[m] : kNaN;
        s.per_target[t.target][name] = v;
        if (std::isfinite(v)) values.push_back(v);
      }
      s.mean[name] = ev.mean.values[m] ? *ev.mean.values[m] : kNaN;
      if (values.size() >= 2) {
        double var = 0;
        for (double v : values) var += (v - s.mean[name]) * (v - s.mean[name]);
        const double half = 1.96 * std::sqrt(var / static_cast<double>(values.size() - 1) / values.size());
        s.ci[name] = {s.mean[name] - half, s.mean[name] + half};
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

// A benchmark like the real one: sentiment tasks help each other, the others less; rankers
// see that affinity through noise of different sizes; "random" sees none of it.
BenchmarkReport sample_benchmark(std::size_t n_targets = 6, std::size_t n_sources = 9, bool evil = true) {
  const std::vector<std::string> tasks = {"sst2", "mr", "cr", "subj", "trec", "emotion", "sst5", "mpqa", "irony"};
  const std::set<std::string> sentiment = {"sst2", "mr", "cr", "sst5", "mpqa"};
  BenchmarkReport r;
  r.title = "taskscout benchmark — sample";
  r.facts = {{"base", "bert-mini"}, {"seeds", "3"}, {"target rows", "1000"}, {"test rows", "2000"}};
  for (std::size_t i = 0; i < n_targets; ++i) r.targets.push_back(tasks[i % tasks.size()]);
  for (std::size_t i = 0; i < n_sources; ++i) r.sources.push_back(tasks[i % tasks.size()]);
  if (evil && n_sources > 0) r.sources.back() = kEvil;
  r.rankers = {"esm-logme", "logme", "textemb", "vocabulary", "random"};
  const std::map<std::string, double> noise = {
      {"esm-logme", 0.25}, {"logme", 0.4}, {"textemb", 0.7}, {"vocabulary", 1.0}, {"random", 0}};
  const std::map<std::string, double> seconds = {
      {"esm-logme", 0.0042}, {"logme", 2.3}, {"textemb", 0.00061}, {"vocabulary", 0.0019}, {"random", 2e-6}};
  Lcg rng{42};
  for (std::size_t ti = 0; ti < r.targets.size(); ++ti) {
    const std::string& t = r.targets[ti];
    const double baseline = 0.55 + 0.3 * rng(), baseline_se = 0.004 + 0.006 * rng();
    for (std::size_t si = 0; si < r.sources.size(); ++si) {
      const std::string& s = r.sources[si];
      if (s == t) continue;              // a target is never its own source
      if (ti == 1 && si == 3) continue;  // one pair not measured
      const double affinity = (sentiment.count(t) && sentiment.count(s) ? 1.0 : 0.0) + 0.5 * rng() - 0.25;
      TransferMatrixCell c;
      c.target = t;
      c.source = s;
      c.seeds = 3;
      c.gain = 0.05 * affinity - 0.012 + 0.01 * (rng() - 0.5);
      c.macro_f1 = baseline + c.gain;
      c.macro_f1_se = 0.003 + 0.008 * rng();
      c.accuracy = c.macro_f1 + 0.02;
      c.accuracy_se = c.macro_f1_se;
      c.baseline_macro_f1 = baseline;
      c.baseline_macro_f1_se = baseline_se;
      c.gain_se = std::sqrt(c.macro_f1_se * c.macro_f1_se + baseline_se * baseline_se);
      if (ti == 2 && si == 0) c.baseline_macro_f1 = c.gain = c.gain_se = kNaN;  // baseline not run
      r.matrix.push_back(c);
      ScoreRow row{t, s, {}, c.macro_f1};
      for (const auto& [name, level] : noise)
        row.scores[name] =
            name == "random" ? rng() : affinity + level * (rng() - 0.5) - (name == "esm-logme" ? 1.0 : 0);
      if (si == 2) row.scores["logme"] = kNaN;  // a source logme could not score
      r.scores.push_back(row);
    }
  }
  r.summaries = summarize(r.scores, r.rankers, seconds);
  return r;
}

RankingReport sample_ranking(bool evil = true) {
  RankingReport r;
  r.target = "data/reviews.csv";
  r.facts = {{"base", "bert-mini"}, {"registry", "runs/registry"}, {"rows", "1000"}};
  const std::vector<std::string> names = {"sst2", "mr", "cr", "subj", "trec", "emotion", "sst5", "mpqa"};
  Lcg rng{7};
  MethodRankingReport esm{"esm-logme", {}, {}, 0.21, 0.034};
  MethodRankingReport textemb{"textemb", {}, {}, 0.01, 0.004};
  MethodRankingReport logme{"logme", {}, {}, 0.0, 12.5};
  for (const auto& n : names) {
    esm.ranked.push_back({n, -0.9 + 0.6 * rng(), 0.004});
    textemb.ranked.push_back({n, 0.7 + 0.28 * rng(), 0.0005});
    if (n != "trec" && n != "subj") logme.ranked.push_back({n, -0.8 + 0.5 * rng(), 2.1});
  }
  if (evil) esm.ranked.push_back({kEvil, -0.95, 0.004});
  logme.skipped = {{"trec", "source 'trec' has no fine-tuned model in the registry; register it with --model"},
                   {"subj", "subj: weights hold non-finite values <at> layer 3 & \"classifier\""}};
  for (auto* m : {&esm, &textemb, &logme})
    std::stable_sort(m->ranked.begin(), m->ranked.end(),
                     [](const auto& a, const auto& b) { return a.score > b.score; });
  r.methods = {esm, textemb, logme};
  return r;
}

// Every attribute value of the document (all are double-quoted).
std::vector<std::pair<std::string, std::string>> attributes(const std::string& html) {
  static const std::regex attr(R"re(\s([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)")re");
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), attr); it != std::sregex_iterator(); ++it)
    out.emplace_back((*it)[1], (*it)[2]);
  return out;
}

// Checks every report must pass: a complete, valid UTF-8 document; no NaN or infinity in
// any attribute or as a word anywhere; coordinates finite and sane; nothing external.
void expect_well_formed(const std::string& html) {
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_TRUE(html.ends_with("</html>\n"));
  EXPECT_TRUE(is_valid_utf8(html));
  static const std::set<std::string> coords = {"x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height"};
  static const std::regex bad_word(R"(\b(nan|inf|infinity)\b)", std::regex::icase);
  for (const auto& [name, value] : attributes(html)) {
    EXPECT_FALSE(std::regex_search(value, bad_word)) << name << "=\"" << value << "\"";
    if (coords.count(name)) {
      char* end = nullptr;
      const double v = std::strtod(value.c_str(), &end);
      EXPECT_TRUE(*end == '\0' && std::isfinite(v) && std::abs(v) < 1e5) << name << "=\"" << value << "\"";
    }
    static const std::regex path(R"([MLHVZ0-9. -]*)"), viewbox(R"(0 0 [0-9.]+ [0-9.]+)"),
        transform(R"(translate\(-?[0-9.]+,-?[0-9.]+\)( rotate\(-?[0-9]+\))?)");
    EXPECT_TRUE(name != "d" || std::regex_match(value, path)) << value;
    EXPECT_TRUE(name != "viewBox" || std::regex_match(value, viewbox)) << value;
    EXPECT_TRUE(name != "transform" || std::regex_match(value, transform)) << value;
    EXPECT_TRUE(name != "href" || value.rfind('#', 0) == 0) << "href=\"" << value << "\"";
  }
  EXPECT_FALSE(std::regex_search(html, bad_word));
  for (const char* external : {"http://", "https://", "src=", "@import", "url(", "xlink:href", "<link", "<iframe"})
    EXPECT_EQ(count(html, external), 0u) << external;
  EXPECT_EQ(count(html, "<script"), 1u);  // only the report's own
}

std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto a = text.find(open);
  if (a == std::string::npos) return {};
  const auto b = text.find(close, a + open.size());
  return b == std::string::npos ? std::string() : text.substr(a + open.size(), b - a - open.size());
}

TEST(Report, BenchmarkHasEveryFigure) {
  const BenchmarkReport r = sample_benchmark();
  const std::string html = render_benchmark_report(r);
  expect_well_formed(html);
  EXPECT_EQ(count(html, "<svg id=\"transfer-heatmap\""), 1u);
  EXPECT_EQ(count(html, "<svg id=\"ranker-ci\""), 1u);
  EXPECT_EQ(count(html, "<svg id=\"quality-cost\""), 1u);
  // Sortable: mean metrics, weighted τ per target, every metric per target, one per target's scores.
  EXPECT_EQ(count(html, "<table class=\"sortable\""), 3u);
  EXPECT_EQ(count(html, "<table class=\"sortable scores-table\""), r.targets.size());
  // Every ranker a row in the interval chart, the reference ranker a line in each of its 4 panels.
  EXPECT_EQ(count(html, "<circle class=\"mean\""), 4 * r.rankers.size());
  EXPECT_EQ(count(html, "class=\"reference\""), 4u);
  EXPECT_EQ(count(html, "<g class=\"ranker-point\""), r.rankers.size());
}

TEST(Report, HeatMapHasOneCellPerTargetAndSource) {
  const BenchmarkReport r = sample_benchmark(5, 7, false);
  const std::string html = render_benchmark_report(r);
  const std::string heatmap = between(html, "<svg id=\"transfer-heatmap\"", "</svg>");
  ASSERT_FALSE(heatmap.empty());
  EXPECT_EQ(count(heatmap, "<g class=\"cell"), 5u * 7u);
  std::size_t sig = 0, self = 0, measured_gain = 0;
  for (const auto& c : r.matrix) {
    sig += std::abs(c.gain) > 2 * c.gain_se;  // false when either is NaN
    measured_gain += std::isfinite(c.gain);
  }
  for (const auto& t : r.targets)
    for (const auto& s : r.sources) self += t == s;
  ASSERT_GT(sig, 0u);
  ASSERT_LT(sig, r.matrix.size());
  EXPECT_EQ(count(heatmap, "<g class=\"cell sig\""), sig);
  EXPECT_EQ(count(heatmap, "<g class=\"cell\"") + sig, measured_gain);
  EXPECT_EQ(count(heatmap, "<g class=\"cell missing self\""), self);
  EXPECT_EQ(count(heatmap, "<g class=\"cell missing\""), 1u);  // the pair left unmeasured
  EXPECT_EQ(count(heatmap, "<g class=\"cell nogain\""), 1u);   // the cell without a baseline
  EXPECT_EQ(count(heatmap, "data-target=\"sst2\" data-source=\"mr\""), 1u);
}

TEST(Report, SignificanceIsGainBeyondTwoStandardErrors) {
  TransferMatrixCell c;
  c.gain = 0.03, c.gain_se = 0.01;
  EXPECT_TRUE(c.significant());
  c.gain = -0.03;
  EXPECT_TRUE(c.significant());
  c.gain = 0.02;
  EXPECT_FALSE(c.significant());  // exactly 2·SE is not beyond it
  c.gain = 0.5, c.gain_se = kNaN;
  EXPECT_FALSE(c.significant());  // one seed: unresolved
  c.gain = kNaN, c.gain_se = 0.01;
  EXPECT_FALSE(c.significant());
}

TEST(Report, ScatterPanelPerTargetAndRanker) {
  const BenchmarkReport r = sample_benchmark(4, 6, false);
  const std::string html = render_benchmark_report(r);
  EXPECT_EQ(count(html, "<svg class=\"scatter\""), 4u * r.rankers.size());
  EXPECT_EQ(count(html, "data-target=\"cr\" data-ranker=\"textemb\""), 1u);
  // One point per scored (target, source) per ranker; logme skipped one source per target.
  std::size_t points = 0;
  for (const auto& row : r.scores)
    for (const auto& [name, s] : row.scores) points += std::isfinite(s);
  EXPECT_EQ(count(html, "<circle class=\"point\""), points);
  EXPECT_EQ(count(html, "<circle class=\"pick\""), 4u * r.rankers.size());
  // The panel title carries the target's weighted τ from the summary.
  const double tau = r.summaries[0].per_target.at("cr").at("weighted_tau");
  const std::string panel = between(html, "data-target=\"cr\" data-ranker=\"esm-logme\"", "</svg>");
  EXPECT_NE(panel.find(fmt::format("weighted τ {:.3f}", tau)), std::string::npos) << panel.substr(0, 600);
}

TEST(Report, NamesAreEscaped) {
  BenchmarkReport r = sample_benchmark(3, 5, true);
  r.title = "<b>bold</b>";
  r.facts.push_back({"note\"", "a & b <i>"});
  r.rankers.push_back("<img onerror=x>");
  r.scores[0].scores["<img onerror=x>"] = 1.0;
  for (const std::string& html : {render_benchmark_report(r), render_ranking_report(sample_ranking(true))}) {
    expect_well_formed(html);
    EXPECT_EQ(count(html, kEvil), 0u);
    EXPECT_EQ(count(html, "alert(1)</script>"), 0u);
    EXPECT_GT(count(html, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;"), 0u);
  }
  const std::string html = render_benchmark_report(r);
  EXPECT_EQ(count(html, "<b>bold"), 0u);
  EXPECT_EQ(count(html, "<img"), 0u);
  EXPECT_GT(count(html, "&lt;img onerror=x&gt;"), 0u);
  EXPECT_GT(count(html, "note&quot;"), 0u);
  EXPECT_GT(count(html, "a &amp; b &lt;i&gt;"), 0u);
}

TEST(Report, InvalidUtf8BecomesReplacementCharacters) {
  RankingReport r = sample_ranking(false);
  // Invalid byte, overlong '/', a UTF-16 surrogate, a truncated 4-byte emoji, a control
  // character, then valid "é" and "😀".
  const std::string name =
      "a\xff"
      "b\xc0\xaf"
      "c\xed\xa0\x80"
      "d\xf0\x9f\x98"
      "e\x01"
      "f\xc3\xa9\xf0\x9f\x98\x80";
  r.methods[0].ranked.insert(r.methods[0].ranked.begin(), RankedSource{name, 0.5, 0.1});
  r.methods[2].skipped.push_back({name, "reason \xfe"});
  const std::string html = render_ranking_report(r);
  expect_well_formed(html);
  const std::string fffd = "\xEF\xBF\xBD";
  // Maximal subparts: one U+FFFD per invalid byte, the truncated emoji's prefix as one.
  EXPECT_GT(count(html, "a" + fffd + "b" + fffd + fffd + "c" + fffd + fffd + fffd + "d" + fffd + "e" + fffd +
                            "f\xc3\xa9\xf0\x9f\x98\x80"),
            0u);
  EXPECT_GT(count(html, "reason " + fffd), 0u);
}

TEST(Report, NonFiniteValuesAreDashesNotCoordinates) {
  BenchmarkReport r = sample_benchmark(3, 5, false);
  r.matrix[0].gain = kInf;
  r.matrix[1].gain_se = kNaN;
  r.matrix[2].macro_f1 = -kInf;
  r.scores[0].scores["esm-logme"] = kInf;
  r.scores[1].scores["textemb"] = -kInf;
  r.scores[2].truth = kNaN;
  r.summaries[0].mean["weighted_tau"] = kNaN;
  r.summaries[1].ci["regret@1"] = {kNaN, 2.0};
  r.summaries[2].ci["weighted_tau"] = {-kInf, kInf};
  r.summaries[3].seconds_per_source = kNaN;
  r.summaries[4].seconds_per_source = 0;
  const std::string html = render_benchmark_report(r);
  expect_well_formed(html);
  EXPECT_GT(count(html, "—"), 0u);
  EXPECT_NE(html.find("Not plotted (no time or no weighted τ): esm-logme, vocabulary, random."), std::string::npos);

  RankingReport k = sample_ranking(false);
  k.methods[0].ranked[0].score = kNaN;
  k.methods[1].ranked[0].score = kInf;
  k.methods[1].ranked[1].seconds = -kInf;
  k.methods[2].seconds = kNaN;
  expect_well_formed(render_ranking_report(k));
}

TEST(Report, ExtremeAndEqualValuesStillScale) {
  BenchmarkReport r = sample_benchmark(2, 4, false);
  for (auto& row : r.scores) row.scores["esm-logme"] = 3.25;  // all equal
  r.scores[0].scores["logme"] = 1.7e308;
  r.scores[1].scores["logme"] = -1.7e308;
  r.scores[0].scores["textemb"] = 1e-310;  // subnormal
  r.matrix[0].gain = 1e300;
  r.summaries[0].ci["regret@1"] = {-1e308, 1e308};
  r.summaries[1].seconds_per_source = 1e-12;
  r.summaries[2].seconds_per_source = 1e9;
  const std::string html = render_benchmark_report(r);
  expect_well_formed(html);
  // Equal scores get a padded axis: the points sit inside the plot (x 48…220), not on its edge.
  const std::string panel = between(html, "data-ranker=\"esm-logme\"", "</svg>");
  static const std::regex cx(R"re(<circle class="point" cx="([-0-9.]+)")re");
  std::size_t points = 0;
  for (auto it = std::sregex_iterator(panel.begin(), panel.end(), cx); it != std::sregex_iterator(); ++it, ++points) {
    const double x = std::stod((*it)[1]);
    EXPECT_TRUE(x > 60 && x < 210) << x;
  }
  EXPECT_GT(points, 0u);

  RankingReport k = sample_ranking(false);
  for (auto& s : k.methods[0].ranked) s.score = -0.5;  // all equal
  k.methods[1].ranked = {{"only", 0.0, 0.0}};          // one source at 0
  k.methods[2].ranked[0].score = 1.7e308;
  k.methods[2].ranked[1].score = -1.7e308;
  expect_well_formed(render_ranking_report(k));
}

TEST(Report, EmptyAndTinyInputsRender) {
  const std::string empty = render_benchmark_report(BenchmarkReport{});
  expect_well_formed(empty);
  for (const char* id : {"id=\"transfer-heatmap\"", "id=\"ranker-ci\"", "id=\"quality-cost\""})
    EXPECT_EQ(count(empty, id), 1u) << id;
  EXPECT_EQ(count(empty, "<g class=\"cell"), 0u);

  // One target, one source, no rankers.
  BenchmarkReport one;
  one.matrix.push_back({.target = "t",
                        .source = "s",
                        .seeds = 1,
                        .accuracy = 0.81,
                        .accuracy_se = kNaN,
                        .macro_f1 = 0.8,
                        .macro_f1_se = kNaN,
                        .baseline_accuracy = kNaN,
                        .baseline_macro_f1 = 0.7,
                        .baseline_macro_f1_se = kNaN,
                        .gain = 0.1,
                        .gain_se = kNaN});
  one.scores.push_back({"t", "s", {}, 0.8});
  const std::string html = render_benchmark_report(one);
  expect_well_formed(html);
  EXPECT_EQ(count(html, "<g class=\"cell\""), 1u);
  EXPECT_EQ(count(html, "<svg class=\"scatter\""), 0u);

  // One ranker scoring one source.
  one.scores[0].scores["textemb"] = 0.3;
  const std::string single = render_benchmark_report(one);
  expect_well_formed(single);
  EXPECT_EQ(count(single, "<svg class=\"scatter\""), 1u);

  const std::string no_methods = render_ranking_report(RankingReport{});
  expect_well_formed(no_methods);
  EXPECT_EQ(count(no_methods, "id=\"ranking-bars\""), 1u);
  EXPECT_EQ(count(no_methods, "id=\"skipped\""), 1u);

  RankingReport all_skipped;
  all_skipped.target = "t";
  all_skipped.methods.push_back({"logme", {}, {{"a", "no model"}, {"b", "no model"}}, 0, 0});
  const std::string skipped = render_ranking_report(all_skipped);
  expect_well_formed(skipped);
  EXPECT_EQ(count(skipped, "<svg class=\"bars\""), 1u);
  EXPECT_EQ(count(between(skipped, "<div id=\"skipped\">", "</table>"), "<tr>"), 3u);  // header + 2
}

TEST(Report, RankingHasBarsTableAndSkipped) {
  const RankingReport r = sample_ranking(true);
  const std::string html = render_ranking_report(r);
  expect_well_formed(html);
  EXPECT_EQ(count(html, "<div id=\"ranking-bars\">"), 1u);
  EXPECT_EQ(count(html, "<svg class=\"bars\""), r.methods.size());
  std::size_t ranked = 0, skipped = 0;
  for (const auto& m : r.methods) ranked += m.ranked.size(), skipped += m.skipped.size();
  EXPECT_EQ(count(html, "<g class=\"bar\""), ranked);
  const std::string table = between(html, "<table class=\"sortable\" id=\"ranking-table\">", "</table>");
  EXPECT_EQ(count(table, "<tr>"), 1u + 9u);  // header + every source once
  const std::string skip = between(html, "<div id=\"skipped\">", "</div>\n");
  EXPECT_EQ(count(skip, "<tr>"), 1u + skipped);
  EXPECT_NE(skip.find("weights hold non-finite values &lt;at&gt; layer 3 &amp; &quot;classifier&quot;"),
            std::string::npos);
  // Bars are drawn in the method's order, best first.
  const std::string esm = between(html, "data-method=\"esm-logme\"", "</svg>");
  EXPECT_LT(esm.find("data-source=\"" + r.methods[0].ranked[0].name + "\""),
            esm.find("data-source=\"" + r.methods[0].ranked[1].name + "\""));
}

TEST(Report, OnlyTheReportsOwnScriptMayRun) {
  // The CSP names the script by its hash: if the two drift apart, sorting silently stops.
  for (const std::string& html :
       {render_benchmark_report(sample_benchmark()), render_ranking_report(sample_ranking())}) {
    const std::string script = between(html, "<script>", "</script>");
    ASSERT_FALSE(script.empty());
    const Sha256Digest d = [&] {
      Sha256 h;
      h.update(script);
      return h.finish();
    }();
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string b64;
    for (std::size_t i = 0; i < d.size(); i += 3) {
      const std::uint32_t n =
          (d[i] << 16) | ((i + 1 < d.size() ? d[i + 1] : 0) << 8) | (i + 2 < d.size() ? d[i + 2] : 0);
      b64 += kAlphabet[(n >> 18) & 63];
      b64 += kAlphabet[(n >> 12) & 63];
      b64 += i + 1 < d.size() ? kAlphabet[(n >> 6) & 63] : '=';
      b64 += i + 2 < d.size() ? kAlphabet[n & 63] : '=';
    }
    const std::string csp = between(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"", "\">");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'sha256-" + b64 + "'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos);
    EXPECT_EQ(count(csp, "unsafe-inline"), 1u);  // styles only
  }
}

TEST(Report, Deterministic) {
  const BenchmarkReport r = sample_benchmark();
  const BenchmarkReport copy = r;
  EXPECT_EQ(render_benchmark_report(r), render_benchmark_report(copy));
  EXPECT_EQ(render_ranking_report(sample_ranking()), render_ranking_report(sample_ranking()));
}

TEST(Report, DisplayOrderFollowsTheLists) {
  BenchmarkReport r = sample_benchmark(3, 4, false);
  r.targets = {"cr"};  // the others are appended in order of appearance
  std::reverse(r.sources.begin(), r.sources.end());
  r.rankers = {"random", "textemb"};
  const std::string html = render_benchmark_report(r);
  const std::string heatmap = between(html, "<svg id=\"transfer-heatmap\"", "</svg>");
  EXPECT_LT(heatmap.find("data-target=\"cr\""), heatmap.find("data-target=\"sst2\""));
  EXPECT_LT(heatmap.find("data-target=\"sst2\" data-source=\"subj\""),
            heatmap.find("data-target=\"sst2\" data-source=\"mr\""));
  const std::string ci = between(html, "<svg id=\"ranker-ci\"", "</svg>");
  EXPECT_LT(ci.find(">random<"), ci.find(">textemb<"));
  EXPECT_LT(ci.find(">textemb<"), ci.find(">esm-logme<"));
}

TEST(Report, WritesSamplesForTheBrowserTest) {
  const char* dir = std::getenv("TASKSCOUT_REPORT_SAMPLE_DIR");
  if (dir == nullptr || *dir == '\0') GTEST_SKIP() << "set TASKSCOUT_REPORT_SAMPLE_DIR to write the sample reports";
  std::filesystem::create_directories(dir);
  testing::write_text(std::filesystem::path(dir) / "benchmark.html", render_benchmark_report(sample_benchmark()));
  testing::write_text(std::filesystem::path(dir) / "ranking.html", render_ranking_report(sample_ranking()));
  testing::write_text(std::filesystem::path(dir) / "empty.html", render_benchmark_report(BenchmarkReport{}));
}

}  // namespace
}  // namespace taskscout

namespace taskscout {
namespace {

// A gain that rounds to zero prints as 0.00, never as ".00" or "-0.00".
TEST(Report, GainsThatRoundToZeroPrintAsZero) {
  BenchmarkReport r;
  TransferMatrixCell c;
  c.target = "t";
  c.source = "s";
  c.seeds = 2;
  c.macro_f1 = 0.5;
  c.baseline_macro_f1 = 0.501;
  c.gain = -0.001;
  c.gain_se = 0.01;
  r.matrix.push_back(c);
  c.source = "u";  // a gain of 0.2 sets two decimals
  c.gain = 0.2;
  r.matrix.push_back(c);
  const std::string html = render_benchmark_report(r);
  EXPECT_NE(html.find(">0.00<"), std::string::npos);
  EXPECT_EQ(html.find(">.00<"), std::string::npos);
  EXPECT_EQ(html.find(">-0.00<"), std::string::npos);
}

}  // namespace
}  // namespace taskscout
