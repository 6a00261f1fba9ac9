#pragma once
// hf-dataset-selector's Embedding Space Maps (the `hfselect` package, Schulte et al.): the
// folders its ESM.save_pretrained writes and its Hub repositories hold, read into and
// written back from a registry.
//
// Their layout (hfselect/esm.py, hfselect/esmconfig.py):
//   config.json        ESMConfig.to_dict(): base_model_name, task_id, task_subset,
//                      text_column, label_column, task_split, num_examples, seed, language,
//                      esm_architecture, esm_embedding_dim, lm_* and esm_* training settings,
//                      developers, plus the keys PretrainedConfig adds (transformers_version…)
//   model.safetensors  the nn.Linear(D, D): model.weight [D, D] (out × in) and model.bias [D];
//                      version 0.1.0 named them sequential.0.weight / sequential.0.bias.
// ESM(x) = x·Wᵀ + b, the orientation of taskscout's own format (esm/esm.hpp), so the
// weights are copied as they are. Only esm_architecture "linear" exists.
//
// Pooling: hfselect embeds with get_pooled_output (hfselect/model_utils.py): a BertModel's
// pooler output (tanh(dense(CLS))) — the mean over tokens when its name contains
// "sentence-transformers" — and the first token for DistilBERT and RoBERTa, always from the
// last layer. An imported source records that as its embedding, so `rank` refuses to map a
// target embedded otherwise.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "taskscout/core/progress.hpp"
#include "taskscout/registry/registry.hpp"

namespace taskscout {

struct HfEsmImportOptions {
  std::filesystem::path base;         // the base model folder the ESMs were trained on
  std::string base_model_name;        // when set: asserted equal to every config's base_model_name
  std::string name_prefix;            // put before each derived source name
  bool allow_unknown_fields = false;  // keep config keys hfselect does not define (in provenance)
};

// One folder found under the given directories.
struct HfEsmImportItem {
  std::string folder;
  std::string name;  // the source name (derived even when skipped, when the config allowed it)
  bool imported = false;
  std::string reason;  // why it was skipped
  std::int64_t dim = 0;
  std::string pooling;  // what the ESM expects the target to be embedded with
};

struct HfEsmImportResult {
  std::vector<HfEsmImportItem> items;  // in the order the folders were found (sorted per directory)
  std::size_t imported() const;
};

// The ESM folders under `dirs`: a directory holding config.json or model.safetensors is one
// ESM folder; any other directory is searched (recursively, sorted) for them. IoError for a
// directory that does not exist, InputError for a file or a directory holding no ESM folder.
std::vector<std::filesystem::path> find_hf_esm_folders(const std::vector<std::filesystem::path>& dirs);

// How hfselect pools embeddings of a base with this config.json model_type and this
// base_model_name: "pooler", "mean" or "cls".
std::string hf_esm_pooling(const std::string& model_type, const std::string& base_model_name);

// The source name of an ESM folder's config: task_id with '/' replaced by "--", then
// ":task_subset" when there is one, after `prefix`.
std::string hf_esm_source_name(const nlohmann::json& config, const std::string& prefix = "");

// Imports every ESM folder under `dirs`. Each folder is checked whole (config fields and
// types, architecture, base model name, weight names, shapes, dtype, finite values, the
// base's hidden size) and then added as one source in its own transaction, so a folder is
// imported completely or not at all; a bad folder, or a name already taken (in the registry
// or by an earlier folder), is reported with its reason and skipped. Phase "importing",
// units: folders. Throws for unusable options (no base folder) and for a failed registry
// write (IoError); a callback may throw Cancelled (folders already imported stay).
HfEsmImportResult import_hf_esms(Registry& registry, const std::vector<std::filesystem::path>& dirs,
                                 const HfEsmImportOptions& options, const Progress& progress = {});

struct HfEsmExportItem {
  std::string source;
  std::string folder;  // written, or empty when skipped
  std::string reason;  // why it was skipped (no ESM artifact)
};

// Writes one folder per source (all sources with an ESM artifact when `sources` is empty)
// under `out`, named by the source name: config.json with the ESMConfig fields known for
// the source (an imported source's original config; otherwise what the registry records,
// unknown fields null) and model.safetensors with model.weight and model.bias. Before
// anything is written, every target folder is checked: it must be absent, or hold only the
// files an earlier export wrote (model.safetensors carries a mark in its metadata);
// otherwise UsageError naming it. `out` must not lie inside the registry. Each file is
// written atomically. InputError for an unknown source name.
std::vector<HfEsmExportItem> export_hf_esms(const Registry& registry, const std::filesystem::path& out,
                                            const std::vector<std::string>& sources, const Progress& progress = {});

}  // namespace taskscout
