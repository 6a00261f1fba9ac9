#include "taskscout/registry/archive.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <unordered_map>

#include "blob_store.hpp"
#include "database.hpp"
#include "records.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/io/output_guard.hpp"
#include "taskscout/registry/esm_check.hpp"

namespace taskscout {

namespace fs = std::filesystem;
using registry_detail::BlobStore;
using registry_detail::Database;
using registry_detail::Statement;
using registry_detail::Transaction;

namespace {

constexpr int kArchiveVersion = 1;
// Blob bytes go into the archive in chunks: SQLite values are limited to 1 GB, and
// chunks keep memory flat for multi-gigabyte full models.
constexpr std::size_t kChunk = 8 << 20;

const char* const kArchiveExtraSql = R"sql(
CREATE TABLE blobs (digest TEXT PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE blob_chunks (
  digest TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (digest, seq)
) WITHOUT ROWID;
)sql";

// Every source with its artifacts, from one snapshot of `db`.
std::vector<SourceRecord> read_all(const Database& db) {
  std::vector<SourceRecord> out;
  {
    Statement s(db, std::string(registry_detail::kSelectSources) + " ORDER BY id");
    while (s.step()) out.push_back(registry_detail::read_source(s));
  }
  std::unordered_map<std::int64_t, std::size_t> by_id;
  for (std::size_t i = 0; i < out.size(); ++i) by_id[out[i].id] = i;
  Statement a(db, registry_detail::kSelectArtifacts);
  while (a.step()) {
    auto it = by_id.find(a.integer(0));
    if (it != by_id.end()) registry_detail::add_artifact(out[it->second], a);
  }
  return out;
}

void fsync_file(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw IoError(location(p.string()) + "cannot write the archive: " + why);
  }
  ::close(fd);
}

}  // namespace

namespace {

// Bytes 18 and 19 of a SQLite header are 2 in WAL mode.
bool sqlite_wal_mode(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char head[20] = {};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  return in.gcount() == sizeof head && (head[18] == 2 || head[19] == 2);
}

}  // namespace

bool is_registry_archive(const fs::path& path) {
  // The SQLite header: 16 bytes of magic; the application id is big-endian at offset 68.
  std::ifstream in(path, std::ios::binary);
  unsigned char head[72] = {};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  if (in.gcount() != sizeof head || std::memcmp(head, "SQLite format 3", 16) != 0) return false;
  const std::int64_t id = (std::int64_t{head[68]} << 24) | (head[69] << 16) | (head[70] << 8) | head[71];
  return id == registry_detail::kArchiveApplicationId;
}

