#pragma once
// Scoring many sources for one target: sources stream over a pool of workers, each loads
// and scores one source at a time (so memory is what one source needs per worker, however
// many sources there are), and a source that cannot be scored is reported as skipped with
// its reason instead of aborting the others.
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace taskscout {

struct SourceScore {
  std::string name;
  double score = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0;   // loading and scoring this source
  std::string skipped;  // why it could not be scored; empty when scored

  bool ok() const { return skipped.empty(); }
};

// Scores source i (loading whatever it needs); throws taskscout::Error (or any exception)
// when it cannot. Called concurrently from the workers with different i.
using SourceScorer = std::function<double(std::size_t i)>;
// Called (serialized) after each source with the number done so far. If it throws
// (Cancelled), the workers stop after their current source and score_sources rethrows.
using ScoringProgress = std::function<void(std::int64_t done)>;

// Scores names.size() sources on taskscout's thread count (set_thread_count) of workers. Each
// worker runs its BLAS calls single-threaded, so the workers do not oversubscribe the
// cores. A failure is caught per source: its message becomes `skipped`; a non-finite
// score is skipped too. Results are in the order of `names`. `workers` > 0 caps the
// workers: 1 scores on the calling thread with every BLAS and libtorch thread, for
// scorers that parallelize inside (a forward pass).
std::vector<SourceScore> score_sources(const std::vector<std::string>& names, const SourceScorer& scorer,
                                       const ScoringProgress& progress = {}, int workers = 0);

struct Ranking {
  std::vector<SourceScore> ranked;   // scored sources, best (highest score) first; ties keep input order
  std::vector<SourceScore> skipped;  // in input order
};
Ranking make_ranking(std::vector<SourceScore> scores);

}  // namespace taskscout
