#pragma once
// Several frozen LoRAs (lora.hpp) combined by ScaLearn's learned scaling (Frohmann et al.
// 2023), as taskscout composes LoRA sources. Every linear module that any source targets
// computes
//   y = W x + b + Σ_k ω_k ⊙ (s_k · B_k A_k x),   s_k = alpha_k / r_k (PEFT's scaling)
// over the sources that have a pair there: sources may differ in rank, alpha and target
// modules, and a source contributes only where it has a pair. Source k's pair is
// "<module>.lora_A.<name_k>.weight" [r_k, in] and "<module>.lora_B.<name_k>.weight" [out, r_k]
// (PEFT's names when a model holds several adapters). ω, the only trained tensors:
//     scalearn            ω ∈ R^{K×out} per module        "<module>.scalearn.omega"
//     scalearn-uniform    ω ∈ R^{K}     per module        "<module>.scalearn.omega"
//     scalearn++          ω ∈ R^{K×out} per module kind   "scalearn.<kind>.omega"
//     scalearn-uniform++  ω ∈ R^{K}     per module kind   "scalearn.<kind>.omega"
// where <kind> is the module's path inside its layer ("attention.self.query"), so the ++
// variants share one ω by all layers' modules of a kind. The row of a source without a pair
// at a module takes no part there. Initialised as the adapter variants
// (adapter_composition.hpp): ω ~ N(1/K, 0.001²). AdapterFusion does not apply: it attends
// over whole adapter outputs, which a LoRA, a change inside a module, does not have.
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "taskscout/model/adapter_composition.hpp"
#include "taskscout/model/config.hpp"
#include "taskscout/model/lora_config.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {

struct LoraComposition {
  CompositionMethod method = CompositionMethod::ScaLearn;  // a ScaLearn variant
  std::vector<std::string> loras;                          // the K LoRAs' names in the parameter map
  std::vector<LoraConfig> configs;                         // their rank, alpha and targets, in that order

  // The LoRAs' names joined by commas: the saved head's name (as fusion_name for adapters).
  std::string head_name() const;
};

// "<module>.lora_A.<lora>.weight" (half 'A') or "<module>.lora_B.<lora>.weight" (half 'B').
std::string composed_lora_name(const std::string& module, const std::string& lora, char half);

// The ω tensors with their shapes, in forward order of the modules any source targets.
// UsageError for AdapterFusion, no LoRAs, a duplicate name, a name with a dot or a comma,
// or configs that do not match the names; the errors of lora_modules for a config.
std::vector<std::pair<std::string, std::vector<std::int64_t>>> lora_composition_specs(
    const EncoderConfig& config, const LoraComposition& composition);

// Fresh ω (see above) from `seed`, with the errors of lora_composition_specs.
ParameterMap init_lora_composition(const EncoderConfig& config, const LoraComposition& composition, std::uint64_t seed);

// True when a source has a LoRA pair at `module` in `parameters`.
bool has_composed_lora(const ParameterMap& parameters, const LoraComposition& composition, const std::string& module);

// Σ_k ω_k ⊙ (s_k · B_k A_k x) at `module` for its input x, computed as one LoRA of rank
// Σ r_k: the A_k stacked [Σ r_k, in], the s_k·B_k side by side each scaled by its ω_k.
// Undefined when no source has a pair at `module`.
at::Tensor combine_loras(const ParameterMap& parameters, const LoraComposition& composition, const std::string& module,
                         const at::Tensor& input);

// What the target took from each source: per ω tensor its site (the module, or the module
// kind for ++) and per source ω averaged over the outputs (exactly ω for the uniform
// variants); NaN for a source without a pair at the site.
std::vector<std::pair<std::string, std::vector<double>>> lora_composition_weights(const EncoderConfig& config,
                                                                                  const ParameterMap& parameters,
                                                                                  const LoraComposition& composition);

}  // namespace taskscout
