// The worker pool that streams sources (see ranking.hpp).
#include "taskscout/select/ranking.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "taskscout/core/lapack.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/core/timer.hpp"

namespace taskscout {

namespace {

// Restores OpenBLAS's own pool to `threads` when scoring ends, even by an exception.
struct SingleThreadedBlas {
  int restore;
  explicit SingleThreadedBlas(int threads) : restore(threads) { lapack::set_blas_threads(1); }
  ~SingleThreadedBlas() { lapack::set_blas_threads(restore); }
};

}  // namespace

std::vector<SourceScore> score_sources(const std::vector<std::string>& names, const SourceScorer& scorer,
                                       const ScoringProgress& progress, int max_workers) {
  std::vector<SourceScore> out(names.size());
  if (names.empty()) return out;
  const int pool = thread_count();
  const int cap = max_workers > 0 ? std::min(max_workers, pool) : pool;
  const int workers = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(cap), names.size()));
  // One source per worker at a time is the better use of the cores: a source's work is
  // dominated by a tridiagonalization, which is memory-bound and does not scale across
  // threads. With one worker, BLAS keeps all threads.
  std::optional<SingleThreadedBlas> blas;
  if (workers > 1) blas.emplace(pool);
  std::atomic<std::size_t> next{0};
  std::mutex progress_mutex;
  std::int64_t done = 0;
  std::exception_ptr stopped;  // a progress callback threw (Cancelled): the workers stop, the call rethrows
  auto work = [&] {
    for (std::size_t i = next++; i < names.size(); i = next++) {
      SourceScore& s = out[i];
      s.name = names[i];
      Stopwatch watch;
      try {
        s.score = scorer(i);
        if (!std::isfinite(s.score)) s.skipped = "its score is not finite";
      } catch (const std::exception& e) {
        s.skipped = e.what();
      }
      s.seconds = watch.seconds();
      if (progress) {
        std::lock_guard lock(progress_mutex);
        if (stopped) return;
        try {
          progress(++done);
        } catch (...) {
          stopped = std::current_exception();
          next = names.size();
          return;
        }
      }
    }
  };
  // Plain threads, each taking the next source when it is done (sources differ in cost),
  // rather than at::parallel_for's fixed split of the range. The work of a source runs in
  // BLAS/LAPACK calls made directly (single-threaded above), so the workers do not contend
  // for libtorch's intra-op pool.
  std::vector<std::thread> pool_threads;
  for (int w = 1; w < workers; ++w) pool_threads.emplace_back(work);
  work();
  for (auto& t : pool_threads) t.join();
  if (stopped) std::rethrow_exception(stopped);
  return out;
}

Ranking make_ranking(std::vector<SourceScore> scores) {
  Ranking r;
  for (auto& s : scores) (s.ok() ? r.ranked : r.skipped).push_back(std::move(s));
  std::stable_sort(r.ranked.begin(), r.ranked.end(),
                   [](const SourceScore& a, const SourceScore& b) { return a.score > b.score; });
  return r;
}

}  // namespace taskscout
