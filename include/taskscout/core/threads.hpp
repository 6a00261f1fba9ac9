#pragma once
// libtorch's intra-op pool starts with one thread on these machines; every command sets
// the count explicitly through here (--threads, default: all cores).

namespace taskscout {

// Number of hardware threads (at least 1).
int hardware_threads();

// Sets libtorch's intra-op thread count; n <= 0 means hardware_threads().
void set_thread_count(int n);

int thread_count();

}  // namespace taskscout
