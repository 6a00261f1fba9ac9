#pragma once
// Ranking a pool of sources for one target: the pipeline behind `taskscout rank` and the
// transfer benchmark. The target is embedded once with the base model; each method then
// scores every source, streaming them (one in memory per worker), and a source that cannot
// be scored is reported as skipped with its reason, never fatal.
//
// Methods (rank_methods() lists them with a summary):
//   cheap, from artifacts stored at registration and the target's base embeddings:
//     esm-logme   LogME of the target's embeddings mapped by the source's ESM
//     textemb     cosine of the mean base embeddings (Poth et al. 2021)
//     vocabulary  1 − JSD of the token distributions (vocabulary.hpp)
//     taskemb     cosine of Fisher task embeddings (taskemb.hpp); the target's needs one
//                 short fine-tune of the base on the target, once
//   expensive, each source's stored fine-tuned model run on the target's texts (one pass
//   per source feeds them all):
//     logme, knn, h_score, regularized_h_score, gbc, transrate, linear_probe
//                 the estimator on the target as the source's model embeds it
//     leep, nce   from the source model's own head: its class probabilities on the target
//   learned on a measured transfer matrix:
//     combined    a weighted sum of the cheap signals, each standardized within the pool
//                 (combined_ranker.hpp); the weights are built in or given as a file
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "taskscout/core/cluster.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/estimate/problem.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/io/table.hpp"
#include "taskscout/model/embedding_options.hpp"
#include "taskscout/registry/source.hpp"
#include "taskscout/select/combined_ranker.hpp"
#include "taskscout/select/ranking.hpp"
#include "taskscout/select/targets.hpp"
#include "taskscout/select/taskemb_options.hpp"
#include "taskscout/train/fine_tune_options.hpp"

namespace taskscout {

// A candidate source: where its artifacts are, known before any of them is read.
struct PoolSource {
  std::string name;
  std::string base_fingerprint;                                   // empty when unknown until its ESM is read
  std::filesystem::path esm, mean_embedding, vocabulary, fisher;  // empty when the source has no such artifact
  ArtifactFiles model;                                            // the fine-tuned model's blobs, if any
  std::string defect;                                             // a damaged registry row
  // How the source's ESM and mean embedding read embeddings (registered with --pooling and
  // --layer, or hf-dataset-selector's pooling for an imported ESM); empty when unknown.
  // esm-logme and textemb skip the source when the target was embedded otherwise.
  std::string pooling;
  int layer = -1;
};

// Every source of a registry, by name.
std::vector<PoolSource> registry_pool(const std::filesystem::path& registry);
// ESM files, or folders whose *.safetensors files are ESMs; each named by its file stem.
std::vector<PoolSource> esm_file_pool(const std::vector<std::string>& files_or_folders);

struct RankTarget {
  EstimationInput input;           // the base embeddings (N×D) and the labels
  std::string what;                // names the target in messages
  std::string base_fingerprint;    // empty: sources are not checked against a base
  std::filesystem::path base;      // the base folder; empty for a target given as features
  Dataset data;                    // the texts; empty for a target given as features
  TextEmbeddingOptions embedding;  // how the texts were embedded; max_length is the limit applied
  double embed_seconds = 0;

  bool has_texts() const { return !data.texts.empty(); }
};

// Embeds the dataset's texts with the base once. `progress` gets texts done and the total.
// `base_fingerprint` (base_model_fingerprint of `base`, or one the caller was given) is what
// the sources are checked against; the caller passes it so that it is hashed once.
RankTarget embed_rank_target(const Dataset& data, const std::filesystem::path& base,
                             const std::string& base_fingerprint, const TextEmbeddingOptions& options,
                             const std::function<void(std::size_t done, std::size_t total)>& progress = {});

struct RankMethod {
  std::string name, summary;
  bool runs_source_model = false;  // needs the target's texts and each source's fine-tuned model
  bool reads_texts = false;        // needs the target's texts (every model method, and vocabulary)
};
// Every method, in the order `all` runs them.
const std::vector<RankMethod>& rank_methods();
// UsageError listing the names when unknown.
const RankMethod& find_rank_method(std::string_view name);

struct MethodRanking {
  std::string method;
  Ranking ranking;
  double setup_seconds = 0;  // once per target (factoring it, counting its tokens)
  double seconds = 0;        // every source
};

// Phases are the method names (the model methods share one, "source models"); units are
// sources. A callback may throw Cancelled to stop the ranking.
using RankProgress = Progress;

struct RankPoolOptions {
  CombinedRanker combined = CombinedRanker::builtin();  // the weights of method "combined"
  // Method "taskemb": how the target's model is fine-tuned from the base (a seeded tenth of
  // the target held out as its dev set) and how its task embedding is taken.
  FineTuneOptions taskemb_fine_tune = default_taskemb_fine_tune();
  TaskEmbOptions taskemb;

