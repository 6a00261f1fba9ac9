// The processes a command runs on: MPI's when mpirun or srun started it (and this build
// has MPI), else this process alone (see command.hpp).
#include <algorithm>
#include <cstdlib>
#include <string>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/threads.hpp"
#ifdef TASKSCOUT_MPI
#include "taskscout/cluster/mpi_cluster.hpp"
#endif

namespace taskscout::cli {

namespace {

Cluster* joined = nullptr;

// How many processes of the job share this node, from the launcher's environment.
int processes_on_this_node() {
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"})
    if (const char* n = std::getenv(v); n && std::atoi(n) > 0) return std::atoi(n);
  return 1;
}

}  // namespace

Cluster& job_cluster() { return joined ? *joined : single_process(); }

void join_cluster(const std::string& command) {
#ifdef TASKSCOUT_MPI
  if (!launched_by_mpi()) return;
  joined = &mpi_world();
  if (joined->size() == 1) return;
  if (command != "rank" && command != "register" && command != "benchmark")
    throw UsageError("taskscout " + command +
                     " runs as one process: start it without mpirun or srun (rank, register --pool and benchmark "
                     "run across processes)");
#else
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (size && std::atoi(size) > 1) {
    // Every process would do the whole job: refuse, once.
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    if (rank && std::atoi(rank) != 0) std::exit(2);
    throw UsageError(
        "this taskscout was built without MPI, so it cannot share work between processes: install libopenmpi-dev "
        "and rebuild (bash scripts/setup.sh), or run it without mpirun");
  }
#endif
}

void end_job(int code) {
#ifdef TASKSCOUT_MPI
  if (joined) abort_mpi_job(code);
#endif
  std::exit(code);
}

int default_thread_count() {
  if (job_cluster().size() == 1) return hardware_threads();
  return std::max(1, hardware_threads() / processes_on_this_node());
}

}  // namespace taskscout::cli
