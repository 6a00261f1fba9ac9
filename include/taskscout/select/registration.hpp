#pragma once
// Registering a source, in one of two ways:
//   register_external_esm: an ESM trained elsewhere (`taskscout register --esm`), checked
//     against the base; with the source dataset, its fingerprint, size and labels are
//     recorded and the base's mean embedding and token counts of its texts are stored;
//   register_fine_tuned_source: fine-tuning on the source here, the whole ESM pipeline of "Less is More" for
// one source task, as `taskscout register --method` runs it.
//   1. fine-tune the base on the source (full, LoRA or adapter; dev: a given set or a
//      seeded held-out slice of the source);
//   2. embed up to max_texts source texts with the base and with the fine-tuned model
//      (the same pooling and layer `rank` uses for targets);
//   3. fit the ESM from base to fine-tuned embeddings, with its held-out R²;
//   4. add everything to the registry in one transaction: the model's safetensors (LoRA,
//      adapter + head, or the full model, each with its folder's JSON files in the
//      metadata), the ESM, the base's mean embedding and token counts, the fine-tuned
//      model's task embedding (TaskEmb's Fisher diagonals), dev metrics and provenance.
// Any failure before step 4 leaves the registry untouched, and step 4 is all or nothing.
//
// This lives in select, not registry: the registry is torch-free and knows nothing of
// training, while select already sits above train, esm and registry and is the layer
// that consumes what registration produces (ESMs, mean embeddings) when ranking.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "taskscout/core/progress.hpp"
#include "taskscout/esm/train_options.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/model/embedding_options.hpp"
#include "taskscout/registry/registry.hpp"
#include "taskscout/select/taskemb_options.hpp"
#include "taskscout/train/fine_tune_options.hpp"

namespace taskscout {

struct SourceRegistrationOptions {
  std::filesystem::path base;                     // base model folder
  std::string name;                               // unique in the registry
  FineTuneOptions fine_tune;                      // method, epochs, …; its seed also picks the dev slice and texts
  double dev_fraction = 0.1;                      // without a dev set: share of the source held out as dev
  EmbeddingOptions embedding{Pooling::Mean, -1};  // as `rank --pooling mean` embeds targets
  std::size_t max_length = 0;                     // tokens per embedded text; 0: the model's limit (as rank)
  std::size_t batch_size = 32;                    // texts per embedding batch
  std::size_t max_texts = 10'000;                 // embedded texts (a seeded sample when more)
  EsmTrainOptions esm;                            // base_fingerprint is filled in
  TaskEmbOptions taskemb;                         // the task embedding's sample of training rows; seed from fine_tune
  // > 0 (method full only): also store the artifact parameter_fisher, the model's diagonal
  // Fisher over up to this many training rows (select/parameter_fisher.hpp), for `merge --method fisher`.
  std::size_t parameter_fisher_examples = 0;
  nlohmann::json provenance = nlohmann::json::object();  // merged into the record's provenance
  // When set, the fine-tuned model is also saved there as a model folder (as `train` writes
  // it), before the registry is written: the transfer benchmark fine-tunes on from it.
  std::filesystem::path model_folder;
};

// Phases are "fine-tuning", "embedding (base)", "embedding (fine-tuned)", "fitting the
// ESM", "task embedding", "registering"; units are steps, texts, and 1 otherwise. A
// callback may throw Cancelled.
struct RegistrationProgress : Progress {
  std::function<void(const Evaluation&)> evaluation;  // after every dev evaluation
};

struct SourceRegistration {
  SourceRecord stored;
  Evaluation best;  // the kept evaluation (its dev metrics are recorded)
  std::size_t train_examples = 0, dev_examples = 0, trainable_parameters = 0;
  bool dev_from_source = false;  // dev was held out of the source
  EsmFitQuality esm_fit;         // how well the stored ESM fits
  std::size_t embedded_texts = 0, truncated_texts = 0;
  double fine_tune_seconds = 0, embed_seconds = 0, esm_seconds = 0, taskemb_seconds = 0, seconds = 0;
};

// Steps 1–3 and the artifact files of step 4, without a registry: what a process that must
// not write the registry (a non-root rank of `register --pool`) does, handing the result to
// the one process that commits it with Registry::add.
struct PreparedSource {
  NewSource entry;             // the record and its artifact files, all inside `staging`
  SourceRegistration details;  // details.stored is the record without id or artifacts
};

// Fine-tunes, embeds, fits and writes every artifact file into `staging` (an existing
// folder the caller owns and removes). Phases as below, but "registering". Errors as below,
// but the name is only checked to be valid (check_source_name), not to be free.
PreparedSource prepare_fine_tuned_source(const Dataset& source, const std::optional<Dataset>& dev,
                                         const SourceRegistrationOptions& options, const std::filesystem::path& staging,
                                         const RegistrationProgress& progress = {});

// A prepared source as a message to the process that commits it: the record's fields
// Registry::add reads, and the artifact files named relative to `staging` (a folder both
// processes see, under the registry: registry/staging.hpp), and back.
nlohmann::json prepared_source_json(const NewSource& entry, const std::filesystem::path& staging);
NewSource prepared_source_from_json(const nlohmann::json& message, const std::filesystem::path& staging);

// prepare_fine_tuned_source in a private temporary folder, then Registry::add.
// `source` is the whole source dataset; `dev` (optional) must use source's label names.
// InputError when the name is taken (checked first, and again under the write lock), a
// dataset is unusable (too few rows for a held-out dev slice, one class, …); the errors of
// fine_tune, train_esm and Registry::add otherwise. Nothing is registered on any error.
SourceRegistration register_fine_tuned_source(Registry& registry, const Dataset& source,
                                              const std::optional<Dataset>& dev,
                                              const SourceRegistrationOptions& options,
                                              const RegistrationProgress& progress = {});

struct EsmRegistrationOptions {
  std::filesystem::path base;  // the base model whose embeddings the ESM maps
  std::filesystem::path esm;   // the ESM file (esm/esm.hpp's format)
  std::string name;            // unique in the registry
  // With a source dataset: how its texts are embedded for the mean embedding.
  EmbeddingOptions embedding{Pooling::Mean, -1};
  std::size_t max_length = 0, batch_size = 32;
  std::size_t max_texts = 10'000;  // embedded texts (a sample by `seed` when more)
  std::uint64_t seed = 0;
  nlohmann::json dev_metrics = nlohmann::json::object();  // the source model's, as its trainer measured them
  nlohmann::json provenance = nlohmann::json::object();   // merged into the record's provenance
};

struct EsmRegistration {
  SourceRecord stored;
  std::size_t embedded_texts = 0, truncated_texts = 0;
  double seconds = 0;
};

// InputError when the name is taken, the ESM is not one (esm_check.hpp) or was trained on
// another base, or maps another dimension than the base's hidden size; `source` (optional)
// must have texts. Phases: "embedding source texts" (units: texts). Nothing is registered
// on any error.
EsmRegistration register_external_esm(Registry& registry, const std::optional<Dataset>& source,
                                      const EsmRegistrationOptions& options, const Progress& progress = {});

// The dev slice: round(fraction·N) rows (at least 1) by a seeded shuffle, the rest train,
// each in increasing row order. InputError naming the file when N < 2.
std::pair<Dataset, Dataset> split_off_dev(const Dataset& data, double fraction, std::uint64_t seed);

}  // namespace taskscout
