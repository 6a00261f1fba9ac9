#include "taskscout/train/optimizer.hpp"

#include <fmt/format.h>

#include <cmath>

#include "taskscout/core/array.hpp"
#include "taskscout/core/error.hpp"

namespace taskscout {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

at::Tensor step_tensor(std::int64_t step) { return at::scalar_tensor(step, at::kLong); }

}  // namespace

bool decays_weight(const std::string& name) {
  return !ends_with(name, "bias") && name.find("LayerNorm") == std::string::npos &&
         name.find("layer_norm") == std::string::npos;
}

AdamW::AdamW(ParameterMap parameters, AdamWOptions options) : parameters_(std::move(parameters)), options_(options) {
  if (parameters_.empty()) throw UsageError("AdamW needs at least one parameter to train");
  for (const auto& [name, p] : parameters_)
    if (!p.defined() || !p.requires_grad() || !at::isFloatingType(p.scalar_type()))
      throw UsageError(fmt::format("AdamW: parameter \"{}\" is not a floating tensor that requires gradients", name));
  if (!(options_.beta1 >= 0 && options_.beta1 < 1) || !(options_.beta2 >= 0 && options_.beta2 < 1))
    throw UsageError(fmt::format("AdamW: betas must lie in [0, 1), not ({}, {})", options_.beta1, options_.beta2));
  if (!(options_.eps > 0)) throw UsageError(fmt::format("AdamW: eps must be positive, not {}", options_.eps));
  if (!(options_.weight_decay >= 0))
    throw UsageError(fmt::format("AdamW: weight decay must be non-negative, not {}", options_.weight_decay));
}

void AdamW::step(double lr) {
  if (!(lr >= 0) || !std::isfinite(lr)) throw UsageError(fmt::format("AdamW: learning rate {} is invalid", lr));
  at::NoGradGuard no_grad;
  const double b1 = options_.beta1, b2 = options_.beta2;
  for (auto& [name, p] : parameters_) {
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    Slot& s = slots_[name];
    if (!s.exp_avg.defined()) {
      s.exp_avg = at::zeros_like(p, at::MemoryFormat::Preserve);
      s.exp_avg_sq = at::zeros_like(p, at::MemoryFormat::Preserve);
    }
    ++s.steps;
    if (decays_weight(name)) p.mul_(1 - lr * options_.weight_decay);
    s.exp_avg.mul_(b1).add_(g, 1 - b1);
    s.exp_avg_sq.mul_(b2).addcmul_(g, g, 1 - b2);
    // In double, as PyTorch computes these Python floats.
    const double t = static_cast<double>(s.steps);
    const double correction1 = 1 - std::pow(b1, t), correction2_sqrt = std::sqrt(1 - std::pow(b2, t));
    const at::Tensor denom = (s.exp_avg_sq.sqrt() / correction2_sqrt).add_(options_.eps);
    p.addcdiv_(s.exp_avg, denom, -lr / correction1);
  }
  ++steps_;
}

void AdamW::zero_grad() {
  for (auto& [name, p] : parameters_) p.mutable_grad() = at::Tensor();
}

ParameterMap AdamW::state() const {
  ParameterMap out;
  for (const auto& [name, s] : slots_) {
    out["exp_avg." + name] = s.exp_avg.clone();
    out["exp_avg_sq." + name] = s.exp_avg_sq.clone();
    out["step." + name] = step_tensor(s.steps);
  }
  out["step"] = step_tensor(steps_);
  return out;
}

void AdamW::load_state(const ParameterMap& state, const std::string& source) {
  auto fail = [&](const std::string& what) { throw InputError(location(source) + "optimizer state: " + what); };
  auto step_of = [&](const std::string& key) {
    auto it = state.find(key);
    if (it == state.end()) fail(fmt::format("\"{}\" is missing", key));
    if (it->second.numel() != 1 || at::isFloatingType(it->second.scalar_type()))
      fail(fmt::format("\"{}\" must be one integer", key));
    const std::int64_t v = it->second.item<std::int64_t>();
    if (v < 0) fail(fmt::format("\"{}\" is negative", key));
    return v;
  };
  std::map<std::string, Slot> slots;
  std::size_t used = 1;  // "step"
  for (const auto& [name, p] : parameters_) {
    auto avg = state.find("exp_avg." + name), sq = state.find("exp_avg_sq." + name);
    if (avg == state.end() && sq == state.end() && state.count("step." + name) == 0) continue;  // no step yet
    if (avg == state.end() || sq == state.end())
      fail(fmt::format("parameter \"{}\" has only part of its moments (exp_avg and exp_avg_sq)", name));
    for (const auto* t : {&avg->second, &sq->second})
      if (t->sizes() != p.sizes() || t->scalar_type() != p.scalar_type())
        fail(fmt::format("the moments of \"{}\" have shape {} {} but the parameter has {} {}", name,
                         shape_string(t->sizes().vec()), std::string(c10::toString(t->scalar_type())),
                         shape_string(p.sizes().vec()), std::string(c10::toString(p.scalar_type()))));
    Slot s;
    s.exp_avg = avg->second.clone();
    s.exp_avg_sq = sq->second.clone();
    s.steps = step_of("step." + name);
    slots[name] = std::move(s);
    used += 3;
  }
  const std::int64_t steps = step_of("step");
  if (used != state.size())
    for (const auto& [key, t] : state) {
      const auto dot = key.find('.');
      if (key != "step" && (dot == std::string::npos || parameters_.count(key.substr(dot + 1)) == 0))
        fail(fmt::format("\"{}\" names no parameter being trained: the state belongs to another model or method", key));
    }
  slots_ = std::move(slots);
  steps_ = steps;
}

double clip_grad_norm(const ParameterMap& parameters, double max_norm) {
  if (!(max_norm > 0)) throw UsageError(fmt::format("the gradient clipping norm must be positive, not {}", max_norm));
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> norms;
  for (const auto& [name, p] : parameters)
    if (p.grad().defined()) norms.push_back(p.grad().norm());
  if (norms.empty()) return 0;
  const at::Tensor total = at::stack(norms).norm();  // as torch: a norm of the norms
  const at::Tensor coefficient = at::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
  for (const auto& [name, p] : parameters)
    if (p.grad().defined()) p.grad().mul_(coefficient);
  return total.item<double>();
}

double LinearSchedule::learning_rate(std::int64_t step) const {
  // The factor first, then times the peak, as LambdaLR multiplies.
  if (step < warmup_steps)
    return peak_learning_rate *
           (static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(1, warmup_steps)));
  const double left = static_cast<double>(total_steps - step) /
                      static_cast<double>(std::max<std::int64_t>(1, total_steps - warmup_steps));
  return peak_learning_rate * std::max(0.0, left);
}

}  // namespace taskscout