ExportResult export_registry(const Registry& registry, const fs::path& out, const ArchiveProgress& progress,
                             bool force) {
  OutputRule rule;
  rule.flag = "";
  rule.inputs = {registry.folder()};
  rule.force = force;
  rule.written_by_taskscout = is_registry_archive;
  rule.kind = "a taskscout registry archive";
  check_output(out, rule);
  ExportResult result;
  const Database& src = registry.database();
  // The write lock keeps removals and garbage collection from deleting blobs mid-copy.
  Transaction lock(src, Transaction::Kind::Write);
  const std::vector<SourceRecord> sources = read_all(src);
  for (const auto& s : sources)
    if (!s.defect.empty())
      throw InputError(location(registry.folder().string()) +
                       fmt::format("source \"{}\" has a damaged index row ({}); run `taskscout registry verify` and "
                                   "remove it before exporting",
                                   s.name, s.defect));

  const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  const fs::path temp = dir / fmt::format(".{}.tmp-{}", out.filename().string(), std::random_device{}());
  struct Cleanup {
    fs::path p;
    bool keep = false;
    ~Cleanup() {
      if (!keep) {
        std::error_code ec;
        fs::remove(p, ec);
        fs::remove(p.string() + "-journal", ec);
      }
    }
  } cleanup{temp};
  {
    Database archive(temp, Database::Mode::Create, 0, "archive " + out.string());
    archive.exec("PRAGMA journal_mode = OFF");  // a temporary file: atomicity comes from the rename
    archive.exec("PRAGMA synchronous = OFF");
    Transaction t(archive, Transaction::Kind::Write);
    archive.exec(registry_detail::kSchemaSql);
    archive.exec(kArchiveExtraSql);
    archive.exec(fmt::format("PRAGMA application_id = {}", registry_detail::kArchiveApplicationId));
    archive.exec(fmt::format("PRAGMA user_version = {}", kArchiveVersion));
    std::set<std::string> copied;
    Statement blob_row(archive, "INSERT INTO blobs (digest, size) VALUES (?1, ?2)");
    Statement chunk_row(archive, "INSERT INTO blob_chunks (digest, seq, data) VALUES (?1, ?2, ?3)");
    std::vector<char> buffer(kChunk);
    for (const auto& s : sources) {
      registry_detail::insert_source(archive, s);
      for (const auto& [kind, a] : s.artifacts) {
        if (!copied.insert(a.digest).second) continue;
        const fs::path path = registry.blob_path(a.digest);
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
          throw InputError(location(path.string()) +
                           fmt::format("the {} blob of source \"{}\" is missing; run `taskscout registry verify {}`",
                                       kind, s.name, registry.folder().string()));
        Sha256 h;
        std::int64_t seq = 0, size = 0;
        for (;;) {
          std::size_t filled = 0;
          ssize_t n = 0;
          while (filled < kChunk && (n = ::read(fd, buffer.data() + filled, kChunk - filled)) > 0)
            filled += static_cast<std::size_t>(n);
          if (n < 0) {
            const std::string why = std::strerror(errno);
            ::close(fd);
            throw IoError(location(path.string()) + "cannot read the blob: " + why);
          }
          if (filled == 0) break;
          h.update(buffer.data(), filled);
          size += static_cast<std::int64_t>(filled);
          chunk_row.bind(1, a.digest).bind(2, seq++).bind_blob(3, buffer.data(), filled);
          chunk_row.run();
          if (filled < kChunk) break;
        }
        ::close(fd);
        if (h.finish_hex() != a.digest)
          throw InputError(location(path.string()) +
                           fmt::format("the {} blob of source \"{}\" no longer hashes to its name; run `taskscout "
                                       "registry verify {}`",
                                       kind, s.name, registry.folder().string()));
        blob_row.bind(1, a.digest).bind(2, size);
        blob_row.run();
        ++result.blobs;
        result.bytes += size;
      }
      ++result.sources;
      if (progress) progress(result.sources, static_cast<std::int64_t>(sources.size()));
    }
    t.commit();
  }
  fsync_file(temp);
  if (::rename(temp.c_str(), out.c_str()) != 0)
    throw IoError(location(out.string()) + "cannot write the archive: " + std::strerror(errno));
  cleanup.keep = true;
  registry_detail::sync_directory(dir);
  return result;
}

