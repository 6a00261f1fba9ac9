#include "taskscout/model/lora_composition.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <limits>
#include <map>
#include <set>

#include "taskscout/core/error.hpp"
#include "taskscout/model/lora.hpp"

namespace taskscout {

namespace {

// The module's path inside its layer, after the layer's index:
// "encoder.layer.3.attention.self.query" → "attention.self.query".
std::string module_kind(const std::string& module) {
  for (std::size_t start = 0, dot; (dot = module.find('.', start)) != std::string::npos; start = dot + 1)
    if (dot > start && module.find_first_not_of("0123456789", start) == dot) return module.substr(dot + 1);
  return module;
}

std::string omega_name(const LoraComposition& l, const std::string& module) {
  return shared_scalearn(l.method) ? "scalearn." + module_kind(module) + ".omega" : module + ".scalearn.omega";
}

void check_composition(const LoraComposition& l) {
  if (l.method == CompositionMethod::Fusion)
    throw UsageError(
        "AdapterFusion attends over adapters' outputs, which LoRAs do not have; compose LoRAs with scalearn, "
        "scalearn-uniform, scalearn++ or scalearn-uniform++");
  if (l.loras.empty()) throw UsageError("a composition needs at least one LoRA");
  if (l.configs.size() != l.loras.size())
    throw UsageError(fmt::format("{} LoRAs with {} configurations", l.loras.size(), l.configs.size()));
  std::set<std::string> names;
  for (const std::string& a : l.loras) {
    if (a.empty() || a.find_first_of(".,") != std::string::npos)
      throw UsageError(fmt::format("the LoRA name \"{}\" must be non-empty, without dots or commas", a));
    if (!names.insert(a).second) throw UsageError(fmt::format("the LoRA \"{}\" is composed twice", a));
  }
}

// Per module any source targets, in forward order: its ω tensor's name and shape, and which
// sources have a pair there.
struct ComposedModule {
  std::string module, omega;
  std::vector<std::int64_t> shape;
  std::vector<bool> present;
};

std::vector<ComposedModule> composed_modules(const EncoderConfig& c, const LoraComposition& l) {
  check_composition(l);
  std::vector<std::set<std::string>> targeted;
  for (const LoraConfig& config : l.configs) {
    const std::vector<std::string> modules = lora_modules(c, config);
    targeted.emplace_back(modules.begin(), modules.end());
  }
  const std::int64_t k = static_cast<std::int64_t>(l.loras.size());
  std::vector<ComposedModule> out;
  for (const auto& [module, shape] : linear_modules(c)) {
    ComposedModule m{module, omega_name(l, module), {}, {}};
    for (const auto& t : targeted) m.present.push_back(t.count(module) > 0);
    if (std::find(m.present.begin(), m.present.end(), true) == m.present.end()) continue;
    m.shape = uniform_scalearn(l.method) ? std::vector<std::int64_t>{k} : std::vector<std::int64_t>{k, shape[0]};
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

std::string LoraComposition::head_name() const { return fmt::format("{}", fmt::join(loras, ",")); }

std::string composed_lora_name(const std::string& module, const std::string& lora, char half) {
  return fmt::format("{}.lora_{}.{}.weight", module, half, lora);
}

std::vector<std::pair<std::string, std::vector<std::int64_t>>> lora_composition_specs(const EncoderConfig& c,
                                                                                      const LoraComposition& l) {
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> out;
  std::set<std::string> seen;
  for (const ComposedModule& m : composed_modules(c, l))
    if (seen.insert(m.omega).second) out.emplace_back(m.omega, m.shape);
  return out;
}

ParameterMap init_lora_composition(const EncoderConfig& c, const LoraComposition& l, std::uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double k = static_cast<double>(l.loras.size());
  ParameterMap out;
  for (const auto& [name, shape] : lora_composition_specs(c, l))
    out[name] = at::normal(1.0 / k, 0.001, shape, generator);
  return out;
}

bool has_composed_lora(const ParameterMap& p, const LoraComposition& l, const std::string& module) {
  for (const std::string& lora : l.loras)
    if (p.contains(composed_lora_name(module, lora, 'A'))) return true;
  return false;
}

at::Tensor combine_loras(const ParameterMap& p, const LoraComposition& l, const std::string& module,
                         const at::Tensor& input) {
  std::vector<at::Tensor> downs, ups;
  const at::Tensor* omega = nullptr;
  for (std::size_t k = 0; k < l.loras.size(); ++k) {
    const auto a = p.find(composed_lora_name(module, l.loras[k], 'A'));
    if (a == p.end()) continue;
    if (!omega) omega = &parameter(p, omega_name(l, module));
    // s_k·ω_k as [out, 1] (per output) or a scalar (uniform) scales B_k's rows.
    const at::Tensor w = ((*omega)[static_cast<std::int64_t>(k)] * l.configs[k].scaling());
    downs.push_back(a->second);
    ups.push_back(parameter(p, composed_lora_name(module, l.loras[k], 'B')) *
                  (uniform_scalearn(l.method) ? w : w.unsqueeze(1)));
  }
  if (downs.empty()) return {};
  return at::linear(at::linear(input, downs.size() == 1 ? downs.front() : at::cat(downs)),
                    ups.size() == 1 ? ups.front() : at::cat(ups, 1));
}

std::vector<std::pair<std::string, std::vector<double>>> lora_composition_weights(const EncoderConfig& c,
                                                                                  const ParameterMap& p,
                                                                                  const LoraComposition& l) {
  // Per ω tensor, in the order first met: its site and the sources with a pair at any of its modules.
  std::vector<std::pair<std::string, std::vector<double>>> out;
  std::map<std::string, std::size_t> index;
  std::vector<std::vector<bool>> present;
  for (const ComposedModule& m : composed_modules(c, l)) {
    auto [it, added] = index.emplace(m.omega, out.size());
    if (added) {
      out.emplace_back(shared_scalearn(l.method) ? "all layers, " + module_kind(m.module) : m.module,
                       std::vector<double>{});
      present.emplace_back(m.present.size(), false);
    }
    for (std::size_t k = 0; k < m.present.size(); ++k) present[it->second][k] = present[it->second][k] || m.present[k];
  }
  for (const auto& [name, i] : index) {
    const at::Tensor omega = parameter(p, name).detach().to(at::kDouble);
    const at::Tensor mean = (uniform_scalearn(l.method) ? omega : omega.mean(1)).contiguous();
    for (std::size_t k = 0; k < present[i].size(); ++k)
      out[i].second.push_back(present[i][k] ? mean[static_cast<std::int64_t>(k)].item<double>()
                                            : std::numeric_limits<double>::quiet_NaN());
  }
  return out;
}

}  // namespace taskscout
