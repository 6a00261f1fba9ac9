// compose_loras: ScaLearn over frozen LoRA sources (model/lora_composition.hpp).
#include <fmt/format.h>

#include <set>

#include "compose_parts.hpp"
#include "taskscout/compose/compose.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/model/lora_composition.hpp"
#include "taskscout/model/model_folder.hpp"

namespace fs = std::filesystem;

namespace taskscout {

using namespace compose_parts;

FineTuneResult compose_loras(const fs::path& base_folder, const std::vector<ComposeSource>& sources,
                             const Dataset& train, const Dataset& dev, const ComposeOptions& options,
                             const FineTuneProgress& progress) {
  check_sources(sources);
  const std::string first = fmt::format("source \"{}\"", sources.front().name);
  if (sources.front().model.method != FineTuneMethod::Lora) throw InputError(first + " is not a LoRA");
  if (options.method == CompositionMethod::Fusion)
    throw InputError(fmt::format(
        "{} is a LoRA: AdapterFusion attends over adapters' outputs, which LoRAs do not have; compose LoRAs "
        "with scalearn, scalearn-uniform, scalearn++ or scalearn-uniform++, or merge them with taskscout merge",
        first));
  TaskModel m = start_composed_model(load_encoder(base_folder), base_folder, train);

  // The sources' LoRA pairs, frozen, each under a name of its own.
  LoraComposition composition;
  composition.method = options.method;
  std::set<std::string> taken;
  for (const ComposeSource& s : sources) {
    const TaskModel& a = s.model;
    if (a.config.hidden_size != m.config.hidden_size || a.config.num_layers != m.config.num_layers)
      throw InputError(
          fmt::format("source \"{}\" was trained on an encoder of another size; compose sources of one base", s.name));
    const std::string name = composed_name(s.name, taken);
    composition.loras.push_back(name);
    composition.configs.push_back(a.lora);
    for (const std::string& tensor : a.added)
      for (const char half : {'A', 'B'}) {
        const std::string suffix = fmt::format(".lora_{}.weight", half);  // anything else is a pooler its head trained
        if (tensor.size() <= suffix.size() || tensor.compare(tensor.size() - suffix.size(), suffix.size(), suffix))
          continue;
        const std::string here = composed_lora_name(tensor.substr(0, tensor.size() - suffix.size()), name, half);
        m.encoder[here] = parameter(a.encoder, tensor).detach();
        m.added.push_back(here);
      }
    m.composed.push_back({name, s.name, s.digest, {}, {}});
  }

  const std::uint64_t seed = options.training.seed;
  ParameterMap trained = add_trained(m, init_lora_composition(m.config, composition, seed + 1), train, seed);
  m.encode.lora_composition = std::make_shared<const LoraComposition>(composition);
  return train_task_model(std::move(m), trained, train, dev, options.effective_training(), progress);
}

}  // namespace taskscout