ImportResult import_registry(Registry& registry, const fs::path& archive_path, NameClash on_clash,
                             const ArchiveProgress& progress) {
  ImportResult result;
  const std::string where = location(archive_path.string());
  std::error_code ec;
  if (!fs::is_regular_file(archive_path, ec)) throw IoError(where + "no such archive file");
  // Judged by its header before SQLite opens it: opening a WAL-mode file (a registry index,
  // say) would leave -wal and -shm files beside it, even read-only.
  if (!is_registry_archive(archive_path))
    throw InputError(where + "not a taskscout registry archive (`taskscout registry export` writes them)");
  if (sqlite_wal_mode(archive_path))
    throw InputError(where +
                     "the archive was switched to WAL mode by another tool, which taskscout does not read "
                     "in place; export the registry again");
  Database archive(archive_path, Database::Mode::ReadOnly, registry.database().lock_timeout_seconds(),
                   "archive " + archive_path.string());
  if (archive.pragma_integer("application_id") != registry_detail::kArchiveApplicationId)
    throw InputError(where + "not a taskscout registry archive (`taskscout registry export` writes them)");
  const std::int64_t version = archive.pragma_integer("user_version");
  if (version > kArchiveVersion)
    throw InputError(where + fmt::format("archive format {} is newer than this taskscout reads ({}); upgrade taskscout",
                                         version, kArchiveVersion));
  Transaction archive_snapshot(archive, Transaction::Kind::Read);
  std::vector<SourceRecord> sources = read_all(archive);
  std::unordered_map<std::string, std::int64_t> blob_sizes;
  {
    Statement b(archive, "SELECT digest, size FROM blobs");
    while (b.step()) blob_sizes[b.text(0)] = b.integer(1);
  }
  for (const auto& s : sources) {
    if (!s.defect.empty())
      throw InputError(
          where + fmt::format("source \"{}\" is damaged in the archive ({}); nothing was imported", s.name, s.defect));
    registry_detail::check_new_source(s, where);
    for (const auto& [kind, a] : s.artifacts)
      if (!blob_sizes.count(a.digest))
        throw InputError(where + fmt::format("the {} blob of source \"{}\" is not in the archive; nothing was imported",
                                             kind, s.name));
  }

  const Database& db = registry.database();
  Transaction t(db, Transaction::Kind::Write);
  std::set<std::string> taken;
  {
    Statement names(db, "SELECT name FROM sources");
    while (names.step()) taken.insert(names.text(0));
  }
  std::vector<std::string> clashes;  // quoted, for the message
  std::set<std::string> clashing;
  for (const auto& s : sources)
    if (taken.count(s.name)) {
      clashes.push_back("\"" + s.name + "\"");
      clashing.insert(s.name);
    }
  if (!clashes.empty() && on_clash == NameClash::Fail) {
    std::string list;
    for (std::size_t i = 0; i < clashes.size() && i < 10; ++i) list += (i ? ", " : "") + clashes[i];
    if (clashes.size() > 10) list += fmt::format(" and {} more", clashes.size() - 10);
    throw InputError(where + fmt::format("{} source name(s) already in the registry: {}; nothing was imported. Pass "
                                         "{} to import them under new names, or {} to leave them out",
                                         clashes.size(), list, opt("rename"), opt("skip")));
  }
  for (const auto& s : sources)
    if (on_clash != NameClash::Fail) taken.insert(s.name);  // renamed names must avoid the archive's too

  const BlobStore blobs(registry.folder() / "blobs");
  Statement chunks(archive, "SELECT data FROM blob_chunks WHERE digest = ?1 ORDER BY seq");
  std::set<std::string> present;
  std::vector<std::string> written;  // deleted again if the import fails
  try {
    for (auto& s : sources) {
      const bool clash = clashing.count(s.name) > 0;
      if (clash && on_clash == NameClash::Skip) {
        result.skipped.push_back(s.name);
        continue;
      }
      if (clash) {
        std::string name;
        for (int k = 2;; ++k) {
          name = fmt::format("{}-{}", s.name, k);
          if (!taken.count(name)) break;
        }
        taken.insert(name);
        result.renamed.emplace_back(s.name, name);
        s.name = name;
      }
      for (const auto& [kind, a] : s.artifacts) {
        if (present.count(a.digest)) continue;
        const fs::path target = blobs.path_of(a.digest);
        if (fs::is_regular_file(target, ec) && static_cast<std::int64_t>(fs::file_size(target, ec)) == a.size) {
          present.insert(a.digest);
          continue;
        }
        registry_detail::IncomingBlob blob(blobs.dir());
        chunks.bind(1, a.digest);
        while (chunks.step()) {
          const std::string_view data = chunks.blob(0);
          blob.write(data.data(), data.size());
        }
        chunks.reset();
        const auto stored =
            blob.install(fmt::format("{}: the {} blob of source \"{}\"", archive_path.string(), kind, s.name), a.digest,
                         /*sync=*/false);
        if (stored.written) written.push_back(a.digest);
        present.insert(a.digest);
        ++result.blobs_written;
      }
      // An archive is input like any other: its ESMs must be usable by rankers, as add() demands.
      if (const Artifact* esm = s.artifact(artifact_kind::kEsm)) {
        try {
          check_esm_file(blobs.path_of(esm->digest), s.base_fingerprint);
        } catch (const Error& e) {
          throw InputError(
              where + fmt::format("the ESM of source \"{}\" is unusable ({}); nothing was imported", s.name, e.what()));
        }
      }
      registry_detail::insert_source(db, s);
      result.imported.push_back(s.name);
      if (progress)
        progress(static_cast<std::int64_t>(result.imported.size() + result.skipped.size()),
                 static_cast<std::int64_t>(sources.size()));
    }
    if (!written.empty())
      registry_detail::sync_filesystem(blobs.dir());  // every blob durable before the rows naming it
    t.commit();
  } catch (...) {
    // Still under the write lock: nothing can reference the blobs this import wrote.
    for (const auto& digest : written) {
      try {
        blobs.remove(digest);
      } catch (const Error&) {
        // An orphan stays; `registry gc` deletes it.
      }
    }
    throw;
  }
  return result;
}

}  // namespace taskscout
