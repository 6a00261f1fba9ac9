#pragma once
// rank_pool in its two halves, so a pool split over processes (rank_cluster.cpp) scores its
// shares apart and is ranked once: score_pool scores every source by each method (rankings
// of a method's scores read the whole pool only in assemble_rankings: "combined"
// standardizes each signal within the pool).
#include <string>
#include <vector>

#include "taskscout/select/rank.hpp"

namespace taskscout::rank_parts {

// One method's scores, in pool order.
struct MethodScores {
  std::string method;
  std::vector<SourceScore> scores;
  double setup_seconds = 0, seconds = 0;
};

// The methods `methods` need scored: each asked one, and for "combined" its signals (once);
// UsageError for an unknown one, or one that reads texts the target lacks.
std::vector<std::string> methods_to_score(const RankTarget& target, const std::vector<std::string>& methods,
                                          const RankPoolOptions& options);

std::vector<MethodScores> score_pool(const RankTarget& target, const std::vector<PoolSource>& pool,
                                     const std::vector<std::string>& scored, const RankProgress& progress,
                                     const RankPoolOptions& options);

// The rankings of `methods` from the scores of methods_to_score(methods) over all of `pool`.
std::vector<MethodRanking> assemble_rankings(const std::vector<std::string>& methods,
                                             const std::vector<PoolSource>& pool,
                                             const std::vector<MethodScores>& scored, const RankPoolOptions& options);

}  // namespace taskscout::rank_parts
