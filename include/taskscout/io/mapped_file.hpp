#pragma once
// A read-only memory mapping of a whole file (RAII). Arrays viewing a mapped file hold
// a shared_ptr to it, so the mapping lives as long as any view does.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace taskscout {

class MappedFile {
 public:
  // Throws IoError naming the path when the file cannot be opened or mapped.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  static std::shared_ptr<const MappedFile> open(const std::filesystem::path& path) {
    return std::make_shared<const MappedFile>(path);
  }

  const std::string& path() const { return path_; }
  const std::byte* data() const { return data_; }  // nullptr for an empty file
  std::size_t size() const { return size_; }
  std::string_view text() const { return {reinterpret_cast<const char*>(data_), size_}; }
  // Drops the resident pages of bytes [offset, offset + size) from this process
  // (madvise MADV_DONTNEED; the mapping is read-only, so a later read faults them back
  // in from the page cache). Streaming readers call it after each tensor, so their
  // resident memory stays the tensor at hand instead of growing to the whole file.
  void release(std::size_t offset, std::size_t size) const;
  // Asks the kernel to start reading bytes [offset, offset + size) into the page cache
  // (madvise MADV_WILLNEED) and returns without waiting: a streaming reader names the
  // tensors it reads next, so the disk works while it computes on the ones at hand. The
  // pages are not mapped into the process, so its resident memory does not grow.
  void prefetch(std::size_t offset, std::size_t size) const;

 private:
  std::string path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace taskscout
