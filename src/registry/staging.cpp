// Staging runs inside a registry (see staging.hpp).
#include "taskscout/registry/staging.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "taskscout/core/error.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLockFile = ".lock";

// An exclusive lock on `file` without waiting: the descriptor holding it, or -1 when someone
// else holds it (or the file cannot be opened). An open-file-description lock: unlike a
// classic POSIX lock it conflicts within one process too, and closing another descriptor of
// the file does not drop it (a gc in the process of a live run must not take the run).
int try_lock(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  if (::fcntl(fd, F_OFD_SETLK, &lock) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

fs::path staging_folder(const fs::path& registry_folder) { return registry_folder / "staging"; }

StagingRun::StagingRun(const fs::path& registry_folder) {
  std::random_device rd;
  id_ = fmt::format("{:08x}{:08x}", rd(), rd());
  path_ = staging_folder(registry_folder) / id_;
  std::error_code ec;
  fs::create_directories(path_, ec);
  if (ec)
    throw IoError(location(path_.string()) + "cannot create the staging folder: " + ec.message() +
                  "; the registry's folder must be writable");
  lock_fd_ = try_lock(path_ / kLockFile);
  // A gc that ran between the mkdir and the lock may have taken the lock (and the folder).
  struct stat held {
  }, named{};
  if (lock_fd_ < 0 || ::fstat(lock_fd_, &held) != 0 || ::stat((path_ / kLockFile).c_str(), &named) != 0 ||
      held.st_ino != named.st_ino) {
    const std::string why = std::strerror(errno);
    if (lock_fd_ >= 0) ::close(lock_fd_);
    fs::remove_all(path_, ec);
    throw IoError(location(path_.string()) + "cannot lock the staging folder (" + why +
                  "); if `registry gc` was running, try again");
  }
}

StagingRun::~StagingRun() {
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (lock_fd_ >= 0) ::close(lock_fd_);                               // after the removal: gc never sees it unlocked
  fs::remove(staging_folder(path_.parent_path().parent_path()), ec);  // when empty
}

StagingGarbage collect_staging_garbage(const fs::path& registry_folder) {
  StagingGarbage result;
  const fs::path staging = staging_folder(registry_folder);
  std::error_code ec;
  if (!fs::is_directory(staging, ec)) return result;
  for (const auto& run : fs::directory_iterator(staging, ec)) {
    const int fd = try_lock(run.path() / kLockFile);
    if (fd < 0 && run.is_directory(ec)) continue;  // a live run (or one we cannot judge): kept
    std::int64_t files = 0, bytes = 0;
    std::error_code walk;
    for (auto it = fs::recursive_directory_iterator(run.path(), walk);
         !walk && it != fs::recursive_directory_iterator(); it.increment(walk))
      if (it->is_regular_file(walk)) {
        ++files;
        bytes += static_cast<std::int64_t>(it->file_size(walk));
      }
    std::error_code removing;
    fs::remove_all(run.path(), removing);
    if (fd >= 0) ::close(fd);
    if (removing) {  // counted as left, whatever part of it went
      if (result.runs_left++ == 0) result.runs_left_reason = run.path().string() + ": " + removing.message();
      continue;
    }
    result.files_deleted += files;
    result.bytes_freed += bytes;
    ++result.runs_deleted;
  }
  fs::remove(staging, ec);  // when empty
  return result;
}

}  // namespace taskscout
