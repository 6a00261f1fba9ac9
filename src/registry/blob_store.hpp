#pragma once
// The content-addressed blob store under <registry>/blobs: blobs/ab/<sha256>.safetensors.
// A blob is first written to blobs/.incoming-<random> while its bytes are hashed, fsynced,
// checked to be a readable safetensors file, then renamed to its content address and the
// directory fsynced. Callers hold the registry's write lock meanwhile (registry.hpp).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskscout::registry_detail {

struct StoredBlob {
  std::string digest;
  std::int64_t size = 0;
  bool written = false;  // false when identical content was already stored
};

// One blob being written: feed bytes, then install() it under its digest.
class IncomingBlob {
 public:
  explicit IncomingBlob(const std::filesystem::path& blobs_dir);
  ~IncomingBlob();  // removes the temporary file unless installed
  IncomingBlob(const IncomingBlob&) = delete;
  IncomingBlob& operator=(const IncomingBlob&) = delete;

  void write(const void* data, std::size_t size);
  // Fsyncs, checks the safetensors header (InputError naming `what` when unreadable) and,
  // when `expected_digest` is non-empty, that the bytes hash to it; then renames the file
  // to its content address (unless identical content is there already). With sync false
  // the fsyncs are left to one sync_filesystem() before the index commit (bulk imports:
  // one flush instead of two per blob).
  StoredBlob install(const std::string& what, const std::string& expected_digest = "", bool sync = true);

 private:
  std::filesystem::path blobs_dir_, temp_;
  int fd_ = -1;
  std::int64_t size_ = 0;
  struct Hasher;
  std::unique_ptr<Hasher> hash_;
  bool done_ = false;
};

class BlobStore {
 public:
  explicit BlobStore(std::filesystem::path blobs_dir) : dir_(std::move(blobs_dir)) {}
  const std::filesystem::path& dir() const { return dir_; }
  // blobs/ab/<digest>.safetensors. Every path built from a digest goes through here, and a
  // digest that is not 64 lowercase hex digits (a tampered index row: "../x") throws
  // InputError instead of naming a file outside the store.
  std::filesystem::path path_of(std::string_view digest) const;
  // Copies `file` into the store (see IncomingBlob). IoError naming the file or the blob
  // path on a read or write failure.
  StoredBlob store_file(const std::filesystem::path& file, const std::string& what) const;
  // Every regular file under the store: blobs, and temporaries left by interrupted writes.
  std::vector<std::filesystem::path> all_files() const;
  // The digest a blob file name spells, if it is one ("<64 hex>.safetensors" in "ab/").
  static std::optional<std::string> digest_of(const std::filesystem::path& file);
  // Removes the blob file (and its folder when empty). Returns the bytes freed.
  std::int64_t remove(std::string_view digest) const;

 private:
  std::filesystem::path dir_;
};

// fsync of a directory, so a rename into it survives a power loss.
void sync_directory(const std::filesystem::path& dir);
// syncfs(2) of the file system holding `path`: every file and rename written so far is durable.
void sync_filesystem(const std::filesystem::path& path);

}  // namespace taskscout::registry_detail
