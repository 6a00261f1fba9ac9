#pragma once
// AdamW over a name → tensor map, with PyTorch's arithmetic (torch.optim.AdamW, single-tensor
// path): decoupled weight decay p ← p·(1 − lr·λ), moments m ← β1·m + (1 − β1)·g and
// v ← β2·v + (1 − β2)·g², then p ← p − lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε).
// Biases and LayerNorm weights are not decayed, as Hugging Face's Trainer groups them.
// The optimizer's state is itself a ParameterMap so that a checkpoint can hold it and a
// resumed run continues bit for bit.
#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "taskscout/model/parameters.hpp"

namespace taskscout {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

// False for biases and LayerNorm weights ("…bias", "…LayerNorm…", "…layer_norm…").
bool decays_weight(const std::string& name);

class AdamW {
 public:
  // `parameters` are the trainable tensors (float, requiring gradients); the optimizer
  // updates them in place, so the caller's map (which shares their storage) sees every
  // step. Throws UsageError for an empty map, a tensor that does not require gradients,
  // or options outside their ranges.
  explicit AdamW(ParameterMap parameters, AdamWOptions options = {});

  // One update with this learning rate. Tensors without a gradient are skipped (their
  // moments and step stay as they are, as in PyTorch).
  void step(double learning_rate);
  // Drops every gradient (sets it undefined, as zero_grad(set_to_none=True)).
  void zero_grad();
  // Updates taken so far.
  std::int64_t step_count() const { return steps_; }

  const ParameterMap& parameters() const { return parameters_; }
  const AdamWOptions& options() const { return options_; }

  // "exp_avg.<name>" and "exp_avg_sq.<name>" for every parameter that has taken a step
  // (and "step.<name>", int64 scalars), plus "step" (int64 scalar): copies, safe to save.
  ParameterMap state() const;
  // Restores a state() written by an optimizer over the same parameters. Throws
  // InputError, prefixed with `source`, for a missing or unknown entry, a shape or dtype
  // that differs from the parameter's, or a missing step.
  void load_state(const ParameterMap& state, const std::string& source);

 private:
  struct Slot {
    at::Tensor exp_avg, exp_avg_sq;
    std::int64_t steps = 0;
  };
  ParameterMap parameters_;
  AdamWOptions options_;
  std::map<std::string, Slot> slots_;
  std::int64_t steps_ = 0;
};

// Scales every gradient by max_norm / (total + 1e-6) when the total 2-norm of all
// gradients exceeds max_norm (torch.nn.utils.clip_grad_norm_); returns the norm before
// clipping. Tensors without a gradient are ignored. UsageError for max_norm ≤ 0.
double clip_grad_norm(const ParameterMap& parameters, double max_norm);

// Linear warm-up from 0 to the peak over warmup_steps, then linear decay to 0 at
// total_steps (transformers.get_linear_schedule_with_warmup): the learning rate used by
// the update after `step` earlier updates.
struct LinearSchedule {
  double peak_learning_rate = 0;
  std::int64_t warmup_steps = 0;
  std::int64_t total_steps = 0;

  double learning_rate(std::int64_t step) const;
};

}  // namespace taskscout
