// The transfer-matrix heat map: targets × sources, coloured by gain over the target-only
// baseline on a diverging scale centred at 0.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report_benchmark.hpp"
#include "report_html.hpp"
#include "report_svg.hpp"

namespace taskscout::report {
namespace {

constexpr double kCharWidth = 6.3;  // of an 11px label, roughly
constexpr std::size_t kMaxLabel = 26;
constexpr std::string_view kMissing = "#e1e5ea", kSelf = "#cbd1d8";

double label_width(const std::vector<std::string>& names) {
  std::size_t longest = 4;
  for (const auto& n : names) longest = std::max(longest, std::min(text_length(n), kMaxLabel));
  return static_cast<double>(longest) * kCharWidth;
}

// "0.812 ± 0.004", or just the mean when the SE is unknown.
std::string with_se(double mean, double se, int decimals) {
  if (!std::isfinite(se)) return fixed(mean, decimals);
  return fmt::format("{} ± {}", fixed(mean, decimals), fixed(se, decimals));
}

std::string cell_tooltip(const TransferMatrixCell& c) {
  std::string t = fmt::format("{} ← {}\n", esc(c.target), esc(c.source));
  t += fmt::format("gain {} ± {} (SE){}\n", signed_fixed(c.gain, 4), fixed(c.gain_se, 4),
                   c.significant() ? ", resolved by the seeds" : "");
  t += fmt::format("macro-F1 {} (target-only {})\n", with_se(c.macro_f1, c.macro_f1_se, 4),
                   with_se(c.baseline_macro_f1, c.baseline_macro_f1_se, 4));
  t += fmt::format("accuracy {}\n{} seed{}", with_se(c.accuracy, c.accuracy_se, 4), c.seeds, c.seeds == 1 ? "" : "s");
  return t;
}

// The colour bar and the two keys (outlined = significant, grey = not measured).
std::string legend(double x, double y, double max_gain, int decimals) {
  constexpr double kWidth = 260, kHeight = 12, kSteps = 52;
  std::string out = fmt::format("<g class=\"legend\">");
  out += text(x, y - 6, "gain in macro-F1 over target-only: ← loss · gain →", "class=\"muted\"");
  for (int i = 0; i < kSteps; ++i) {
    const double t = -1 + 2 * (i + 0.5) / kSteps;
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>", px(x + i * kWidth / kSteps),
                       px(y), px(kWidth / kSteps + 0.3), px(kHeight), diverging_colour(t));
  }
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#8c959f\"/>", px(x),
                     px(y), px(kWidth), px(kHeight));
  for (int i = 0; i <= 4; ++i) {
    const double v = max_gain * (i - 2) / 2.0;
    const double at = x + kWidth * i / 4.0;
    out += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#8c959f\"/>", px(at),
                       px(y + kHeight), px(y + kHeight + 4));
    out += text(at, y + kHeight + 15, signed_fixed(v, decimals), "text-anchor=\"middle\" class=\"muted\"");
  }
  const double kx = x + kWidth + 36;
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"18\" height=\"14\" fill=\"{}\"/>", px(kx), px(y - 1),
                     diverging_colour(0.5));
  out += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"15\" height=\"11\" fill=\"none\" stroke=\"#1f2328\" stroke-width=\"1.6\"/>",
      px(kx + 1.5), px(y + 0.5));
  out += text(kx + 24, y + 10, "|gain| &gt; 2·SE: the seeds resolve it");
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"18\" height=\"14\" fill=\"{}\"/>", px(kx + 250), px(y - 1),
                     kMissing);
  out += text(kx + 274, y + 10, "not measured, or the target itself");
  return out + "</g>";
}

}  // namespace

