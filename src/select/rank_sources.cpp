// The whole of `taskscout rank` as one call (see rank.hpp).
#include <fmt/format.h>

#include <set>

#include "taskscout/core/error.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "taskscout/select/rank.hpp"

namespace taskscout {

namespace {

// How the target's texts are embedded: as asked, or as the pool's sources were.
TextEmbeddingOptions target_embedding(const RankRequest& r, const std::vector<PoolSource>& pool,
                                      std::vector<std::string>& notes) {
  TextEmbeddingOptions e = r.embedding;
  if (!r.pooling_from_sources) return e;
  std::set<std::pair<std::string, int>> recorded;
  for (const auto& s : pool)
    if (!s.pooling.empty()) recorded.insert({s.pooling, s.layer});
  if (recorded.size() == 1) {
    e.embedding.pooling = parse_pooling(recorded.begin()->first);
    e.embedding.layer = recorded.begin()->second;
  } else if (recorded.size() > 1) {
    notes.push_back(fmt::format(
        "the sources were embedded in {} different ways; the target is embedded with {} pooling of layer {}, and "
        "the sources embedded otherwise are skipped",
        recorded.size(), pooling_name(e.embedding.pooling), e.embedding.layer));
  }
  return e;
}

RankTarget load_target(const RankRequest& r, const TextEmbeddingOptions& embedding, const Progress& progress) {
  if (r.target.empty() && !r.target_table) {
    if (r.features.features.numel() == 0)
      throw UsageError("give the target as a dataset with its base model, or as features and labels");
    if (r.features.features.ndim() != 2)
      throw InputError(location(r.features_name) + "target features must be N×D, got " +
                       shape_string(r.features.features.shape()));
    RankTarget t;
    t.input = r.features;
    t.input.features = r.features.features.to(DType::F32);
    t.what = r.features_name;
    t.base_fingerprint = !r.base_fingerprint.empty() ? r.base_fingerprint
                         : !r.base.empty()           ? base_model_fingerprint(r.base)
                                                     : "";
    return t;
  }
  if (r.base.empty()) throw UsageError("a target dataset needs the base model folder that embeds its texts");
  const Dataset data =
      r.target_table ? make_dataset(*r.target_table, r.columns) : load_dataset(r.target.string(), r.columns);
  ProgressPhase phase(progress, "embedding target", static_cast<std::int64_t>(data.texts.size()));
  const std::string fingerprint = r.base_fingerprint.empty() ? base_model_fingerprint(r.base) : r.base_fingerprint;
  return embed_rank_target(data, r.base, fingerprint, embedding,
                           [&](std::size_t done, std::size_t) { phase.advance(static_cast<std::int64_t>(done)); });
}

}  // namespace

RankResult rank_sources(const RankRequest& r, const Progress& progress) {
  std::vector<std::string> methods;
  if (r.methods.size() == 1 && r.methods[0] == "all")
    for (const auto& m : rank_methods()) methods.push_back(m.name);
  else
    for (const auto& m : r.methods) methods.push_back(find_rank_method(m).name);
  if (r.registry.empty() == r.esm_files.empty())
    throw UsageError("give the sources as a registry folder or as ESM files, one of the two");
  RankResult result;
  // Sources first: a wrong registry path fails before the target is embedded.
  const std::vector<PoolSource> pool = r.registry.empty() ? esm_file_pool(r.esm_files) : registry_pool(r.registry);
  result.sources = pool.size();
  result.target = load_target(r, target_embedding(r, pool, result.notes), progress);
  validate(result.target.input, result.target.what);
  if (r.methods.empty()) {
    // The default: it won leave-one-target-out on the 12-task matrix (bench/RESULTS.md).
    // It reads the target's texts (vocabulary); given only features, ESM-LogME is the
    // best of what remains.
    methods = {"combined"};
    if (!result.target.has_texts()) {
      methods = {"esm-logme"};
      result.notes.push_back("ranking by esm-logme: the default method, combined, needs the target's texts");
    }
  } else if (!result.target.has_texts() && r.methods.size() == 1 && r.methods[0] == "all") {
    std::erase_if(methods, [](const std::string& m) { return find_rank_method(m).reads_texts; });
    result.notes.push_back(
        "the methods that read the target's texts (vocabulary, taskemb, and those that run each source's model) are "
        "left out: give the target as a dataset, not as features");
  }
  if (methods.empty()) throw UsageError("no ranking method named");
  result.methods = rank_pool(result.target, pool, methods, progress, r.pool);
  return result;
}

}  // namespace taskscout
