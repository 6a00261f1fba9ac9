#pragma once
// The source registry: one folder holding
//   registry.sqlite   the index (SQLite, WAL, foreign keys on, schema version in
//                     PRAGMA user_version): sources and their artifacts;
//   blobs/ab/<sha256>.safetensors   content-addressed artifacts, each stored once.
//
// Consistency rules, relied on by every operation:
// - Blobs are written (atomically, fsynced) while holding the write lock, before the index
//   row that references them; a crash at any point leaves no index row without its blobs,
//   at worst unreferenced blob files, which `verify` reports and `collect_garbage` deletes.
// - Blob files are deleted only under the write lock and only when no row references them.
// - Readers never wait for writers (WAL); a writer waits up to lock_timeout for another
//   writer, then fails with a message saying so.
//
// A Registry object holds one SQLite connection: use it from one thread at a time
// (open one per thread). blob_path() is pure and safe from any thread.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "taskscout/registry/source.hpp"

namespace taskscout {

class SafetensorsFile;
namespace registry_detail {
class Database;
}

struct RegistryOptions {
  // How long to wait for a lock held by another process before failing.
  double lock_timeout_seconds = 30;
};

// A new source: its record (id, created_at, artifacts and defect are ignored) and the
// safetensors files that become its artifacts, by kind.
struct NewSource {
  SourceRecord record;
  std::map<std::string, std::filesystem::path> artifact_files;
};

struct AddOptions {
  // Called after every blob is stored and before the index row is inserted, inside the
  // write transaction. Tests inject failures and crashes here.
  std::function<void()> before_index;
};

struct RemoveResult {
  std::vector<std::string> removed;  // source names
  std::int64_t blobs_deleted = 0;    // blobs no other source referenced
  std::int64_t bytes_freed = 0;
  // Unreferenced blobs whose file could not be deleted (e.g. an I/O error): the sources are
  // removed all the same, the files are orphans that `registry gc` deletes.
  std::int64_t blobs_left = 0;
  std::string blobs_left_reason;  // the first failure's message
};

struct VerifyOptions {
  bool check_content = true;  // re-hash every blob and parse its header (slow for big blobs)
  std::function<void(std::int64_t done, std::int64_t total)> progress;  // per artifact checked
};

// One problem `verify` found. `source` is empty for problems of no source (orphan files).
struct RegistryProblem {
  std::string kind;  // "missing_blob", "corrupt_blob", "unreadable_blob", "bad_row", "orphan_file"
  std::string source;
  std::string artifact;  // artifact kind, when the problem is an artifact's
  std::string path;      // the file concerned, when there is one
  std::string detail;    // what is wrong and what to do
};

struct VerifyResult {
  std::int64_t sources = 0, blobs = 0;
  std::vector<RegistryProblem> problems;
  bool ok() const { return problems.empty(); }
};

struct GarbageResult {
  std::int64_t files_deleted = 0;  // orphan blobs, temporary files and staging runs left by crashes
  std::int64_t bytes_freed = 0;
  // Garbage whose file could not be deleted (e.g. an I/O error or a read-only folder): still
  // unreferenced, so a later gc deletes it; never a referenced blob.
  std::int64_t files_left = 0;
  std::string files_left_reason;  // the first failure: the file and the system's message
};

// The rules a source name follows (InputError prefixed by `where`, saying what to choose):
// non-empty, at most 200 bytes, valid UTF-8 without control characters, not starting with
// '-', not all digits (that reads as an id), no '/' or '\\' and not "." or "..". add() and
// import apply them; callers check first to spare long work.
void check_source_name(const std::string& name, const std::string& where = "");

// What a reader says of a registry blob whose bytes no longer hash to its name: "its KIND
// blob PATH does not match its digest …; run `taskscout registry verify R`, then …".
std::string blob_mismatch(const std::filesystem::path& blob, std::string_view kind);
// Hashes `file` when it is a registry blob (blobs/ab/<digest>.safetensors) and throws
// InputError(blob_mismatch) when its bytes changed after it was stored, so readers use only
// what was registered (SHA-256 runs at ~2 GB/s: a 2.4 MB ESM costs ~1 ms). Other files, such
// as ESMs ranked by path, are not checked.
void check_blob_bytes(const std::filesystem::path& file, std::string_view kind);

class Registry {
 public:
  // Makes `folder` (created if absent, or empty) a new registry, atomically: it is built in
  // a hidden sibling and renamed into place, so a failure (e.g. a full disk) leaves no
  // folder behind (nor the parent folders this call created). Throws InputError when it
  // already holds a registry, the remains of an interrupted init (saying to delete it) or
  // other files, IoError when it cannot be written.
  static Registry create(const std::filesystem::path& folder, const RegistryOptions& options = {});
  // Opens an existing registry. Throws InputError naming the folder when it is not a
  // registry (saying to run `taskscout registry init`) or has a newer schema version.
  static Registry open(const std::filesystem::path& folder, const RegistryOptions& options = {});

