#pragma once
// What the benchmark programs share: the median of timed runs and the process's peak memory.
#include <sys/resource.h>

#include <algorithm>
#include <vector>

#include "taskscout/core/timer.hpp"

namespace taskscout::bench {

inline double median(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return t.size() % 2 ? t[t.size() / 2] : 0.5 * (t[t.size() / 2 - 1] + t[t.size() / 2]);
}

// The median of `repeats` timed calls of f, in seconds.
template <class F>
double median_seconds(int repeats, F&& f) {
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    Stopwatch w;
    f();
    t.push_back(w.seconds());
  }
  return median(std::move(t));
}

inline double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux: KiB
}

}  // namespace taskscout::bench
