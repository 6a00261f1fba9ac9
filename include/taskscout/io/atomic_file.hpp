#pragma once
// Atomic output: write everything to a temporary file beside the target, then rename it
// over the target. A failure (or a crash) at any point leaves the target untouched and
// no half-written file under its name.
#include <cstddef>
#include <filesystem>
#include <string_view>

namespace taskscout {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();  // removes the temporary file unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t size);
  void write(std::string_view text) { write(text.data(), text.size()); }
  // Starts writing what was written since the last call to disk, without waiting
  // (sync_file_range), so a large file streamed piece by piece is mostly on disk by the
  // time commit() waits for it. Advice: a failure shows at commit().
  void write_behind();
  // Flushes, fsyncs and renames onto the target. Throws IoError (naming the target and
  // the reason, e.g. a full disk) and leaves the target as it was on failure.
  void commit();

 private:
  std::filesystem::path target_, temp_;
  int fd_ = -1;
  bool committed_ = false;
  std::size_t written_ = 0, sent_ = 0;  // bytes written; bytes whose writeback was started
};

// Writes `data` to `path` atomically.
void write_file_atomically(const std::filesystem::path& path, std::string_view data);

}  // namespace taskscout
