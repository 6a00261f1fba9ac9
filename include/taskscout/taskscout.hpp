#pragma once
// taskscout's public API: everything a program, the Python module or a server needs to
// score, embed, register, rank and merge, in one include. Its types carry no libtorch
// (a test compiles this header with libtorch's headers hidden), so a program that uses it
// compiles in seconds; it links with taskscout::taskscout (find_package(taskscout)).
//
//   score        estimate/score.hpp        estimators on (features, labels)
//   labels       select/targets.hpp        one loader for class ids, values and tables
//   embed        model/embed.hpp           a dataset's texts → N×D embeddings
//   registry     registry/registry.hpp     the source registry (SQLite + blobs)
//   register     select/registration.hpp   an ESM trained elsewhere, or fine-tune here
//   pools        select/pool_registration.hpp  a manifest of sources, on one process or across MPI ranks
//   rank         select/rank.hpp           rank_sources: a pool for a target, best first
//   hf ESMs      select/hf_esm.hpp         hf-dataset-selector ESM folders in and out of a registry
//   model zoos   select/rank_models.hpp    rank_models: local checkpoints for a target
//   merge        compose/merge.hpp         weight merging of registered or folder models
//   benchmark    eval/transfer_benchmark.hpp  the measured transfer matrix
//
// rank_sources, register_pool and run_transfer_benchmark also take a Cluster
// (core/cluster.hpp): the processes of an MPI job (cluster/mpi_cluster.hpp, built where MPI
// is found), or this process alone by default; core/distributed_work.hpp spreads work over it.
//
// Long calls take a Progress (core/progress.hpp): a callback may throw Cancelled to stop
// them. Every failure the user can act on is a taskscout::Error (core/error.hpp) whose
// message says what is wrong, where, and what to do; InternalError is a bug to report.
#include "taskscout/compose/merge.hpp"
#include "taskscout/core/array.hpp"
#include "taskscout/core/cluster.hpp"
#include "taskscout/core/distributed_work.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/core/version.hpp"
#include "taskscout/estimate/estimators.hpp"
#include "taskscout/estimate/problem.hpp"
#include "taskscout/estimate/score.hpp"
#include "taskscout/eval/transfer_benchmark.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/model/embed.hpp"
#include "taskscout/registry/registry.hpp"
#include "taskscout/select/hf_esm.hpp"
#include "taskscout/select/pool_registration.hpp"
#include "taskscout/select/rank.hpp"
#include "taskscout/select/rank_models.hpp"
#include "taskscout/select/registration.hpp"
#include "taskscout/select/targets.hpp"
