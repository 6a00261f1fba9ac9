// The combined ranker: standardized signals, ridge-fitted weights (see combined_ranker.hpp).
#include "taskscout/select/combined_ranker.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/json_error.hpp"
#include "taskscout/io/mapped_file.hpp"

namespace taskscout {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The built-in weights of esm-logme, textemb and vocabulary: bench/transfer-12/combined.json,
// fitted (ridge 1) on all 12 targets of the 4-seed matrix of 2026-12-06. Given esm-logme
// and vocabulary, textemb's weight is negative: the two domain signals overlap, and what
// textemb adds beyond vocabulary predicted lower transfer on that matrix.
constexpr double kBuiltinWeights[] = {0.3500992376490649, -0.37480020167304046, 0.3672334485288303};
constexpr const char* kBuiltinFittedOn = "bench/transfer-12 (12 targets, 4 seeds, 2026-12-06)";

// Solves the small symmetric positive definite system A·x = b (Gaussian elimination with
// partial pivoting; A is F×F with F the number of signals, a handful).
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const std::size_t n = b.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    std::swap(a[c], a[pivot]);
    std::swap(b[c], b[pivot]);
    for (std::size_t r = c + 1; r < n; ++r) {
      const double f = a[r][c] / a[c][c];
      for (std::size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n);
  for (std::size_t i = n; i-- > 0;) {
    double s = b[i];
    for (std::size_t k = i + 1; k < n; ++k) s -= a[i][k] * x[k];
    x[i] = s / a[i][i];
  }
  return x;
}

}  // namespace

std::vector<double> standardize(std::span<const double> values) {
  double sum = 0, n = 0;
  for (double v : values)
    if (std::isfinite(v)) sum += v, n += 1;
  std::vector<double> z(values.size(), kNaN);
  if (n == 0) return z;
  const double mean = sum / n;
  double ss = 0;
  for (double v : values)
    if (std::isfinite(v)) ss += (v - mean) * (v - mean);
  const double sd = n > 1 ? std::sqrt(ss / (n - 1)) : 0;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (std::isfinite(values[i])) z[i] = sd > 0 ? (values[i] - mean) / sd : 0.0;
  return z;
}

CombinedRanker CombinedRanker::builtin() {
  // Fitted by `bash scripts/transfer_matrix.sh` (OUT/combined.json) on the 12-task matrix.
  CombinedRanker r;
  r.features = {"esm-logme", "textemb", "vocabulary"};
  r.weights = {kBuiltinWeights[0], kBuiltinWeights[1], kBuiltinWeights[2]};
  r.ridge = 1.0;
  r.fitted_on = kBuiltinFittedOn;
  return r;
}

std::vector<double> CombinedRanker::score(const std::vector<std::vector<double>>& signals) const {
  if (signals.size() != features.size())
    throw InputError(fmt::format("the combined ranker takes {} signals, not {}", features.size(), signals.size()));
  const std::size_t n = signals.empty() ? 0 : signals[0].size();
  std::vector<double> out(n, 0.0);
  for (std::size_t f = 0; f < features.size(); ++f) {
    const std::vector<double> z = standardize(signals[f]);
    for (std::size_t i = 0; i < n; ++i) out[i] += weights[f] * z[i];  // NaN propagates: no score
  }
  return out;
}

CombinedRanker fit_combined_ranker(const std::vector<std::string>& features,
                                   std::span<const CombinedTrainingTarget> targets, double ridge) {
  const std::size_t f_count = features.size();
  if (f_count == 0) throw UsageError("the combined ranker needs at least one signal");
  std::vector<std::vector<double>> xtx(f_count, std::vector<double>(f_count, 0.0));
  std::vector<double> xty(f_count, 0.0);
  std::size_t used = 0;
  for (const auto& t : targets) {
    if (t.signals.size() != f_count)
      throw InputError(fmt::format("target '{}' has {} signals, not {}", t.target, t.signals.size(), f_count));
    // Only the sources with every signal and a truth; standardized among themselves.
    std::vector<std::size_t> keep;
    for (std::size_t i = 0; i < t.truth.size(); ++i) {
      bool ok = std::isfinite(t.truth[i]);
      for (const auto& s : t.signals) ok = ok && std::isfinite(s[i]);
      if (ok) keep.push_back(i);
    }
    if (keep.size() < 2) continue;
    auto column = [&](const std::vector<double>& v) {
      std::vector<double> out;
      for (std::size_t i : keep) out.push_back(v[i]);
      return standardize(out);
    };
    const std::vector<double> y = column(t.truth);
    std::vector<std::vector<double>> z;
    for (const auto& s : t.signals) z.push_back(column(s));
    for (std::size_t i = 0; i < keep.size(); ++i)
      for (std::size_t a = 0; a < f_count; ++a) {
        xty[a] += z[a][i] * y[i];
        for (std::size_t b = 0; b < f_count; ++b) xtx[a][b] += z[a][i] * z[b][i];
      }
    ++used;
  }
  if (used == 0) throw UsageError("no target has two sources with every signal and a truth to fit on");
  for (std::size_t a = 0; a < f_count; ++a) xtx[a][a] += ridge;
  CombinedRanker r;
  r.features = features;
  r.weights = solve(xtx, xty);
  r.ridge = ridge;
  return r;
}

void CombinedRanker::save(const std::filesystem::path& file) const {
  nlohmann::ordered_json j = {{"format", "taskscout-combined-ranker"},
                              {"version", 1},
                              {"features", features},
                              {"weights", weights},
                              {"ridge", ridge},
                              {"normalization", "z-score of each signal within the target's pool"},
                              {"fitted_on", fitted_on}};
  write_file_atomically(file, j.dump(1) + "\n");
}

CombinedRanker CombinedRanker::load(const std::filesystem::path& file) {
  const auto j = nlohmann::json::parse(MappedFile(file).text(), nullptr, false);
  const std::string what = location(file.string());
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != "taskscout-combined-ranker")
    throw InputError(what +
                     "not a combined ranker's weights (format taskscout-combined-ranker); write one with "
                     "taskscout benchmark (OUT/combined.json)");
  CombinedRanker r;
  try {
    r.features = j.at("features").get<std::vector<std::string>>();
    r.weights = j.at("weights").get<std::vector<double>>();
    r.ridge = j.value("ridge", 1.0);
    r.fitted_on = j.value("fitted_on", "");
  } catch (const nlohmann::json::exception& e) {
    throw InputError(what + "malformed combined ranker: " + json_error_text(e));
  }
  if (r.features.empty() || r.features.size() != r.weights.size())
    throw InputError(what + "the combined ranker needs one weight per feature");
  for (double w : r.weights)
    if (!std::isfinite(w)) throw InputError(what + "a weight of the combined ranker is not finite");
  for (const auto& f : r.features)
    if (f == "combined") throw InputError(what + "the combined ranker cannot combine itself");
  return r;
}

}  // namespace taskscout
