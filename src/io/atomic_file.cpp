#include "taskscout/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "taskscout/core/error.hpp"

namespace taskscout {

namespace {

std::string reason() { return std::strerror(errno); }

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path target) : target_(std::move(target)) {
  std::random_device rd;
  const auto dir = target_.has_parent_path() ? target_.parent_path() : std::filesystem::path(".");
  for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
    // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on "." + string + ....
    std::string name = target_.filename().string();
    name.insert(0, 1, '.');
    name += ".tmp-";
    name += std::to_string(rd());
    temp_ = dir / name;
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno != EEXIST) break;
  }
  if (fd_ < 0)
    throw IoError(location(target_.string()) + "cannot create a file in " + dir.string() + ": " + reason() +
                  "; check that the folder exists and is writable");
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFile::write(const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(location(target_.string()) + "write failed: " + reason() + "; nothing was written to it");
    }
    p += n;
    size -= static_cast<std::size_t>(n);
    written_ += static_cast<std::size_t>(n);
  }
}

void AtomicFile::write_behind() {
  if (written_ == sent_) return;
  ::sync_file_range(fd_, static_cast<off_t>(sent_), static_cast<off_t>(written_ - sent_), SYNC_FILE_RANGE_WRITE);
  sent_ = written_;
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
    fd_ = -1;
    throw IoError(location(target_.string()) + "write failed: " + reason() + "; nothing was written to it");
  }
  fd_ = -1;
  if (::rename(temp_.c_str(), target_.c_str()) != 0)
    throw IoError(location(target_.string()) + "cannot replace the file: " + reason());
  committed_ = true;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view data) {
  AtomicFile f(path);
  f.write(data);
  f.commit();
}

}  // namespace taskscout
