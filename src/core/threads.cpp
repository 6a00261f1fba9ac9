#include "taskscout/core/threads.hpp"

#include <ATen/Parallel.h>

#include <thread>

namespace taskscout {

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void set_thread_count(int n) { at::set_num_threads(n <= 0 ? hardware_threads() : n); }

int thread_count() { return at::get_num_threads(); }

}  // namespace taskscout
