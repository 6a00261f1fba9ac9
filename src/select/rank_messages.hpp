#pragma once
// What the processes of a distributed ranking tell each other (rank_sources.cpp): the
// root's plan (the pool, the embedded target, the methods) and each process's scores, as
// CBOR bytes. The numbers travel as their bytes, so every process scores exactly the
// target the root embedded.
#include <string>
#include <vector>

#include "rank_parts.hpp"
#include "taskscout/select/rank.hpp"

namespace taskscout::rank_messages {

// Everything decided before any source is scored.
struct Plan {
  std::vector<PoolSource> pool;
  std::vector<bool> root_sees;  // per source: whether the root found its files (storage check)
  RankTarget target;
  std::vector<std::string> methods, notes;
};

std::string encode(const Plan& plan);
Plan decode_plan(const std::string& bytes);

// One process's scores of its share: for each method scored, the sources' pool indices and scores.
std::string encode(const std::vector<std::size_t>& share, const std::vector<rank_parts::MethodScores>& scores);
// Adds a process's scores into `all` (one entry per method scored, each with a score per
// pool source, in pool order).
void decode_scores(const std::string& bytes, std::vector<rank_parts::MethodScores>& all);

}  // namespace taskscout::rank_messages
