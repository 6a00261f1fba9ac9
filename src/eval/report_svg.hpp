#pragma once
// SVG building blocks of the reports (private to src/eval): scales that never divide by
// zero or emit NaN, round tick values, axes, the diverging colour scale.
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace taskscout::report {

// The finite values seen; empty until one is added.
struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v);
  bool empty() const { return lo > hi; }
};

// A linear map of [d0, d1] onto [r0, r1]. Built by nice_axis, so d0 < d1 always.
struct Scale {
  double d0 = 0, d1 = 1, r0 = 0, r1 = 1;
  // Finite for every finite v (computed on halves so that huge domains do not overflow);
  // a non-finite v (a caller bug) maps to r0.
  double operator()(double v) const;
};

// A domain covering a Range with round ends and the ticks in it. An empty range gives
// [0, 1]; a single value is padded on both sides.
struct Axis {
  double lo = 0, hi = 1;
  std::vector<double> ticks;
  double step = 0.5;   // between ticks; 0 when the ticks are just the ends
  bool log10 = false;  // lo, hi and ticks are decimal exponents (a log axis)
  Scale scale(double r0, double r1) const { return Scale{lo, hi, r0, r1}; }
  std::string label(double tick) const;  // as few decimals as the step needs; seconds on a log axis
};
// `include_zero` widens the range to 0 first (bars, regret).
Axis nice_axis(Range range, int ticks = 5, bool include_zero = false);
// Decade ticks over the positive values of `range` (seconds); exponents as the Axis values.
Axis log_seconds_axis(Range range);

// Tick marks, labels and light grid lines. x_axis: the axis at y = `y`, grid up to `grid_to`
// (a y); y_axis: at x = `x`, grid across to `grid_to` (an x). grid_to == position: no grid.
std::string x_axis(const Axis& axis, const Scale& x, double y, double grid_to);
std::string y_axis(const Axis& axis, const Scale& y, double x, double grid_to);

// A diverging colour for t in [-1, 1]: red (loss) — near-white (0) — blue (gain); clamped.
std::string diverging_colour(double t);
// Whether text on diverging_colour(t) should be white.
bool dark_colour(double t);

// A <text> element; `content` is trusted (already escaped).
std::string text(double x, double y, std::string_view content, std::string_view attrs = {});

}  // namespace taskscout::report
