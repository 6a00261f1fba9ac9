#include "taskscout/model/adapter_composition.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "taskscout/core/error.hpp"

namespace taskscout {

namespace {

bool is_scalearn(CompositionMethod m) { return m != CompositionMethod::Fusion; }

std::string omega_name(const AdapterComposition& c, const std::string& site, bool attention_site) {
  if (shared_scalearn(c.method)) return fmt::format("scalearn.{}.omega", attention_site ? "attention" : "output");
  return site + ".scalearn.omega";
}

std::string fusion_prefix(const AdapterComposition& c, const std::string& site) {
  return site + ".adapter_fusion_layer." + c.fusion_name() + ".";
}

// The sites that hold adapters under `placement`, as (site, attention_site).
std::vector<std::pair<std::string, bool>> composed_sites(const EncoderConfig& config, AdapterPlacement placement) {
  std::vector<std::pair<std::string, bool>> out;
  for (std::int64_t i = 0; i < config.num_layers; ++i) {
    const AdapterSites s = adapter_locations(config.architecture, i);
    if (placement == AdapterPlacement::Houlsby) out.emplace_back(s.attention, true);
    out.emplace_back(s.output, false);
  }
  return out;
}

}  // namespace

bool uniform_scalearn(CompositionMethod m) {
  return m == CompositionMethod::ScaLearnUniform || m == CompositionMethod::ScaLearnUniformPlusPlus;
}
bool shared_scalearn(CompositionMethod m) {
  return m == CompositionMethod::ScaLearnPlusPlus || m == CompositionMethod::ScaLearnUniformPlusPlus;
}

CompositionMethod parse_composition_method(const std::string& text) {
  if (text == "scalearn") return CompositionMethod::ScaLearn;
  if (text == "scalearn-uniform") return CompositionMethod::ScaLearnUniform;
  if (text == "scalearn++") return CompositionMethod::ScaLearnPlusPlus;
  if (text == "scalearn-uniform++") return CompositionMethod::ScaLearnUniformPlusPlus;
  if (text == "fusion") return CompositionMethod::Fusion;
  throw UsageError(
      fmt::format("unknown composition \"{}\"; use {}", text, fmt::join(composition_method_names(), ", ")));
}

std::string composition_method_name(CompositionMethod m) {
  switch (m) {
    case CompositionMethod::ScaLearn:
      return "scalearn";
    case CompositionMethod::ScaLearnUniform:
      return "scalearn-uniform";
    case CompositionMethod::ScaLearnPlusPlus:
      return "scalearn++";
    case CompositionMethod::ScaLearnUniformPlusPlus:
      return "scalearn-uniform++";
    case CompositionMethod::Fusion:
      return "fusion";
  }
  return "";
}

std::vector<std::string> composition_method_names() {
  return {"scalearn", "scalearn-uniform", "scalearn++", "scalearn-uniform++", "fusion"};
}

std::string AdapterComposition::fusion_name() const { return fmt::format("{}", fmt::join(adapters, ",")); }

std::vector<std::pair<std::string, std::vector<std::int64_t>>> composition_specs(const EncoderConfig& config,
                                                                                 const AdapterComposition& c,
                                                                                 AdapterPlacement placement) {
  const std::int64_t k = static_cast<std::int64_t>(c.adapters.size()), d = config.hidden_size;
  const std::vector<std::int64_t> omega = uniform_scalearn(c.method) ? std::vector<std::int64_t>{k} : std::vector{k, d};
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> out;
  std::set<std::string> seen;
  for (const auto& [site, attention] : composed_sites(config, placement)) {
    if (is_scalearn(c.method)) {
      const std::string name = omega_name(c, site, attention);
      if (seen.insert(name).second) out.push_back({name, omega});
      continue;
    }
    const std::string p = fusion_prefix(c, site);
    out.push_back({p + "query.weight", {d, d}});
    out.push_back({p + "query.bias", {d}});
    out.push_back({p + "key.weight", {d, d}});
    out.push_back({p + "key.bias", {d}});
    out.push_back({p + "value.weight", {d, d}});
  }
  return out;
}

ParameterMap init_composition(const EncoderConfig& config, const AdapterComposition& c, AdapterPlacement placement,
                              std::uint64_t seed) {
  if (c.adapters.empty()) throw UsageError("a composition needs at least one adapter");
  std::set<std::string> names;
  for (const std::string& a : c.adapters) {
    if (a.empty() || a.find_first_of(".,") != std::string::npos)
      throw UsageError(fmt::format("the adapter name \"{}\" must be non-empty, without dots or commas", a));
    if (!names.insert(a).second) throw UsageError(fmt::format("the adapter \"{}\" is composed twice", a));
  }
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double k = static_cast<double>(c.adapters.size());
  ParameterMap out;
  for (const auto& [name, shape] : composition_specs(config, c, placement)) {
    const bool bias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
    const bool value = name.find(".value.") != std::string::npos;
    if (is_scalearn(c.method))
      out[name] = at::normal(1.0 / k, 0.001, shape, generator);
    else if (bias)
      out[name] = at::zeros(shape, at::kFloat);
    else if (value)
      out[name] = (at::zeros(shape, at::kFloat) + 1e-6).fill_diagonal_(1.0);
    else
      out[name] = at::normal(0.0, 0.02, shape, generator);
  }
  return out;
}

at::Tensor combine_adapters(const ParameterMap& p, const AdapterComposition& c, const std::string& site,
                            bool attention_site, const at::Tensor& input, bool swish) {
  auto weight = [&](const std::string& adapter, const char* tensor) -> const at::Tensor& {
    return parameter(p, site + ".adapters." + adapter + "." + tensor);
  };
  auto act = [swish](const at::Tensor& z) { return swish ? at::silu(z) : at::relu(z); };
  if (is_scalearn(c.method)) {
    const at::Tensor& omega = parameter(p, omega_name(c, site, attention_site));
    if (c.observe) {
      const std::string where =
          shared_scalearn(c.method) ? (attention_site ? "all layers, attention" : "all layers") : site;
      c.observe(where, uniform_scalearn(c.method) ? omega.detach() : omega.detach().mean(1));
    }
    std::vector<at::Tensor> downs, down_biases, ups;
    at::Tensor up_bias;
    for (std::size_t k = 0; k < c.adapters.size(); ++k) {
      const std::string& a = c.adapters[k];
      // ω_k as [D, 1] (per feature) or a scalar (uniform) scales U_k's rows and u_k.
      const at::Tensor w = uniform_scalearn(c.method) ? omega[k] : omega[k].unsqueeze(1);
      downs.push_back(weight(a, "adapter_down.0.weight"));
      down_biases.push_back(weight(a, "adapter_down.0.bias"));
      ups.push_back(weight(a, "adapter_up.weight") * w);
      const at::Tensor b = weight(a, "adapter_up.bias") * omega[k];
      up_bias = up_bias.defined() ? up_bias + b : b;
    }
    const at::Tensor z = act(at::linear(input, at::cat(downs), at::cat(down_biases)));
    return at::linear(z, at::cat(ups, 1), up_bias);
  }
  std::vector<at::Tensor> outputs;
  for (const std::string& a : c.adapters)
    outputs.push_back(
        at::linear(act(at::linear(input, weight(a, "adapter_down.0.weight"), weight(a, "adapter_down.0.bias"))),
                   weight(a, "adapter_up.weight"), weight(a, "adapter_up.bias")));
  const at::Tensor ups = at::stack(outputs, 2);  // [B, L, K, D]
  const std::string f = fusion_prefix(c, site);
  const at::Tensor q = at::linear(input, parameter(p, f + "query.weight"), parameter(p, f + "query.bias"));
  const at::Tensor k = at::linear(ups, parameter(p, f + "key.weight"), parameter(p, f + "key.bias"));
  const at::Tensor v = at::linear(ups, parameter(p, f + "value.weight"));
  const at::Tensor probs = at::softmax(at::matmul(k, q.unsqueeze(-1)).squeeze(-1), -1);  // [B, L, K]
  if (c.observe) c.observe(site, probs.detach());
  return at::matmul(probs.unsqueeze(-2), v).squeeze(-2);
}

at::Tensor composition_regularization(const ParameterMap& p, const EncoderConfig& config, const AdapterComposition& c,
                                      AdapterPlacement placement) {
  at::Tensor total = at::zeros({}, at::kFloat);
  if (is_scalearn(c.method)) return total;
  const at::Tensor identity = at::eye(config.hidden_size, at::kFloat);
  for (const auto& [site, attention] : composed_sites(config, placement))
    total = total + 0.01 * (identity - parameter(p, fusion_prefix(c, site) + "value.weight")).pow(2).sum();
  return total;
}

}  // namespace taskscout