  Registry(Registry&&) noexcept;
  Registry& operator=(Registry&&) noexcept;
  ~Registry();

  const std::filesystem::path& folder() const { return folder_; }
  static constexpr int kSchemaVersion = 1;

  // Every source ordered by name, with its artifacts. Two queries whatever the count
  // (10,000 sources in a few milliseconds). Damaged rows come back with `defect` set.
  std::vector<SourceRecord> list() const;
  std::int64_t count() const;
  std::optional<SourceRecord> find(std::string_view name) const;
  std::optional<SourceRecord> find(std::int64_t id) const;
  // By name, or by id when `name_or_id` is all digits and no source has that name.
  // Throws InputError naming the registry and saying how to list the names.
  SourceRecord get(std::string_view name_or_id) const;

  // blobs/ab/<digest>.safetensors under the folder (whether or not it exists). Throws
  // InputError for a digest that is not 64 lowercase hex digits (a damaged index row), so
  // no path outside the blob store is ever built.
  std::filesystem::path blob_path(std::string_view digest) const;
  // The artifact of `kind` mapped read-only. Throws InputError naming the source and
  // saying what to do (`registry verify`, `registry rm`) when the source has no such
  // artifact, or its blob is missing or not a readable safetensors file.
  SafetensorsFile open_artifact(const SourceRecord& source, std::string_view kind) const;

  // Stores the artifact files as blobs, then the index rows, in one write transaction.
  // Each file must be a readable safetensors file (an "esm" artifact must pass
  // check_esm_file against the record's base fingerprint); identical content is stored once.
  // Throws InputError for a name already taken, an empty name, or an invalid artifact
  // kind or file; IoError naming the path for a failed write (e.g. a full disk). On any
  // failure no index row exists. Returns the stored record.
  SourceRecord add(const NewSource& source, const AddOptions& options = {});

  // Removes the named sources and deletes the blobs no remaining source references.
  // Throws InputError, removing nothing, when a name is unknown.
  RemoveResult remove(const std::vector<std::string>& names);

  // Missing blobs, blobs whose content no longer hashes to their name, blobs that are not
  // readable safetensors files, damaged index rows, and orphan files in the blob store.
  VerifyResult verify(const VerifyOptions& options = {}) const;

  // Deletes orphan blobs and temporary files left by interrupted writes (under the write
  // lock, so never a blob a writer is about to reference), and the staging runs of
  // `register --pool` jobs that were killed (staging.hpp; never a live one's).
  GarbageResult collect_garbage();

  // The connection, for the archive code in this module.
  registry_detail::Database& database() const { return *db_; }

 private:
  Registry(std::filesystem::path folder, std::unique_ptr<registry_detail::Database> db);

  std::filesystem::path folder_;
  std::unique_ptr<registry_detail::Database> db_;
};

}  // namespace taskscout
