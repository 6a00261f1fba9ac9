#pragma once
// Several frozen bottleneck adapters at every adapter site, their outputs combined by a
// small learned composition. At a site the adapters share one input z (the adapter input
// of their placement: LN(h + x) for Pfeiffer, h for Houlsby) and each gives its
// up-projection a_k = up_k(act(down_k(z))); the site's output is then
//   LN(combine(z, a_1..a_K) + h + x)
// as the adapters library's Fuse block computes it (residual_before_ln: the residual is
// the sublayer output h). The combinations:
//   ScaLearn (Frohmann et al. 2023, "Learning to Scale"): combine = Σ_k ω_k ⊙ a_k with
//     scalearn            ω ∈ R^{K×D} per site          "<site>.scalearn.omega"
//     scalearn-uniform    ω ∈ R^{K}   per site          "<site>.scalearn.omega"
//     scalearn++          ω ∈ R^{K×D} shared by layers  "scalearn.<kind>.omega"
//     scalearn-uniform++  ω ∈ R^{K}   shared by layers  "scalearn.<kind>.omega"
//   (<kind> is "output", or "attention" for Houlsby's attention sites), initialised as the
//   authors' code: ω ~ N(1/K, 0.001²).
//   AdapterFusion (Pfeiffer et al. 2021), the library's "dynamic" configuration: per site
//     q = W_q z + b_q, k_k = W_k a_k + b_k, v_k = W_v a_k, p = softmax_k(q·k_k),
//     combine = Σ_k p_k v_k; W_q, W_k ~ N(0, 0.02²), biases 0, W_v = I (+1e-6 off the
//     diagonal), stored under the library's names
//     "<site>.adapter_fusion_layer.<a,b,c>.{query,key,value}.*". Its training adds
//     0.01·Σ_sites ‖I − W_v‖² to the loss (the library's fusion regularization).
// No dropout (taskscout trains without it). <site> is the module holding the adapters
// (adapter_locations in adapter.hpp), e.g. "encoder.layer.3.output".
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "taskscout/model/adapter.hpp"
#include "taskscout/model/config.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {

enum class CompositionMethod { ScaLearn, ScaLearnUniform, ScaLearnPlusPlus, ScaLearnUniformPlusPlus, Fusion };

// "scalearn" | "scalearn-uniform" | "scalearn++" | "scalearn-uniform++" | "fusion"; UsageError otherwise.
CompositionMethod parse_composition_method(const std::string& text);
std::string composition_method_name(CompositionMethod method);
// Every method's name, for help texts.
std::vector<std::string> composition_method_names();
// ScaLearn's variants with one ω per source (uniform) and with ω shared by the layers (++).
bool uniform_scalearn(CompositionMethod method);
bool shared_scalearn(CompositionMethod method);

struct AdapterComposition {
  CompositionMethod method = CompositionMethod::ScaLearn;
  std::vector<std::string> adapters;  // the K adapters' names in the parameter map, in order
  // When set, called at every site with the combination's weights: ScaLearn's [K] (ω
  // averaged over D; the ++ variants name their site "all layers", or "all layers,
  // attention"), AdapterFusion's attention [B, L, K]. For showing which sources a target
  // used; not part of the model.
  std::function<void(const std::string& site, const at::Tensor& weights)> observe;

  // The library's fusion name: the adapters joined by commas.
  std::string fusion_name() const;
};

// The composition's tensors for an encoder whose adapters sit as `placement` puts them,
// with their shapes, in forward order.
std::vector<std::pair<std::string, std::vector<std::int64_t>>> composition_specs(const EncoderConfig& config,
                                                                                 const AdapterComposition& composition,
                                                                                 AdapterPlacement placement);

// Fresh composition tensors (see above), from `seed`. UsageError for no adapters, a
// duplicate name, or a name with a dot or a comma.
ParameterMap init_composition(const EncoderConfig& config, const AdapterComposition& composition,
                              AdapterPlacement placement, std::uint64_t seed);

// combine(z, a_1..a_K) at `site` for the adapter input `input` (z, [B, L, D]): the K
// adapters under their names at `site`, with relu (or swish) between their projections.
// ScaLearn's Σ_k ω_k ⊙ a_k is computed as one bottleneck of width Σ r_k — the down
// projections stacked, the up projections side by side each scaled by its ω_k — so it costs
// what one adapter that wide costs. `attention_site` selects the ++ variants' shared tensor.
at::Tensor combine_adapters(const ParameterMap& parameters, const AdapterComposition& composition,
                            const std::string& site, bool attention_site, const at::Tensor& input, bool swish);

// AdapterFusion's regularization 0.01·Σ_sites ‖I − W_v‖² over the map's value matrices
// (a zero scalar for ScaLearn).
at::Tensor composition_regularization(const ParameterMap& parameters, const EncoderConfig& config,
                                      const AdapterComposition& composition, AdapterPlacement placement);

}  // namespace taskscout
