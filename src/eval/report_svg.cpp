#include "report_svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "report_html.hpp"

namespace taskscout::report {

void Range::add(double v) {
  if (!std::isfinite(v)) return;
  lo = std::min(lo, v);
  hi = std::max(hi, v);
}

double Scale::operator()(double v) const {
  if (!std::isfinite(v)) return r0;
  // Halves: d1 − d0 may overflow for domains near ±1.8e308, d1/2 − d0/2 cannot.
  const double t = (v / 2 - d0 / 2) / (d1 / 2 - d0 / 2);
  const double r = r0 + t * (r1 - r0);
  return std::isfinite(r) ? r : r0;
}

namespace {

// Ticks at the multiples of `step` in [lo, hi].
std::vector<double> multiples(double lo, double hi, double step) {
  std::vector<double> out;
  const double first = std::ceil(lo / step - 1e-9), last = std::floor(hi / step + 1e-9);
  for (double k = first; k <= last && out.size() < 64; ++k) out.push_back(k == 0 ? 0.0 : k * step);
  return out;
}

}  // namespace

Axis nice_axis(Range range, int ticks, bool include_zero) {
  if (range.empty()) range = Range{0, 1};
  if (include_zero) range.add(0);
  double lo = range.lo, hi = range.hi;
  if (lo == hi) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.5;
    lo -= pad;
    hi += pad;
    if (lo == hi || !std::isfinite(lo) || !std::isfinite(hi)) lo = range.lo - 1, hi = range.hi + 1;
  }
  Axis axis;
  axis.lo = lo;
  axis.hi = hi;
  const double raw = (hi / 2 - lo / 2) * 2 / std::max(ticks, 1);
  if (!std::isfinite(raw) || raw <= 0 || !std::isfinite(hi - lo)) {
    axis.ticks = {lo, hi};  // a domain too wide for round steps
    axis.step = 0;
    return axis;
  }
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / magnitude;
  const double step = magnitude * (fraction <= 1.5 ? 1 : fraction <= 3 ? 2 : fraction <= 7 ? 5 : 10);
  const double nlo = std::floor(lo / step) * step, nhi = std::ceil(hi / step) * step;
  if (std::isfinite(nlo) && std::isfinite(nhi) && nlo < nhi) axis.lo = nlo, axis.hi = nhi;
  axis.step = step;
  axis.ticks = multiples(axis.lo, axis.hi, step);
  if (axis.ticks.empty()) axis.ticks = {axis.lo, axis.hi}, axis.step = 0;
  return axis;
}

Axis log_seconds_axis(Range range) {
  Range logs;
  if (!range.empty()) {
    logs.add(std::log10(std::max(range.lo, 1e-300)));
    logs.add(std::log10(std::max(range.hi, 1e-300)));
  }
  Axis axis;
  axis.log10 = true;
  axis.step = 1;
  if (logs.empty()) logs = Range{-3, 0};
  axis.lo = std::floor(logs.lo);
  axis.hi = std::ceil(logs.hi);
  if (axis.lo == axis.hi) axis.lo -= 1, axis.hi += 1;
  axis.ticks = multiples(axis.lo, axis.hi, 1);
  return axis;
}

std::string Axis::label(double tick) const {
  if (log10) return seconds_text(std::pow(10.0, tick));
  if (step <= 0) return general(tick, 3);
  const double biggest = std::max(std::abs(lo), std::abs(hi));
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  if (biggest >= 1e6 || decimals > 6) {
    const int digits = static_cast<int>(std::floor(std::log10(biggest)) - std::floor(std::log10(step))) + 1;
    return general(tick, std::clamp(digits, 1, 15));
  }
  return fixed(tick, decimals);
}

std::string x_axis(const Axis& axis, const Scale& x, double y, double grid_to) {
  std::string out = "<g class=\"axis x\">";
  for (double t : axis.ticks) {
    const double at = x(t);
    if (grid_to != y)
      out += fmt::format("<line class=\"gridline\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#eaeef2\"/>",
                         px(at), px(grid_to), px(y));
    out += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>", px(at), px(y), px(y + 4));
    out += text(at, y + 15, esc(axis.label(t)), "text-anchor=\"middle\" class=\"muted\"");
  }
  out += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/>", px(x.r0), px(x.r1), px(y));
  return out + "</g>";
}

std::string y_axis(const Axis& axis, const Scale& y, double x, double grid_to) {
  std::string out = "<g class=\"axis y\">";
  for (double t : axis.ticks) {
    const double at = y(t);
    if (grid_to != x)
      out += fmt::format("<line class=\"gridline\" x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"#eaeef2\"/>",
                         px(x), px(grid_to), px(at));
    out += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/>", px(x - 4), px(x), px(at));
    out += text(x - 6, at + 3.5, esc(axis.label(t)), "text-anchor=\"end\" class=\"muted\"");
  }
  out += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>", px(x), px(y.r0), px(y.r1));
  return out + "</g>";
}

namespace {

struct Rgb {
  double r, g, b;
};
// ColorBrewer RdBu (9 classes), from loss to gain.
constexpr std::array<Rgb, 9> kDiverging = {{{178, 24, 43},
                                            {214, 96, 77},
                                            {244, 165, 130},
                                            {253, 219, 199},
                                            {247, 247, 247},
                                            {209, 229, 240},
                                            {146, 197, 222},
                                            {67, 147, 195},
                                            {33, 102, 172}}};

}  // namespace

std::string diverging_colour(double t) {
  if (!std::isfinite(t)) t = 0;
  const double at = (std::clamp(t, -1.0, 1.0) + 1) / 2 * (kDiverging.size() - 1);
  const std::size_t i = std::min(static_cast<std::size_t>(at), kDiverging.size() - 2);
  const double f = at - static_cast<double>(i);
  const Rgb& a = kDiverging[i];
  const Rgb& b = kDiverging[i + 1];
  const auto mix = [f](double x, double y) { return static_cast<int>(std::lround(x + (y - x) * f)); };
  return fmt::format("#{:02x}{:02x}{:02x}", mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b));
}

bool dark_colour(double t) { return std::isfinite(t) && std::abs(t) > 0.62; }

std::string text(double x, double y, std::string_view content, std::string_view attrs) {
  return fmt::format("<text x=\"{}\" y=\"{}\"{}{}>{}</text>", px(x), px(y), attrs.empty() ? "" : " ", attrs, content);
}

}  // namespace taskscout::report
