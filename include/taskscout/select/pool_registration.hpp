#pragma once
// Registering a pool of sources, one fine-tuning each, on one process or across the
// processes of an MPI job (`taskscout register --pool pool.csv`, under mpirun or srun).
//
// The manifest (CSV, TSV or JSON Lines, read with io/table.hpp) has one source per row:
//   name     the source's name in the registry
//   dataset  a task folder holding train.csv (or .tsv, .jsonl) and optionally dev.csv, or
//            one dataset file
//   method   full | adapter | lora
//   dev      optional: a dev set (else the folder's dev file, else a held-out slice)
//   options  optional: "key=value;…" overriding the defaults for this row: epochs,
//            learning_rate, seed, batch_size, max_length, max_train_examples (the
//            fine-tuning's, as `register --epochs …` sets them)
// Relative paths are read from the manifest's folder.
//
// How the work is shared (core/cluster.hpp):
//   1. The root reads the manifest and the registry and decides the work: rows already
//      registered are skipped (a rerun registers only what is missing), bad rows are
//      failed with their reason, the rest is split round robin over the processes.
//   2. The root creates a staging run inside the registry (registry/staging.hpp) and
//      writes a random token there; every process must read it back, or the job stops
//      before any fine-tuning: the registry must be on storage every node shares.
//   3. Each process prepares its sources in the staging run (prepare_fine_tuned_source)
//      and sends the result, or its failure, to the root. The root alone opens the registry
//      for writing (SQLite must never be written from two nodes over NFS) and commits each
//      source as it arrives, also while it fine-tunes its own share.
// A failed source never stops the others, and nothing is ever half-registered
// (Registry::add is one transaction). A killed job leaves at worst a staging run, which
// `registry gc` deletes. More processes than sources is fine: the idle ones just wait.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "taskscout/core/cluster.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/registry/registry.hpp"
#include "taskscout/select/registration.hpp"

namespace taskscout {

// One row of a pool manifest.
struct PoolRow {
  long line = 0;  // where the row starts in the manifest
  std::string name;
  std::filesystem::path dataset;  // the training data (a task folder's train file)
  std::filesystem::path dev;      // empty: a held-out slice of the dataset
  std::string method, options;    // the cells as written
  std::string problem;            // why the row cannot be registered ("pool.csv:3: …"); empty when it can
};

struct PoolManifest {
  std::filesystem::path path;
  std::vector<PoolRow> sources;  // in file order
};

// Reads a manifest. A bad row (missing dataset, unknown method, bad option, duplicate or
// invalid name) is kept with its problem, so the others still run; InputError for a file
// that is no manifest (unreadable, a required column missing, no rows).
PoolManifest read_pool_manifest(const std::filesystem::path& manifest);

// `defaults` with the row's name, method and options applied. InputError prefixed by
// `where` for an unknown method, an unknown key or a bad value.
SourceRegistrationOptions pool_source_options(const SourceRegistrationOptions& defaults, const PoolRow& row,
                                              const std::string& where);

struct PoolRegistrationRequest {
  std::filesystem::path registry, manifest;
  SourceRegistrationOptions defaults;  // base, fine-tuning, embedding…; each row sets name, method, options
  DatasetOptions dataset;              // columns and task of every row's data
  RegistryOptions registry_options;
};

enum class PoolStatus { Registered, AlreadyRegistered, Failed };
std::string pool_status_name(PoolStatus status);  // "registered", "already registered", "failed"

struct PoolSourceResult {
  std::string name;
  PoolStatus status = PoolStatus::Failed;
  std::string reason;  // why it failed
  std::string where;   // the process that prepared it ("rank 2 on node7"); empty when none did
  double seconds = 0;  // its preparation
  nlohmann::json dev_metrics = nlohmann::json::object();
};

struct PoolRegistration {
  std::vector<PoolSourceResult> sources;  // in manifest order; on the root only (empty elsewhere)
  std::size_t count(PoolStatus status) const;
  double seconds = 0;
};

// Every process of `cluster` calls it alike. Errors that stop the whole job before any
// fine-tuning (no manifest, no registry, storage not shared) are thrown on every process
// (SharedFailure); a source's own failure is a result. Progress (root only): phase
// "sources" (done/total of the work; detail: the source and its outcome).
PoolRegistration register_pool(const PoolRegistrationRequest& request, Cluster& cluster, const Progress& progress = {});

}  // namespace taskscout
