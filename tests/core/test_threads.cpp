// The thread count reaches the loops taskscout writes itself: at::parallel_for in code
// compiled without OpenMP ran every range on the calling thread, whatever --threads said.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "taskscout/core/threads.hpp"

namespace taskscout {
namespace {

TEST(Threads, ParallelForRunsOnAsManyThreadsAsSet) {
  const int before = thread_count();
  set_thread_count(2);
  EXPECT_EQ(thread_count(), 2);
  std::mutex lock;
  std::set<std::thread::id> seen;
  at::parallel_for(0, 2, 1, [&](std::int64_t, std::int64_t) {
    const std::lock_guard<std::mutex> guard(lock);
    seen.insert(std::this_thread::get_id());
  });
  set_thread_count(before);
  EXPECT_EQ(seen.size(), 2u) << "at::parallel_for ran on one thread: is this code compiled with OpenMP?";
}

}  // namespace
}  // namespace taskscout
