#pragma once
// Composing frozen source adapters for a target: the pipeline behind `taskscout compose`
// (and transfer's --compose scalearn…|fusion). The K source adapters keep their weights;
// only the composition (model/adapter_composition.hpp: ScaLearn's ω or AdapterFusion's
// attention) and a fresh flex head are trained on the target, by the fine-tuning loop
// (train/fine_tune.hpp) with its options: epochs, learning rate, seed, patience,
// max_train_examples. The result is a TaskModel of method compose, saved with
// save_task_model (model/composition_files.hpp describes the folder) and loaded back by
// load_task_model, so evaluate and predict take it like any model folder.
//
// Sources are bottleneck adapters (registered with --method adapter, or adapters-library
// folders) on one base and with one placement; LoRA and full models combine by merging
// (merge.hpp) instead.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "taskscout/io/dataset.hpp"
#include "taskscout/model/adapter_composition.hpp"
#include "taskscout/select/rank.hpp"
#include "taskscout/train/fine_tune.hpp"

namespace taskscout {

// One source adapter, loaded over the base.
struct AdapterSource {
  std::string name;    // the registry source's name, or the folder
  std::string digest;  // the registry blob digest of its adapter tensors; "" for a folder
  TaskModel model;     // method adapter
};

// The registry's sources `names`, each's adapter loaded over `base`. InputError naming the
// source when it is unknown or damaged, stores no adapter (saying how it was registered and
// what to do), or was registered on another base; UsageError for no names or a duplicate.
std::vector<AdapterSource> registry_adapters(const std::filesystem::path& registry,
                                             const std::vector<std::string>& names, const std::filesystem::path& base);
// Adapter folders (the adapters library's layout, or taskscout train --method adapter's) over `base`.
std::vector<AdapterSource> folder_adapters(const std::vector<std::string>& folders, const std::filesystem::path& base);

// The k best sources of the registry for `target` by rank method `method` (e.g.
// esm-logme), ranked among the sources that store an artifact of kind `kind` (adapter for
// composition, full_model for merging); the others are not candidates. `embedding` is how
// the target's texts are embedded (as the ESMs were trained: mean pooling of the last
// layer by default). Sources the ranker skips are reported in `skipped` (name: reason).
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
// evaluation on `dev` (as fine_tune). The adapters are renamed after their sources (letters,
// digits, '_' and '-'; made unique). InputError naming the source for adapters of different
// placements or hidden sizes; UsageError for no sources or a duplicate.
FineTuneResult compose_adapters(const std::filesystem::path& base, const std::vector<AdapterSource>& sources,
                                const Dataset& train, const Dataset& dev, const ComposeOptions& options,
                                const FineTuneProgress& progress = {});

// What a target took from each source, per site: ScaLearn's ω averaged over the features
// (exactly ω for the uniform variants); AdapterFusion's attention averaged over the tokens
// of each text, then over the texts (the dev set's, at most 256).
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
