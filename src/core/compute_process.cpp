#include "taskscout/core/compute_process.hpp"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <limits>

namespace taskscout {

void prepare_compute_process(char** argv, bool keep_freed_memory) {
  if (keep_freed_memory) {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
  }
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  ::execv("/proc/self/exe", argv);
}

}  // namespace taskscout
