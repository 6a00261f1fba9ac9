#pragma once
// Items of work spread over the processes of a cluster (core/cluster.hpp): each process runs
// its share (round robin) on worker threads, and each item's result reaches the root, which
// commits it (appends it to its one log, adds it to its one index) as soon as it arrives —
// not at the end, so a job killed midway keeps what was committed, and a rerun redoes only
// the rest. The root runs its own share meanwhile; every MPI call is made from the calling
// (main) thread, the worker threads never touch the cluster.
#include <cstddef>
#include <functional>
#include <string>

#include "taskscout/core/cluster.hpp"

namespace taskscout {

struct DistributedWork {
  std::size_t count = 0;
  int workers = 1;  // threads per process running items
  // Runs item i (on a worker thread of whichever process owns it); its result as bytes.
  std::function<std::string(std::size_t i)> run;
  // On the root's calling thread, in the order results arrive: item i's result, or the
  // message of the exception it threw (`failed`). The other items go on either way.
  std::function<void(std::size_t i, const std::string& result)> commit;
  std::function<void(std::size_t i, const std::string& error)> failed;
  // On each worker thread before its first item (e.g. its libtorch thread count).
  std::function<void()> worker_start;
};

// Returns on every process once every item is committed or failed (on the root) and every
// process has finished its share. An exception from commit or failed on the root ends the
// job (the other processes may be waiting): keep them to what cannot fail but for I/O.
void run_distributed(Cluster& cluster, const DistributedWork& work);

}  // namespace taskscout
