// The whole of `taskscout rank` as one call (see rank.hpp).
#include <fmt/format.h>

#include <limits>
#include <set>

#include "rank_messages.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "taskscout/select/rank.hpp"

namespace taskscout {

namespace fs = std::filesystem;

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

// Everything decided before any source is scored: the pool, the embedded target, the methods.
rank_messages::Plan make_plan(const RankRequest& r, const Progress& progress) {
  rank_messages::Plan plan;
  if (r.methods.size() == 1 && r.methods[0] == "all")
    for (const auto& m : rank_methods()) plan.methods.push_back(m.name);
  else
    for (const auto& m : r.methods) plan.methods.push_back(find_rank_method(m).name);
  if (r.registry.empty() == r.esm_files.empty())
    throw UsageError("give the sources as a registry folder or as ESM files, one of the two");
  // Sources first: a wrong registry path fails before the target is embedded.
  plan.pool = r.registry.empty() ? esm_file_pool(r.esm_files) : registry_pool(r.registry);
  plan.target = load_target(r, target_embedding(r, plan.pool, plan.notes), progress);
  validate(plan.target.input, plan.target.what);
  if (r.methods.empty()) {
    // The default: it won leave-one-target-out on the 12-task matrix (bench/RESULTS.md).
    // It reads the target's texts (vocabulary); given only features, ESM-LogME is the
    // best of what remains.
    plan.methods = {"combined"};
    if (!plan.target.has_texts()) {
      plan.methods = {"esm-logme"};
      plan.notes.push_back("ranking by esm-logme: the default method, combined, needs the target's texts");
    }
  } else if (!plan.target.has_texts() && r.methods.size() == 1 && r.methods[0] == "all") {
    // combined too, when one of its signals reads them.
    auto reads_texts = [&](const std::string& m) {
      if (m != "combined") return find_rank_method(m).reads_texts;
      for (const auto& f : r.pool.combined.features)
        if (find_rank_method(f).reads_texts) return true;
      return false;
    };
    std::erase_if(plan.methods, reads_texts);
    plan.notes.push_back(
        "the methods that read the target's texts (vocabulary, taskemb, combined, and those that run each source's "
        "model) are left out: give the target as a dataset, not as features");
  }
  if (plan.methods.empty()) throw UsageError("no ranking method named");
  return plan;
}

// A source's files, as its pool entry names them.
std::vector<fs::path> files_of(const PoolSource& s) {
  std::vector<fs::path> files;
  for (const fs::path& f : {s.esm, s.mean_embedding, s.vocabulary, s.fisher})
    if (!f.empty()) files.push_back(f);
  for (const auto& [kind, f] : s.model) files.push_back(f);
  return files;
}

bool sees_files(const PoolSource& s) {
  for (const auto& f : files_of(s))
    if (!fs::exists(f)) return false;
  return true;
}

// On a process other than the root: the root's sources must be visible here at the same
// paths. A file the root saw and this process does not means the sources are not on
// storage every node shares; that fails the whole job, since each process would
// otherwise skip its share as missing.
void check_shared_storage(const rank_messages::Plan& plan, const std::vector<std::size_t>& share,
                          const RankRequest& r) {
  std::size_t missing = 0;
  fs::path first;
  for (std::size_t i : share)
    if (plan.root_sees[i] && !sees_files(plan.pool[i])) {
      if (missing++ == 0)
        for (const auto& f : files_of(plan.pool[i]))
          if (first.empty() && !fs::exists(f)) first = f;
    }
  if (missing == 0) return;
  const std::string where = r.registry.empty() ? "the ESM files" : "the registry " + r.registry.string();
  throw InputError(fmt::format(
      "{} of this process's {} sources have files the root process reads and this one cannot (first: {}): {} must "
      "be on storage every node of the job shares (NFS, Lustre, …), at the same path",
      missing, share.size(), first.string(), where));
}

// The sources of `share`, scored by this process. A failure of the whole share (the
// target's tokenizer cannot be read here, …) skips each of its sources with the reason
// and where it happened, so the ranking of the rest completes.
std::vector<rank_parts::MethodScores> score_share(const rank_messages::Plan& plan,
                                                  const std::vector<std::size_t>& share,
                                                  const std::vector<std::string>& scored, const Progress& progress,
                                                  const RankPoolOptions& options, const Cluster& cluster) {
  std::vector<PoolSource> pool;
  for (std::size_t i : share) pool.push_back(plan.pool[i]);
  try {
    return rank_parts::score_pool(plan.target, pool, scored, progress, options);
  } catch (const Cancelled&) {
    throw;
  } catch (const Error& e) {
    std::vector<rank_parts::MethodScores> failed;
    for (const auto& m : scored) {
      rank_parts::MethodScores f{m, {}, 0, 0};
      for (const auto& s : pool)
        f.scores.push_back({s.name, std::numeric_limits<double>::quiet_NaN(), 0,
                            cluster.where() + " could not score it: " + e.what()});
      failed.push_back(std::move(f));
    }
    return failed;
  }
}

}  // namespace

void set_pooling(RankRequest& r, std::string_view pooling) {
  r.pooling_from_sources = pooling == "auto";
  r.embedding.embedding.pooling = parse_pooling(r.pooling_from_sources ? "mean" : pooling);
}

RankResult rank_sources(const RankRequest& r, const Progress& progress, Cluster& cluster) {
  rank_messages::Plan plan;
  if (cluster.size() == 1) {
    plan = make_plan(r, progress);
  } else {
    // The root reads the pool and embeds the target once; every process ranks exactly that.
    plan = rank_messages::decode_plan(root_decides(cluster, [&] {
      rank_messages::Plan p = make_plan(r, progress);
      for (const auto& s : p.pool) p.root_sees.push_back(sees_files(s));
      return rank_messages::encode(p);
    }));
  }
  RankResult result;
  result.sources = plan.pool.size();
  result.notes = plan.notes;
  const std::vector<std::string> scored = rank_parts::methods_to_score(plan.target, plan.methods, r.pool);
  if (cluster.size() == 1) {
    result.methods = rank_parts::assemble_rankings(
        plan.methods, plan.pool, rank_parts::score_pool(plan.target, plan.pool, scored, progress, r.pool), r.pool);
    result.target = std::move(plan.target);
    return result;
  }
  const std::vector<std::size_t> share = shard_of(plan.pool.size(), cluster);
  all_or_none(cluster, [&] {
    if (!cluster.is_root()) check_shared_storage(plan, share, r);
  });
  // Only the root shows progress: its own share's.
  const std::vector<rank_parts::MethodScores> mine =
      score_share(plan, share, scored, cluster.is_root() ? progress : Progress{}, r.pool, cluster);
  const std::vector<std::string> all = cluster.gather(rank_messages::encode(share, mine));
  if (cluster.is_root()) {
    std::vector<rank_parts::MethodScores> merged;
    for (const auto& m : scored) {
      rank_parts::MethodScores s{m, std::vector<SourceScore>(plan.pool.size()), 0, 0};
      for (std::size_t i = 0; i < plan.pool.size(); ++i) s.scores[i].name = plan.pool[i].name;
      merged.push_back(std::move(s));
    }
    for (const auto& bytes : all) rank_messages::decode_scores(bytes, merged);
    result.methods = rank_parts::assemble_rankings(plan.methods, plan.pool, merged, r.pool);
  }
  result.target = std::move(plan.target);
  return result;
}

}  // namespace taskscout