  static FineTuneOptions default_taskemb_fine_tune();
};

// Ranks the pool by each method, results in the order of `methods`. A source's seconds
// are its loading and scoring; for the model methods, the forward pass they share plus
// the method's own estimator. UsageError for an unknown method, or a model method with a
// target that has no texts.
std::vector<MethodRanking> rank_pool(const RankTarget& target, const std::vector<PoolSource>& pool,
                                     const std::vector<std::string>& methods, const RankProgress& progress = {},
                                     const RankPoolOptions& options = {});

// A pool and rankings as bytes (CBOR), for processes that share them (the transfer
// benchmark's root reads the registry once and hands the pool to the others; each ranks
// its share of the targets and sends the root its rankings).
std::string encode_pool(const std::vector<PoolSource>& pool);
std::vector<PoolSource> decode_pool(const std::string& bytes);
std::string encode_rankings(const std::vector<MethodRanking>& rankings);
std::vector<MethodRanking> decode_rankings(const std::string& bytes);

// The whole of `taskscout rank` as one call, for the CLI, the Python module and any other
// program: the pool, the target (a dataset embedded with the base, or given features),
// the default method, and the notes the caller should show.
struct RankRequest {
  // The sources: a registry folder, or ESM files and folders of them; one of the two.
  std::filesystem::path registry;
  std::vector<std::string> esm_files;
  // The target: a dataset (its columns and task in `columns`) embedded with `base` as
  // `embedding` says…
  std::filesystem::path target, base;
  DatasetOptions columns;
  // Instead of the `target` file, a table already in memory (rows given from Python); its
  // `path` names it in messages. Read with `columns`, as a file would be.
  std::optional<Table> target_table;
  // Embed the target the way the pool's sources record theirs were (hf-dataset-selector's
  // ESMs: BERT's pooler output; registered ones: what `register` used), when they agree;
  // otherwise, or when none records it, as `embedding` says. Sources embedded otherwise
  // are skipped with the reason either way.
  bool pooling_from_sources = false;
  TextEmbeddingOptions embedding;
  // …or, when `target` is empty, features (N×D base embeddings) and labels named by
  // `features_name`; `base`, when given, then only identifies compatible sources.
  EstimationInput features;
  std::string features_name;
  std::string base_fingerprint;  // overrides base_model_fingerprint(base)
  // Method names, or {"all"}; empty: "combined", or "esm-logme" for a target without
  // texts (combined reads them). "all" leaves out, with a note, what needs texts it lacks.
  std::vector<std::string> methods;
  RankPoolOptions pool;
};

// Sets how the target's texts are pooled from the name the CLI and Python take: "auto"
// (pooling_from_sources, mean when the sources record none), or cls, mean or pooler.
// UsageError for another name.
void set_pooling(RankRequest& request, std::string_view pooling);

struct RankResult {
  RankTarget target;
  std::size_t sources = 0;
  std::vector<MethodRanking> methods;  // in the order asked
  std::vector<std::string> notes;      // what the caller should know (a changed default, left-out methods)
};

// UsageError for contradictory or missing inputs (both or neither source kind, a target
// without base, a method that needs texts given features); the errors of the pool, the
// target's loading and rank_pool otherwise. The sources are opened before the target is
// embedded, so a wrong registry path fails fast. Phases: "embedding target" (units:
// texts), then rank_pool's.
//
// Over a cluster (core/cluster.hpp; every process calls it alike): the root reads the pool
// and embeds the target, each process scores its share of the sources (round robin), and
// the root gathers the scores and ranks them as one process would: the same order, the
// same numbers, the same skipped list. Only the root's result holds the rankings, and only
// the root reports progress (its own share). A process that cannot score its share skips
// those sources, naming itself; sources the root sees and another process cannot (the pool
// is not on storage every node shares) fail the job with an InputError saying so.
RankResult rank_sources(const RankRequest& request, const Progress& progress = {}, Cluster& cluster = single_process());

}  // namespace taskscout
