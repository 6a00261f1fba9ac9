#pragma once
// What the benchmark programs share: the median of timed runs and the process's peak memory.
#include <sys/resource.h>

#include <algorithm>
#include <vector>

namespace taskscout::bench {

inline double median(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return t.size() % 2 ? t[t.size() / 2] : 0.5 * (t[t.size() / 2 - 1] + t[t.size() / 2]);
}

inline double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux: KiB
}

}  // namespace taskscout::bench
