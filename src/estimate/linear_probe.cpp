// Linear probe: the cross-validated score of a linear model trained on the features —
// the expensive baseline that the closed-form estimators approximate.
//
// Folds (k = opt.probe_folds, assigned with opt.seed):
//   classification: stratified. Each class's examples are shuffled (Fisher–Yates over
//     mt19937_64(seed)) and dealt round-robin to the folds, continuing where the previous
//     class stopped, so fold sizes differ by at most one. k is lowered to the size of the
//     smallest class, so every class has a member in every fold (and ≥ 1 in every training
//     set); a class with a single example is an InputError (it cannot be both trained on
//     and tested).
//   regression: all examples shuffled and dealt round-robin; k is lowered to ⌊N/2⌋ so
//     every held-out fold has ≥ 2 examples (R² needs a spread); N < 4 is an InputError.
// Per fold, features are standardized with the training part's mean and population std
// (scikit-learn's StandardScaler; constant columns become 0), then
//   classification: multinomial logistic regression, minimizing
//     C·Σ_i CE(softmax(x_i W + b), y_i) + ½‖W‖², C = 1 (scikit-learn's default; intercept
//     not penalized), by L-BFGS (memory 10, backtracking line search) on the objective
//     divided by C·n. Stopping rule: max |gradient| ≤ 1e-9, or no step can make progress
//     in float64, or 2000 iterations. (No relative-decrease test: that is what stops
//     scikit-learn's lbfgs ~1e-5 short of the optimum in probabilities.)
//     Score = mean over folds of held-out accuracy (prediction = argmax, first on ties).
//     The model is the softmax one for every K, also K = 2 (where scikit-learn's default
//     fits the single-vector binary model: the same family, a penalty twice as strong).
//   regression: ridge, minimizing ‖Y − XW − b‖² + ‖W‖² (scikit-learn's Ridge, α = 1),
//     solved exactly by Cholesky of XᵀX + I (D×D). Score = mean over folds of held-out
//     R² averaged over target columns (1 − SS_res/SS_tot; a constant held-out column
//     scores 1 if predicted exactly, else 0, as scikit-learn's r2_score).
// All in float64; each step is a GEMM over the training rows (no per-element loops).
#include <random>

#include "linalg.hpp"
#include "taskscout/estimate/estimators.hpp"

