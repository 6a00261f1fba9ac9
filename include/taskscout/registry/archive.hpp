#pragma once
// A whole registry as one file, to move it between machines: a SQLite database holding
// the sources, their artifacts and the blob bytes (in chunks), marked with its own
// application id and format version. Import re-hashes every blob against its digest.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "taskscout/registry/registry.hpp"

namespace taskscout {

// Called after each source with the number done and the total (for a progress bar).
using ArchiveProgress = std::function<void(std::int64_t done, std::int64_t total)>;

struct ExportResult {
  std::int64_t sources = 0, blobs = 0, bytes = 0;
};

// Writes the archive atomically (a failure leaves no file at `out`). Holds the write
// lock meanwhile, so the snapshot and its blobs agree. Throws InputError naming the
// source whose blob is missing or corrupt (run `registry verify`), and UsageError (before
// any work) when `out` lies inside a registry or is an existing file that is not an archive
// (unless `force`): see io/output_guard.hpp.
ExportResult export_registry(const Registry& registry, const std::filesystem::path& out,
                             const ArchiveProgress& progress = {}, bool force = false);

// Whether `path` is a taskscout registry archive (a SQLite file with the archive's
// application id), judged from its header alone. Never throws.
bool is_registry_archive(const std::filesystem::path& path);

// What to do with an archived source whose name the registry already has.
enum class NameClash { Fail, Rename, Skip };

struct ImportResult {
  std::vector<std::string> imported;                         // names as stored
  std::vector<std::pair<std::string, std::string>> renamed;  // archive name → stored name
  std::vector<std::string> skipped;                          // clashes left out (NameClash::Skip)
  std::int64_t blobs_written = 0;                            // blobs the registry did not have yet
};

// Imports every source of the archive in one write transaction: all or nothing. Throws
// InputError naming the archive for a file that is not a taskscout archive, a newer
// format, a blob whose bytes do not hash to its digest, or (NameClash::Fail) the names
// that clash, saying to pass --rename or --skip. Renamed sources get "<name>-2", "-3", …
ImportResult import_registry(Registry& registry, const std::filesystem::path& archive,
                             NameClash on_clash = NameClash::Fail, const ArchiveProgress& progress = {});

}  // namespace taskscout