std::string heatmap_figure(const BenchmarkView& view) {
  const auto& targets = view.targets;
  const auto& sources = view.sources;
  const std::size_t nt = targets.size(), ns = sources.size();
  // Cells shrink with many sources, down to a size that still shows colour and hover.
  const double cw = std::clamp(std::floor(780.0 / std::max<std::size_t>(ns, 1)), 18.0, 58.0);
  const double ch = std::clamp(cw, 20.0, 30.0);
  // Column labels are rotated, steeper when the columns are narrow so that they do not overlap.
  const int angle = cw < 30 ? 60 : 40;
  const double left = label_width(targets) + 28, top = label_width(sources) * (angle == 60 ? 0.87 : 0.65) + 34;
  const double grid_w = cw * static_cast<double>(ns), grid_h = ch * static_cast<double>(nt);
  const double base_x = left + grid_w + 14;  // the target-only column
  const double width = std::max(base_x + 130, left + 800), height = top + grid_h + 78;

  Range gains;
  for (const auto& [key, c] : view.cells) gains.add(std::abs(c->gain));
  double max_gain = gains.empty() || gains.hi == 0 ? 1 : gains.hi;
  const Axis axis = nice_axis(Range{-max_gain, max_gain}, 4);
  max_gain = std::max(std::abs(axis.lo), std::abs(axis.hi));
  const int decimals = std::clamp(1 - static_cast<int>(std::floor(std::log10(max_gain))), 0, 4);
  const bool cell_text = cw >= 40;

  if (nt == 0 || ns == 0)
    return "<div class=\"figure\"><svg id=\"transfer-heatmap\" width=\"400\" height=\"24\" viewBox=\"0 0 400 24\">" +
           text(0, 16, "No transfer was measured.", "class=\"muted\" font-size=\"13\"") + "</svg></div>\n";
  std::string out = fmt::format(
      "<div class=\"figure\"><svg id=\"transfer-heatmap\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "role=\"img\" "
      "aria-label=\"transfer matrix heat map\">\n",
      px(width), px(height), px(width), px(height));
  out += text(left, 12, "source (fine-tuned first) →", "class=\"muted\"");
  out += text(8, top - 8, "target ↓", "class=\"muted\"");

  for (std::size_t j = 0; j < ns; ++j) {
    const double x = left + cw * (static_cast<double>(j) + 0.5);
    out += fmt::format("<text transform=\"translate({},{}) rotate(-{})\">{}<title>{}</title></text>", px(x + 3),
                       px(top - 6), angle, esc_short(sources[j], kMaxLabel), esc(sources[j]));
  }
  out += text(base_x, top - 8, "target-only", "class=\"muted\"");

  for (std::size_t i = 0; i < nt; ++i) {
    const std::string& target = targets[i];
    const double y = top + ch * static_cast<double>(i);
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}<title>{}</title></text>", px(left - 8),
                       px(y + ch / 2 + 4), esc_short(target, kMaxLabel), esc(target));
    double baseline = std::nan(""), baseline_se = std::nan("");
    for (std::size_t j = 0; j < ns; ++j) {
      const std::string& source = sources[j];
      const double x = left + cw * static_cast<double>(j);
      const auto found = view.cells.find({target, source});
      const TransferMatrixCell* c = found == view.cells.end() ? nullptr : found->second;
      const std::string attrs = fmt::format("data-target=\"{}\" data-source=\"{}\"", esc(target), esc(source));
      const std::string rect =
          fmt::format("<rect class=\"bg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{{}}\"/>", px(x + 0.5),
                      px(y + 0.5), px(cw - 1), px(ch - 1));
      if (c == nullptr) {
        const bool self = target == source;
        out += fmt::format("<g class=\"cell missing{}\" {}><title>{} ← {}\n{}</title>", self ? " self" : "", attrs,
                           esc(target), esc(source), self ? "the target itself" : "not measured");
        out += fmt::format(fmt::runtime(rect), self ? kSelf : kMissing);
        if (self)
          out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#fff\" stroke-width=\"1.2\"/>",
                             px(x + 3), px(y + ch - 3), px(x + cw - 3), px(y + 3));
        out += "</g>\n";
        continue;
      }
      if (!std::isfinite(baseline)) baseline = c->baseline_macro_f1, baseline_se = c->baseline_macro_f1_se;
      if (!std::isfinite(c->gain)) {
        out += fmt::format("<g class=\"cell nogain\" {}><title>{}</title>", attrs, cell_tooltip(*c));
        out += fmt::format(fmt::runtime(rect), kMissing);
        if (cell_text) out += text(x + cw / 2, y + ch / 2 + 3.5, "—", "text-anchor=\"middle\" class=\"muted\"");
        out += "</g>\n";
        continue;
      }
      const double t = c->gain / max_gain;
      const bool sig = c->significant();
      out += fmt::format("<g class=\"cell{}\" {}><title>{}</title>", sig ? " sig" : "", attrs, cell_tooltip(*c));
      out += fmt::format(fmt::runtime(rect), diverging_colour(t));
      if (sig)
        out += fmt::format(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"/>",
            px(x + 2), px(y + 2), px(cw - 4), px(ch - 4), dark_colour(t) ? "#fff" : "#1f2328");
      if (cell_text)
        out += text(x + cw / 2, y + ch / 2 + 3.5, signed_fixed(c->gain, decimals),
                    fmt::format("text-anchor=\"middle\" font-size=\"10\"{}{}", dark_colour(t) ? " fill=\"#fff\"" : "",
                                sig ? " font-weight=\"700\"" : ""));
      out += "</g>\n";
    }
    out += text(base_x, y + ch / 2 + 4, esc(with_se(baseline, baseline_se, 3)),
                "class=\"muted\" font-variant-numeric=\"tabular-nums\"");
  }
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#8c959f\"/>", px(left),
                     px(top), px(grid_w), px(grid_h));
  out += legend(left, top + grid_h + 36, max_gain, decimals);
  return out + "</svg></div>\n";
}

}  // namespace taskscout::report
