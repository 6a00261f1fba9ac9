// LEEP and NCE: transferability from a source model's predictions on the target examples.
//
// LEEP (Nguyen et al., ICML 2020), θ = source probabilities (N×Z), y = target classes:
//   P̂(y, z) = (1/N) Σ_{i: y_i = y} θ_iz,  P̂(y|z) = P̂(y, z) / P̂(z),
//   LEEP = (1/N) Σ_i log Σ_z P̂(y_i|z) θ_iz.
// A source class no example puts mass on (P̂(z) = 0) has θ_iz = 0 for every i, so its
// undefined P̂(·|z) never contributes; it is taken as 0. The argument of the log is at
// least θ_iz²/(N·P̂(z)) > 0 for the z with the largest θ_iz, so the score is finite.
//
// NCE (Tran et al., ICCV 2019): z_i = argmax_z θ_iz (first index on ties), then
//   NCE = −H(Y|Z) = Σ_{y,z} P̂(y, z) log(P̂(y, z)/P̂(z)), with 0·log 0 = 0,
// from the hard joint counts. Matches TLlib's ranking code (which adds 1e-20 inside the
// log: a difference below 1e-18).
#include "linalg.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/estimate/estimators.hpp"

namespace taskscout {

namespace {

at::Tensor source_probs_f64(const EstimationInput& in, std::string_view name) {
  if (!in.source_probs)
    throw UsageError(
        fmt::format("{} needs the source model's predicted class probabilities on the target "
                    "examples: pass them as {} (an N×Z float32 .npy of softmax outputs)",
                    name, opt("source_probs")));
  return as_tensor(*in.source_probs).to(at::kDouble);
}

// One-hot N×C float64 indicator of the target classes.
at::Tensor one_hot(const Targets& t) { return at::one_hot(detail::class_tensor(t), t.num_classes).to(at::kDouble); }

}  // namespace

double leep(const EstimationInput& input, const EstimatorOptions& opt) {
  validate(input, "leep");
  const EstimationInput in = detail::classification_input(input, "leep");
  const at::Tensor theta = source_probs_f64(in, "leep");  // N×Z
  const double n = static_cast<double>(theta.size(0));
  const at::Tensor joint = at::matmul(one_hot(in.targets).t(), theta) / n;  // C×Z
  const at::Tensor pz = joint.sum(0, true);                                 // 1×Z
  const at::Tensor cond = at::where(pz > 0, joint / pz, at::zeros_like(joint));
  const at::Tensor expected = at::matmul(theta, cond.t());  // N×C: Σ_z P̂(y|z) θ_iz
  const at::Tensor picked = expected.gather(1, detail::class_tensor(in.targets).unsqueeze(1));
  return picked.log().mean().item<double>();
}

double nce(const EstimationInput& input, const EstimatorOptions& opt) {
  validate(input, "nce");
  const EstimationInput in = detail::classification_input(input, "nce");
  const at::Tensor theta = source_probs_f64(in, "nce");
  const std::int64_t zs = theta.size(1);
  const at::Tensor z = theta.argmax(1);
  // Joint counts as one bincount over the pair index y·Z + z.
  const at::Tensor pair = detail::class_tensor(in.targets) * zs + z;
  const at::Tensor joint =
      at::bincount(pair, {}, in.targets.num_classes * zs).to(at::kDouble).view({-1, zs}) / theta.size(0);
  const at::Tensor pz = joint.sum(0, true);
  const at::Tensor terms = at::where(joint > 0, joint * (joint / pz).log(), at::zeros_like(joint));
  return terms.sum().item<double>();
}

}  // namespace taskscout