namespace taskscout {

namespace detail {

Scaler fit_scaler(const at::Tensor& x) {
  const double n = static_cast<double>(x.size(0)), eps = std::numeric_limits<double>::epsilon();
  Scaler s;
  s.mean = x.mean(0, true);
  const at::Tensor var = (x - s.mean).square().mean(0, true);
  // scikit-learn's _is_constant_feature: variance within rounding of zero.
  const at::Tensor constant = var <= n * eps * var + (n * eps * s.mean).square();
  s.scale = at::where(constant, at::ones_like(var), var.sqrt());
  return s;
}

LinearModel fit_logistic(const at::Tensor& x, const at::Tensor& y, std::int64_t k, double c) {
  const std::int64_t n = x.size(0), d = x.size(1);
  const double lambda = 1.0 / (c * static_cast<double>(n));  // penalty after dividing by C·n
  const at::Tensor xt = x.t();
  const at::Tensor y_row = y.unsqueeze(0);
  const at::Tensor minus_one = at::full({1, n}, -1.0, x.options());
  // Objective and gradient at θ = [Wᵀ b], K×(D+1). Logits are kept K×n: with the n×D
  // features as the GEMMs' second operand both products run at full speed (the n×K
  // orientation is 2–3× slower in OpenBLAS for small K).
  auto eval = [&](const at::Tensor& th, at::Tensor& grad) {
    const at::Tensor wt = th.narrow(1, 0, d), b = th.narrow(1, d, 1);
    const at::Tensor z = at::addmm(b, wt, xt);  // K×n logits
    const at::Tensor lse = z.logsumexp(0, true);
    const double f = (lse - z.gather(0, y_row)).mean().item<double>() + 0.5 * lambda * wt.square().sum().item<double>();
    at::Tensor p = (z - lse).exp_();      // softmax
    p.scatter_add_(0, y_row, minus_one);  // ∂CE/∂z = p − onehot(y)
    grad = at::cat({at::addmm(wt, p, x, lambda, 1.0 / static_cast<double>(n)), p.sum(1, true) / static_cast<double>(n)},
                   1);
    return f;
  };

  constexpr int kMemory = 10, kMaxIter = 2000;
  constexpr double kGradTol = 1e-9;
  at::Tensor th = at::zeros({k, d + 1}, x.options()), g;
  double f = eval(th, g);
  std::vector<at::Tensor> ss, ys;  // oldest first
  std::vector<double> rhos;
  int it = 0;
  for (; it < kMaxIter && g.abs().max().item<double>() > kGradTol; ++it) {
    // Two-loop recursion: dir = −H·g with the L-BFGS inverse-Hessian estimate H.
    at::Tensor q = g.clone();
    std::vector<double> a(ss.size());
    for (int i = static_cast<int>(ss.size()) - 1; i >= 0; --i) {
      a[i] = rhos[i] * (ss[i] * q).sum().item<double>();
      q.sub_(ys[i], a[i]);
    }
    const double gamma = ss.empty() ? 1.0 / std::max(1.0, g.norm().item<double>())
                                    : 1.0 / (rhos.back() * ys.back().square().sum().item<double>());
    q.mul_(gamma);
    for (std::size_t i = 0; i < ss.size(); ++i) q.add_(ss[i], a[i] - rhos[i] * (ys[i] * q).sum().item<double>());
    at::Tensor dir = -q;
    double slope = (g * dir).sum().item<double>();
    if (!(slope < 0)) {  // not a descent direction (rounding): restart from steepest descent
      ss.clear(), ys.clear(), rhos.clear();
      dir = -g;
      slope = -g.square().sum().item<double>();
    }
    // Backtracking until the Armijo condition f(θ + t·dir) ≤ f + 1e-4·t·slope holds. Near
    // the optimum the decrease sinks below float64's resolution of f; a step that keeps f
    // within rounding and shrinks the gradient is then accepted instead (as the
    // "approximate Wolfe" condition of Hager & Zhang), so the gradient test can be met.
    const double g_max = g.abs().max().item<double>();
    double step = 1.0, f_new = 0;
    at::Tensor th_new, g_new;
    bool found = false;
    for (int tries = 0; tries < 60 && !found; ++tries, step *= 0.5) {
      th_new = th + step * dir;
      f_new = eval(th_new, g_new);
      found = f_new <= f + 1e-4 * step * slope ||
              (std::abs(f_new - f) <= 1e-14 * std::abs(f) && g_new.abs().max().item<double>() < g_max);
    }
    if (!found) break;  // no progress representable in float64: converged to its floor
    const at::Tensor s = th_new - th, yv = g_new - g;
    const double sy = (s * yv).sum().item<double>();
    if (sy > 0) {  // keep the estimate positive definite
      ss.push_back(s), ys.push_back(yv), rhos.push_back(1.0 / sy);
      if (ss.size() > kMemory) ss.erase(ss.begin()), ys.erase(ys.begin()), rhos.erase(rhos.begin());
    }
    th = th_new, g = g_new, f = f_new;
  }
  return {th.narrow(1, 0, d).t().contiguous(), th.select(1, d).contiguous(), it};
}

LinearModel fit_ridge(const at::Tensor& x, const at::Tensor& y, double alpha) {
  const at::Tensor xm = x.mean(0, true), ym = y.mean(0, true);
  const at::Tensor xc = x - xm;
  const at::Tensor a = at::addmm(at::eye(x.size(1), x.options()), xc.t(), xc, alpha, 1.0);  // XᵀX + αI
  const at::Tensor w = at::cholesky_solve(at::matmul(xc.t(), y - ym), at::linalg_cholesky(a));
  return {w, (ym - at::matmul(xm, w)).squeeze(0), 0};
}

}  // namespace detail

namespace {

// Uniform integer in [0, bound) from one 64-bit draw (multiply-shift: portable, unlike
// std::uniform_int_distribution, so folds are the same on every platform).
std::int64_t below(std::mt19937_64& rng, std::uint64_t bound) {
  return static_cast<std::int64_t>((static_cast<unsigned __int128>(rng()) * bound) >> 64);
}

void shuffle(std::vector<std::int64_t>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(rng, i)]);
}

