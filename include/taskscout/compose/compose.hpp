#pragma once
// Composing frozen sources for a target: the pipeline behind `taskscout compose` (and
// transfer's --compose scalearn…|fusion). The K sources keep their weights; only the
// composition and a fresh flex head are trained on the target, by the fine-tuning loop
// (train/fine_tune.hpp) with its options: epochs, learning rate, seed, patience,
// max_train_examples. The result is a TaskModel of method compose, saved with
// save_task_model (model/composition_files.hpp describes the folder) and loaded back by
// load_task_model, so evaluate, predict and transfer take it like any model folder.
//
// Sources are of one kind:
//   - bottleneck adapters (registered with --method adapter, or adapters-library folders)
//     on one base and with one placement, composed by ScaLearn's four variants or
//     AdapterFusion (model/adapter_composition.hpp);
//   - LoRAs (registered with --method lora, or PEFT folders) on one base, of any ranks,
//     alphas and target modules, composed by ScaLearn's four variants
//     (model/lora_composition.hpp); AdapterFusion needs adapters' outputs, which LoRAs lack.
// Full models, and adapters and LoRAs together, combine by merging (merge.hpp) instead.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "taskscout/io/dataset.hpp"
#include "taskscout/model/adapter_composition.hpp"
#include "taskscout/select/rank.hpp"
#include "taskscout/train/fine_tune.hpp"

namespace taskscout {

// One source, loaded over the base.
struct ComposeSource {
  std::string name;    // the registry source's name, or the folder
  std::string digest;  // the registry blob digest of its adapter or LoRA tensors; "" for a folder
  TaskModel model;     // method adapter or lora
};

// The registry's sources `names`, each's adapter or LoRA loaded over `base`. InputError
// naming the source when it is unknown or damaged, stores neither (saying how it was
// registered and what to do), was registered on another base, or is of another kind than
// the first; UsageError for no names or a duplicate.
std::vector<ComposeSource> registry_sources(const std::filesystem::path& registry,
                                            const std::vector<std::string>& names, const std::filesystem::path& base);
// Adapter folders (the adapters library's layout, or taskscout train --method adapter's) or
// LoRA folders (PEFT's, or taskscout train --method lora's) over `base`, all of one kind.
std::vector<ComposeSource> folder_sources(const std::vector<std::string>& folders, const std::filesystem::path& base);

// The kind of source --top-k (and transfer's compositions) choose among: adapter when the
// registry has adapter sources, otherwise lora when it has LoRA sources. InputError saying
// what to register when it has neither.
std::string_view composable_kind(const std::filesystem::path& registry);

// The k best sources of the registry for `target` by rank method `method` (e.g.
// esm-logme), ranked among the sources that store an artifact of kind `kind` (adapter or
// lora for composition, full_model for merging); the others are not candidates.
// `embedding` is how the target's texts are embedded (as the ESMs were trained: mean
// pooling of the last layer by default). Sources the ranker skips are reported in `skipped` (name: reason).
// UsageError for k = 0; InputError when no candidate can be ranked.
struct TopSources {
  std::vector<std::string> names;  // best first, at most k
  std::vector<double> scores;
  std::vector<std::pair<std::string, std::string>> skipped;
  std::vector<std::string> candidates;  // every source of the registry with the artifact
};
TopSources top_registry_sources(const std::filesystem::path& registry, const std::filesystem::path& base,
                                const Dataset& target, std::size_t k, const std::string& method,
                                std::string_view kind = "adapter",
                                const TextEmbeddingOptions& embedding = {{Pooling::Mean, -1}, 0, 32});

struct ComposeOptions {
  CompositionMethod method = CompositionMethod::ScaLearn;
  // As fine-tuning; a learning rate of 0 takes the method's default (default_learning_rate).
  FineTuneOptions training;

  // `training` as compose_adapters runs it: method compose, the learning rate settled.
  FineTuneOptions effective_training() const;
};

// ScaLearn 6e-3 (its authors' GLUE scripts), AdapterFusion 5e-5 (Pfeiffer et al. 2021).
double default_learning_rate(CompositionMethod method);

// Trains the composition of `sources` and a fresh head on `train`, choosing the best
// evaluation on `dev` (as fine_tune), by compose_adapters or compose_loras as the sources'
// kind asks. InputError naming the source for a full model or sources of two kinds;
// UsageError for no sources or a duplicate.
FineTuneResult compose_sources(const std::filesystem::path& base, const std::vector<ComposeSource>& sources,
                               const Dataset& train, const Dataset& dev, const ComposeOptions& options,
                               const FineTuneProgress& progress = {});

// Adapters: renamed after their sources (letters, digits, '_' and '-'; made unique).
// InputError naming the source for adapters of different placements or hidden sizes.
FineTuneResult compose_adapters(const std::filesystem::path& base, const std::vector<ComposeSource>& sources,
                                const Dataset& train, const Dataset& dev, const ComposeOptions& options,
                                const FineTuneProgress& progress = {});

// LoRAs, renamed alike, by a ScaLearn variant. InputError naming the source for
// AdapterFusion (saying to use ScaLearn, or merge) or a LoRA on an encoder of another size.
FineTuneResult compose_loras(const std::filesystem::path& base, const std::vector<ComposeSource>& sources,
                             const Dataset& train, const Dataset& dev, const ComposeOptions& options,
                             const FineTuneProgress& progress = {});

// What a target took from each source, per site: ScaLearn's ω averaged over the features
// (exactly ω for the uniform variants); AdapterFusion's attention averaged over the tokens
// of each text, then over the texts (the dev set's, at most 256). Over LoRAs a site is a
// module (or a module kind for ++) and a source without a LoRA there has NaN (null in JSON).
struct CompositionWeights {
  std::string method;
  std::vector<std::string> sources;          // the sources' names, in composition order
  std::vector<std::string> sites;            // e.g. "encoder.layer.3.output"; "all layers" for ++
  std::vector<std::vector<double>> weights;  // [site][source]

  // {"method", "sources", "sites": [{"site", "weights": [...]}]}: written beside the model as
  // composition_weights.json.
  std::string to_json() const;
  // Reads composition_weights.json from a composed folder; InputError naming the file.
  static CompositionWeights read(const std::filesystem::path& folder);
};
CompositionWeights measure_composition_weights(const TaskModel& model, const Dataset& texts);

// The file name above.
inline constexpr const char* kCompositionWeightsFile = "composition_weights.json";

}  // namespace taskscout
