#pragma once
// Staging runs: <registry>/staging/<run>/, where the processes of `register --pool` write a
// source's artifact files before the one writer (the root) adds them. They live inside the
// registry's folder because on a cluster that is the storage every node is known to share
// (a node's /tmp is its own). The run's owner holds a lock on <run>/.lock for the run's
// life (an fcntl lock, which NFS carries too), so `collect_garbage` deletes only the
// runs whose owner ended without removing theirs (a killed job), never a live one.
// `verify` ignores the staging folder: its files are no blobs, and no index row names them.
#include <cstdint>
#include <filesystem>
#include <string>

namespace taskscout {

// <registry>/staging
std::filesystem::path staging_folder(const std::filesystem::path& registry_folder);

class StagingRun {
 public:
  // Creates <registry>/staging/<id> (a fresh random id) and locks it. IoError naming the
  // folder when it cannot be created or locked.
  explicit StagingRun(const std::filesystem::path& registry_folder);
  // Removes the folder and everything in it (errors ignored: `registry gc` finishes it).
  ~StagingRun();
  StagingRun(const StagingRun&) = delete;
  StagingRun& operator=(const StagingRun&) = delete;

  const std::string& id() const { return id_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::string id_;
  std::filesystem::path path_;
  int lock_fd_ = -1;
};

struct StagingGarbage {
  std::int64_t runs_deleted = 0, files_deleted = 0, bytes_freed = 0;
  std::int64_t runs_left = 0;    // dead runs whose folder could not be removed (whole or in part)
  std::string runs_left_reason;  // the first failure
};

// Deletes the staging runs no live process holds (see above); Registry::collect_garbage
// calls it.
StagingGarbage collect_staging_garbage(const std::filesystem::path& registry_folder);

}  // namespace taskscout