// fold[i] in [0, k): see the top of this file.
std::vector<std::int64_t> assign_folds(const std::vector<std::vector<std::int64_t>>& groups, std::int64_t k,
                                       std::uint64_t seed, std::int64_t n) {
  std::mt19937_64 rng(seed);
  std::vector<std::int64_t> fold(static_cast<std::size_t>(n));
  std::int64_t next = 0;
  for (auto members : groups) {
    shuffle(members, rng);
    for (auto i : members) fold[i] = next++ % k;
  }
  return fold;
}

at::Tensor indices_where(const std::vector<std::int64_t>& fold, std::int64_t f, bool equal) {
  std::vector<std::int64_t> idx;
  for (std::size_t i = 0; i < fold.size(); ++i)
    if ((fold[i] == f) == equal) idx.push_back(static_cast<std::int64_t>(i));
  return at::tensor(idx, at::TensorOptions().dtype(at::kLong));
}

double r2(const at::Tensor& pred, const at::Tensor& y) {
  const at::Tensor res = (y - pred).square().sum(0), tot = (y - y.mean(0, true)).square().sum(0);
  const at::Tensor per = at::where(tot > 0, 1 - res / tot, (res == 0).to(at::kDouble));
  return per.mean().item<double>();
}

}  // namespace

double linear_probe(const EstimationInput& input, const EstimatorOptions& opt) {
  validate(input, "linear_probe");
  const EstimationInput in =
      input.targets.kind == TaskKind::Classification ? detail::classification_input(input, "linear_probe") : input;
  if (opt.probe_folds < 2)
    throw UsageError(fmt::format("linear_probe: needs at least 2 folds, got {}", opt.probe_folds));
  const Targets& t = in.targets;
  const std::int64_t n = in.features.rows();
  const bool classify = t.kind == TaskKind::Classification;

  std::vector<std::vector<std::int64_t>> groups;
  std::int64_t k = opt.probe_folds;
  if (classify) {
    groups.resize(static_cast<std::size_t>(t.num_classes));
    for (std::int64_t i = 0; i < n; ++i) groups[t.classes[i]].push_back(i);
    for (std::size_t c = 0; c < groups.size(); ++c) {
      if (groups[c].size() < 2)
        throw InputError(
            fmt::format("linear_probe: class {} has {} example(s); cross-validation needs at least "
                        "2 per class (drop the class or add examples)",
                        c, groups[c].size()));
      k = std::min<std::int64_t>(k, static_cast<std::int64_t>(groups[c].size()));
    }
  } else {
    if (n < 4) throw InputError(fmt::format("linear_probe: regression needs at least 4 examples, got {}", n));
    groups.emplace_back(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) groups[0][i] = i;
    k = std::min<std::int64_t>(k, n / 2);
  }
  const std::vector<std::int64_t> fold = assign_folds(groups, k, opt.seed, n);

  const at::Tensor features = as_tensor(in.features);  // float32; each fold converts its rows
  const at::Tensor labels = classify ? detail::class_tensor(t) : as_tensor(t.values).to(at::kDouble);
  double total = 0;
  for (std::int64_t f = 0; f < k; ++f) {
    const at::Tensor train = indices_where(fold, f, false), test = indices_where(fold, f, true);
    at::Tensor xtr = features.index_select(0, train).to(at::kDouble);
    at::Tensor xte = features.index_select(0, test).to(at::kDouble);
    const detail::Scaler sc = detail::fit_scaler(xtr);
    sc.apply_(xtr), sc.apply_(xte);
    const at::Tensor ytr = labels.index_select(0, train), yte = labels.index_select(0, test);
    if (classify) {
      const detail::LinearModel m = detail::fit_logistic(xtr, ytr, t.num_classes, 1.0);
      const at::Tensor pred = at::addmm(m.b, xte, m.w).argmax(1);
      total += pred.eq(yte).to(at::kDouble).mean().item<double>();
    } else {
      const detail::LinearModel m = detail::fit_ridge(xtr, ytr, 1.0);
      total += r2(at::addmm(m.b, xte, m.w), yte);
    }
  }
  return total / static_cast<double>(k);
}

}  // namespace taskscout
