#include "taskscout/io/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "taskscout/core/error.hpp"

namespace taskscout {

MappedFile::MappedFile(const std::filesystem::path& path) : path_(path.string()) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw IoError(location(path_) + "cannot open: " + std::strerror(err) + (err == ENOENT ? "; check the path" : ""));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const bool is_dir = S_ISDIR(st.st_mode);
    ::close(fd);
    throw IoError(location(path_) + (is_dir ? "is a directory, expected a file" : "is not a regular file"));
  }
  size_ = static_cast<std::size_t>(st.st_size);
  if (size_ > 0) {  // mmap rejects a zero length
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw IoError(location(path_) + "cannot map into memory: " + std::strerror(err));
    }
    data_ = static_cast<const std::byte*>(p);
  }
  ::close(fd);  // the mapping stays valid without the descriptor
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
}

namespace {

// madvise over the whole pages holding [offset, offset + size) of a mapping of `total` bytes,
// rounded outward: a neighbour's page advised too is harmless. Advice: failure is ignored.
void advise(const std::byte* data, std::size_t total, std::size_t offset, std::size_t size, int advice) {
  if (!data || offset >= total || size == 0) return;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t begin = offset / page * page;
  const std::size_t end = std::min(total, offset + size);
  ::madvise(const_cast<std::byte*>(data) + begin, end - begin, advice);
}

}  // namespace

void MappedFile::release(std::size_t offset, std::size_t size) const {
  advise(data_, size_, offset, size, MADV_DONTNEED);
}

void MappedFile::prefetch(std::size_t offset, std::size_t size) const {
  advise(data_, size_, offset, size, MADV_WILLNEED);
}

}  // namespace taskscout
