// ESM training by exact ridge regression. With Ac, Bc the rows centred by their means,
// the minimizer of Σ‖b_i − W a_i − c‖² + λ‖W‖² is Wᵀ = (AcᵀAc + λI)⁻¹ AcᵀBc and
// c = mean(B) − W·mean(A). For the λ search the training rows' Gram matrix is
// diagonalized once, AcᵀAc = V Λ Vᵀ, so every candidate costs only
//   pred_h(λ) = (Ah V) · diag(1/(Λ + λ)) · (Vᵀ AcᵀBc)   (h held-out rows: O(h·D²)).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/esm/train.hpp"

namespace taskscout {

namespace {

at::Tensor rows_of(const at::Tensor& x, const std::vector<std::int64_t>& rows) {
  return x.index_select(0, at::tensor(rows, at::TensorOptions().dtype(at::kLong)));
}

std::string shape_of(const at::Tensor& t) {
  std::vector<std::int64_t> s(t.sizes().begin(), t.sizes().end());
  return shape_string(s);
}

// Σ over entries of (b − mean)², the total sum of squares R² is relative to.
double total_squares(const at::Tensor& b, const at::Tensor& mean) { return (b - mean).pow(2).sum().item<double>(); }

std::string number(double v) { return fmt::format("{}", v); }

}  // namespace

EsmSplit esm_split(std::int64_t n, double heldout_fraction, std::uint64_t seed) {
  if (!(heldout_fraction > 0 && heldout_fraction < 1))
    throw UsageError(fmt::format("the held-out fraction must lie strictly between 0 and 1, not {}", heldout_fraction));
  if (n < 4)
    throw InputError(
        fmt::format("{} paired rows are too few to fit and check an ESM; give at least 4 (the paper "
                    "uses up to 10,000 texts)",
                    n));
  const auto h = std::clamp<std::int64_t>(std::llround(heldout_fraction * static_cast<double>(n)), 1, n - 2);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  EsmSplit split;
  split.heldout.assign(order.begin(), order.begin() + h);
  split.train.assign(order.begin() + h, order.end());
  std::sort(split.heldout.begin(), split.heldout.end());
  std::sort(split.train.begin(), split.train.end());
  return split;
}

EsmFit train_esm(const at::Tensor& base_in, const at::Tensor& tuned_in, const EsmTrainOptions& options,
                 const std::string& what) {
  if (base_in.dim() != 2 || tuned_in.dim() != 2 || base_in.sizes() != tuned_in.sizes())
    throw InputError(
        fmt::format("{}: base embeddings {} and fine-tuned embeddings {} must both be N×D with the same "
                    "N (the same texts, in the same order) and the same D",
                    what, shape_of(base_in), shape_of(tuned_in)));
  if (options.relative_lambdas.empty()) throw UsageError("no ridge strength to choose from");
  // Before the fit, not when saving it: `register` would refuse the file.
  if (!options.base_fingerprint.empty() && !is_sha256_hex(options.base_fingerprint))
    throw UsageError(fmt::format("base fingerprint \"{}\" is not 64 lowercase hex digits; {}",
                                 options.base_fingerprint.substr(0, 100), kBaseFingerprintHelp));
  const at::Tensor a = base_in.to(at::kDouble).contiguous(), b = tuned_in.to(at::kDouble).contiguous();
  for (const auto& [t, name] : {std::pair{a, "base"}, std::pair{b, "fine-tuned"}})
    if (!at::isfinite(t).all().item<bool>()) {
      const auto row = (~at::isfinite(t)).any(1).nonzero()[0].item<std::int64_t>();
      throw InputError(fmt::format("{}: {} embeddings have a non-finite value in row {}", what, name, row));
    }
  const std::int64_t n = a.size(0), d = a.size(1);
  const EsmSplit split = esm_split(n, options.heldout_fraction, options.seed);

  // λ search on the training rows.
  const at::Tensor at_ = rows_of(a, split.train), bt = rows_of(b, split.train);
  const at::Tensor mean_a = at_.mean(0, true), mean_b = bt.mean(0, true);
  const at::Tensor ac = at_ - mean_a, bc = bt - mean_b;
  const at::Tensor gram = ac.t().mm(ac);
  const double scale = gram.trace().item<double>() / static_cast<double>(d);
  auto [values, vectors] = at::linalg_eigh(gram);
  const at::Tensor rotated_rhs = vectors.t().mm(ac.t().mm(bc));              // Vᵀ AcᵀBc, D×D
  const at::Tensor ah_v = (rows_of(a, split.heldout) - mean_a).mm(vectors);  // h×D
  const at::Tensor bh = rows_of(b, split.heldout);
  const double heldout_total = total_squares(bh, mean_b);
  EsmFit fit;
  double best_sse = std::numeric_limits<double>::infinity();
  for (double relative : options.relative_lambdas) {
    if (!(relative > 0)) throw UsageError("ridge strengths must be positive, not " + number(relative));
    // A zero Gram matrix (constant base rows) has scale 0: any λ > 0 gives W = 0.
    const double lambda = relative * (scale > 0 ? scale : 1.0);
    const at::Tensor pred = (ah_v / (values + lambda)).mm(rotated_rhs) + mean_b;
    const double sse = (bh - pred).pow(2).sum().item<double>();
    if (sse < best_sse) best_sse = sse, fit.relative_lambda = relative;
  }
  fit.mse_heldout = best_sse / static_cast<double>(bh.numel());
  fit.r2_heldout = heldout_total > 0 ? 1 - best_sse / heldout_total : std::numeric_limits<double>::quiet_NaN();

  // Final fit on all rows.
  const at::Tensor all_mean_a = a.mean(0, true), all_mean_b = b.mean(0, true);
  const at::Tensor all_ac = a - all_mean_a, all_bc = b - all_mean_b;
  at::Tensor all_gram = all_ac.t().mm(all_ac);
  const double all_scale = all_gram.trace().item<double>() / static_cast<double>(d);
  fit.lambda = fit.relative_lambda * (all_scale > 0 ? all_scale : 1.0);
  all_gram.diagonal().add_(fit.lambda);
  const at::Tensor chol = at::linalg_cholesky(all_gram);
  const at::Tensor weight_t = at::cholesky_solve(all_ac.t().mm(all_bc), chol);  // D×D = Wᵀ
  const at::Tensor bias = (all_mean_b - all_mean_a.mm(weight_t)).squeeze(0);
  const double train_sse = (all_bc - all_ac.mm(weight_t)).pow(2).sum().item<double>();
  const double train_total = all_bc.pow(2).sum().item<double>();
  fit.r2_train = train_total > 0 ? 1 - train_sse / train_total : std::numeric_limits<double>::quiet_NaN();
  fit.rows = n;
  fit.heldout_rows = static_cast<std::int64_t>(split.heldout.size());

  fit.esm.weight = to_array(weight_t.t().to(at::kFloat).contiguous());
  fit.esm.bias = to_array(bias.to(at::kFloat).contiguous());
  fit.esm.metadata = {{"base_fingerprint", options.base_fingerprint},
                      {"fit", "ridge least squares (float64), lambda chosen on held-out rows"},
                      {"r2_heldout", number(fit.r2_heldout)},
                      {"mse_heldout", number(fit.mse_heldout)},
                      {"r2_train", number(fit.r2_train)},
                      {"lambda", number(fit.lambda)},
                      {"relative_lambda", number(fit.relative_lambda)},
                      {"rows", std::to_string(n)},
                      {"heldout_rows", std::to_string(fit.heldout_rows)},
                      {"seed", std::to_string(options.seed)}};
  validate_esm(fit.esm, what);
  return fit;
}

}  // namespace taskscout
