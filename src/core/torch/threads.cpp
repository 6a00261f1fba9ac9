#include "taskscout/core/threads.hpp"

#include <ATen/Parallel.h>

#include <thread>

#include "taskscout/core/lapack.hpp"

// at::parallel_for, inline in ATen's headers, runs on the calling thread alone in code
// compiled without OpenMP: the build gives every libtorch user -fopenmp (CMakeLists.txt).
#ifndef _OPENMP
#error "code using libtorch must be compiled with OpenMP (-fopenmp), or at::parallel_for runs on one thread"
#endif

namespace taskscout {

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void set_thread_count(int n) {
  const int threads = n <= 0 ? hardware_threads() : n;
  at::set_num_threads(threads);
  lapack::set_blas_threads(threads);  // OpenBLAS keeps a pool of its own
}

int thread_count() { return at::get_num_threads(); }

}  // namespace taskscout
