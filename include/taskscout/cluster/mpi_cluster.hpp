#pragma once
// MPI as a taskscout Cluster (core/cluster.hpp): MPI_COMM_WORLD of the processes mpirun or
// srun started. Built only where MPI is found (CMake option TASKSCOUT_MPI); the
// single-process build has no MPI at all.
#include "taskscout/core/cluster.hpp"

namespace taskscout {

// True when an MPI launcher started this process: OpenMPI's mpirun (OMPI_COMM_WORLD_SIZE),
// or a PMI/PMIx launcher such as Slurm's srun --mpi=pmix (PMIX_RANK, PMI_RANK). A command
// started otherwise runs alone and never initializes MPI.
bool launched_by_mpi();

// MPI_COMM_WORLD; initializes MPI (each process's main thread makes every MPI call) on
// the first call and finalizes it at exit, after the messages still being sent arrive.
Cluster& mpi_world();

// Ends every process of the job with `code` (MPI_Abort): for a failure on one process
// that the others, waiting for it, can never learn of.
[[noreturn]] void abort_mpi_job(int code);

}  // namespace taskscout
