#pragma once
// Ranking a zoo of local Hugging Face checkpoints for one labeled target: "which of these
// models should I fine-tune?", as LogME is used in its paper and by TransformerRanker.
// Each model (any architecture the encoder supports, with its own tokenizer; hidden sizes
// may differ) embeds the target's texts, then each estimator scores those embeddings. One
// model is in memory at a time; a model that cannot be used is skipped with its reason.
//
// Layers, as TransformerRanker's layer_aggregator:
//   last  the last layer's pooled embeddings;
//   mean  the mean over the transformer layers 1..L of each layer's pooled embeddings (the
//         embedding layer left out, as TransformerRanker's "all" does);
//   best  every layer 1..L scored, the model's score is its best layer's.
//
// The cache (optional): the target's embeddings per model in one safetensors file, keyed
// by the model's fingerprint, the target's fingerprint, pooling, layers and max length, and
// written atomically, so a rerun (or a run that was interrupted) embeds only what is missing.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "taskscout/core/progress.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/model/embedding_options.hpp"
#include "taskscout/select/rank.hpp"

namespace taskscout {

enum class LayerChoice { Last, Mean, Best };
// "last", "mean" or "best"; UsageError listing them otherwise.
LayerChoice parse_layer_choice(std::string_view name);
std::string_view layer_choice_name(LayerChoice choice);

struct RankModelsOptions {
  std::vector<std::string> methods = {"logme"};  // estimators on features (not leep, nce)
  LayerChoice layer = LayerChoice::Last;
  Pooling pooling = Pooling::Mean;  // pooler only with layer last
  std::size_t max_length = 0;       // tokens per text; 0: each model's limit
  std::size_t batch_size = 32;
  std::filesystem::path cache;  // empty: no cache
};

// What happened to one model folder.
struct ModelRun {
  std::string name;  // the folder's name (its path when two folders share a name)
  std::filesystem::path folder;
  std::string model_type;
  std::int64_t hidden_size = 0, layers = 0;
  bool from_cache = false;
  double embed_seconds = 0;               // embedding (0 when read from the cache)
  std::map<std::string, int> best_layer;  // with LayerChoice::Best: per method, the winning layer
  std::string skipped;                    // why the model could not be used
};

struct ModelRanking {
  std::vector<MethodRanking> rankings;  // in the order of options.methods
  std::vector<ModelRun> models;         // in the order given
  double seconds = 0;
};

// Checks the methods and options before any model is read (UsageError). Phases: "models",
// units: models (the detail names the model being embedded). A callback may throw
// Cancelled: what is in the cache stays usable.
ModelRanking rank_models(const std::vector<std::filesystem::path>& models, const Dataset& target,
                         const RankModelsOptions& options, const Progress& progress = {});

}  // namespace taskscout
