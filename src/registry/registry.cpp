#include "taskscout/registry/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <set>
#include <unordered_map>

#include "blob_store.hpp"
#include "database.hpp"
#include "records.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/registry/esm_check.hpp"
#include "taskscout/registry/staging.hpp"

namespace taskscout {

namespace fs = std::filesystem;
using registry_detail::BlobStore;
using registry_detail::Database;
using registry_detail::Statement;
using registry_detail::Transaction;

namespace {

constexpr const char* kIndexFile = "registry.sqlite";
constexpr const char* kBlobsDir = "blobs";

std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string registry_name(const fs::path& folder) { return "registry " + folder.string(); }

void configure(const Database& db) {
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA synchronous = FULL");  // a committed row outlives a power loss, as its blobs do
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Registry::Registry(fs::path folder, std::unique_ptr<Database> db) : folder_(std::move(folder)), db_(std::move(db)) {}
Registry::Registry(Registry&&) noexcept = default;
Registry& Registry::operator=(Registry&&) noexcept = default;
Registry::~Registry() = default;

namespace {

// What an interrupted `registry init` of an earlier version left: registry.sqlite without
// the registry's application id (none, empty or schema-less), blobs/ and nothing else.
bool interrupted_init(const fs::path& folder) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    const std::string name = e.path().filename().string();
    if (name == kBlobsDir ? !fs::is_empty(e.path(), ec) : !name.starts_with(kIndexFile)) return false;
  }
  if (ec) return false;
  // A committed registry whose header still waits in the WAL is not judged by its header.
  if (fs::file_size(folder / (std::string(kIndexFile) + "-wal"), ec) > 0 && !ec) return false;
  std::ifstream in(folder / kIndexFile, std::ios::binary);
  unsigned char head[72] = {};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  const std::int64_t id = (std::int64_t{head[68]} << 24) | (head[69] << 16) | (head[70] << 8) | head[71];
  return id != registry_detail::kRegistryApplicationId;
}

std::string interrupted_advice(const fs::path& folder) {
  return location(folder.string()) +
         fmt::format(
             "the registry was never completed (an interrupted `registry init`); delete the folder and run "
             "`taskscout registry init {}` again",
             folder.string());
}

// ".<name>.init-<random>" beside `target`, not yet existing.
fs::path staging_sibling(const fs::path& target) {
  std::random_device rd;
  std::string name = target.filename().string();
  name.insert(0, 1, '.');
  name += ".init-";
  name += std::to_string(rd());
  return target.parent_path() / name;
}

}  // namespace

Registry Registry::create(const fs::path& folder_in, const RegistryOptions& options) {
  fs::path folder = folder_in;
  if (folder.filename().empty()) folder = folder.parent_path();  // "reg/" → "reg"
  if (!folder.has_parent_path()) folder = fs::path(".") / folder;
  std::error_code ec;
  if (fs::exists(folder, ec) && !fs::is_directory(folder, ec))
    throw InputError(location(folder_in.string()) + "exists and is not a folder; choose another path for the registry");
  if (fs::exists(folder, ec) && !fs::is_empty(folder, ec)) {
    if (interrupted_init(folder)) throw InputError(interrupted_advice(folder_in));
    if (fs::exists(folder / kIndexFile, ec))
      throw InputError(location(folder_in.string()) +
                       "a registry already exists here; open it, or choose another folder");
    throw InputError(location(folder_in.string()) + "the folder is not empty; a registry needs an empty or new folder");
  }
  // Built beside the target and renamed into place: a failure (a full disk) or a crash
  // leaves no half-made registry under its name, only at worst a hidden sibling.
  fs::path created_top;  // the first folder of the parent path this call creates
  for (fs::path p = folder.parent_path(); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    created_top = p;
    if (p == p.parent_path()) break;
  }
  fs::create_directories(folder.parent_path(), ec);
  if (ec) throw IoError(location(folder_in.string()) + "cannot create the registry folder: " + ec.message());
  const fs::path staging = staging_sibling(folder);
  try {
    if (!fs::create_directory(staging, ec) || ec || !fs::create_directory(staging / kBlobsDir, ec) || ec)
      throw IoError(location(folder_in.string()) + "cannot create the registry folder: " +
                    (ec ? ec.message() : "a folder of that name exists") + "; nothing was created");
    {
      Database db(staging / kIndexFile, Database::Mode::Create, options.lock_timeout_seconds, registry_name(folder_in));
      db.exec("PRAGMA journal_mode = WAL");
      configure(db);
      Transaction t(db, Transaction::Kind::Write);
      db.exec(registry_detail::kSchemaSql);
      db.exec(fmt::format("PRAGMA application_id = {}", registry_detail::kRegistryApplicationId));
      db.exec(fmt::format("PRAGMA user_version = {}", kSchemaVersion));
      t.commit();
    }  // closed: the WAL is checkpointed into the index and removed
    // rename(2) replaces an empty folder, so `folder` may exist (empty) or not.
    if (::rename(staging.c_str(), folder.c_str()) != 0)
      throw IoError(location(folder_in.string()) + "cannot create the registry folder: " + std::strerror(errno) +
                    "; nothing was created");
    registry_detail::sync_directory(folder.parent_path());
  } catch (const IoError& e) {
    fs::remove_all(staging, ec);
    if (!created_top.empty()) fs::remove_all(created_top, ec);
    // Name the registry asked for, not the hidden folder that is gone now.
    std::string what = e.what();
    for (auto at = what.find(staging.string()); at != std::string::npos; at = what.find(staging.string(), at))
      what.replace(at, staging.string().size(), folder.string());
    throw IoError(what);
  } catch (...) {
    fs::remove_all(staging, ec);
    if (!created_top.empty()) fs::remove_all(created_top, ec);
    throw;
  }
  return open(folder_in, options);
}

Registry Registry::open(const fs::path& folder, const RegistryOptions& options) {
  std::error_code ec;
  if (!fs::is_regular_file(folder / kIndexFile, ec) && fs::is_directory(folder / kBlobsDir, ec) &&
      interrupted_init(folder))
    throw InputError(interrupted_advice(folder));
  if (!fs::is_regular_file(folder / kIndexFile, ec))
    throw InputError(location(folder.string()) +
                     fmt::format("not a taskscout registry (no {} in it); create one with `taskscout registry init {}`",
                                 kIndexFile, folder.string()));
  auto db = std::make_unique<Database>(folder / kIndexFile, Database::Mode::ReadWrite, options.lock_timeout_seconds,
                                       registry_name(folder));
  configure(*db);
  const std::int64_t app = db->pragma_integer("application_id");
  const std::int64_t version = db->pragma_integer("user_version");
  if (app == 0 && version == 0) throw InputError(interrupted_advice(folder));
  if (app != registry_detail::kRegistryApplicationId)
    throw InputError(location((folder / kIndexFile).string()) +
                     "this SQLite file is not a taskscout registry index (an export archive is read with "
                     "`taskscout registry import`)");
  if (version > kSchemaVersion)
    throw InputError(location(folder.string()) +
                     fmt::format("the registry has schema version {}, newer than this taskscout reads ({}); "
                                 "upgrade taskscout",
                                 version, kSchemaVersion));
  return Registry(folder, std::move(db));
}

std::vector<SourceRecord> Registry::list() const {
  Transaction t(*db_, Transaction::Kind::Read);  // sources and artifacts from one snapshot
  std::vector<SourceRecord> out;
  {
    Statement s(*db_, std::string(registry_detail::kSelectSources) + " ORDER BY name");
    while (s.step()) out.push_back(registry_detail::read_source(s));
  }
  std::unordered_map<std::int64_t, std::size_t> by_id;
  by_id.reserve(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) by_id[out[i].id] = i;
  Statement a(*db_, registry_detail::kSelectArtifacts);
  while (a.step()) {
    auto it = by_id.find(a.integer(0));
    if (it != by_id.end()) registry_detail::add_artifact(out[it->second], a);
  }
  return out;
}

std::int64_t Registry::count() const {
  Statement s(*db_, "SELECT COUNT(*) FROM sources");
  s.step();
  return s.integer(0);
}

namespace {

std::optional<SourceRecord> find_where(const Database& db, const std::string& where,
                                       const std::function<void(Statement&)>& bind) {
  Transaction t(db, Transaction::Kind::Read);
  Statement s(db, std::string(registry_detail::kSelectSources) + " WHERE " + where);
  bind(s);
  if (!s.step()) return std::nullopt;
  SourceRecord r = registry_detail::read_source(s);
  Statement a(db, std::string(registry_detail::kSelectArtifacts) + " WHERE source_id = ?1");
  a.bind(1, r.id);
  while (a.step()) registry_detail::add_artifact(r, a);
  return r;
}

}  // namespace

std::optional<SourceRecord> Registry::find(std::string_view name) const {
  return find_where(*db_, "name = ?1", [&](Statement& s) { s.bind(1, name); });
}

std::optional<SourceRecord> Registry::find(std::int64_t id) const {
  return find_where(*db_, "id = ?1", [&](Statement& s) { s.bind(1, id); });
}

SourceRecord Registry::get(std::string_view name_or_id) const {
  if (auto r = find(name_or_id)) return *r;
  if (all_digits(name_or_id) && name_or_id.size() < 18)
    if (auto r = find(static_cast<std::int64_t>(std::stoll(std::string(name_or_id))))) return *r;
  throw InputError(location(folder_.string()) +
                   fmt::format("no source named \"{}\" in the registry; `taskscout registry list {}` shows the names",
                               name_or_id, folder_.string()));
}

fs::path Registry::blob_path(std::string_view digest) const { return BlobStore(folder_ / kBlobsDir).path_of(digest); }

std::string blob_mismatch(const fs::path& blob, std::string_view kind) {
  const fs::path registry = blob.parent_path().parent_path().parent_path();  // <registry>/blobs/ab/<digest>…
  return fmt::format(
      "its {} blob {} does not match its digest (its bytes changed after it was stored); run `taskscout "
      "registry verify {}`, then remove the source with `taskscout registry rm` and register it again",
      kind, blob.string(), registry.string());
}

void check_blob_bytes(const fs::path& file, std::string_view kind) {
  const std::optional<std::string> digest = registry_detail::BlobStore::digest_of(file);
  if (digest && sha256_file_hex(file) != *digest) throw InputError(blob_mismatch(file, kind));
}

SafetensorsFile Registry::open_artifact(const SourceRecord& source, std::string_view kind) const {
  const std::string who = fmt::format("source \"{}\" (id {})", source.name, source.id);
  if (!source.defect.empty())
    throw InputError(location(folder_.string()) +
                     fmt::format("{}: its index row is damaged ({}); run `taskscout registry verify {}`, then "
                                 "`taskscout registry rm {} {}` and register it again",
                                 who, source.defect, folder_.string(), folder_.string(), source.name));
  const Artifact* a = source.artifact(kind);
  if (!a) {
    std::string kinds;
    for (const auto& [k, _] : source.artifacts) kinds += (kinds.empty() ? "" : ", ") + k;
    throw InputError(location(folder_.string()) +
                     fmt::format("{} has no {} artifact (it has: {})", who, kind, kinds.empty() ? "none" : kinds));
  }
  const fs::path path = blob_path(a->digest);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw InputError(location(path.string()) +
                     fmt::format("the {} blob of {} is missing; run `taskscout registry verify {}`, then "
                                 "`taskscout registry rm {} {}` and register it again",
                                 kind, who, folder_.string(), folder_.string(), source.name));
  try {
    check_blob_bytes(path, kind);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", who, e.what()));
  }
  try {
    return SafetensorsFile(path);
  } catch (const Error& e) {
    throw InputError(
        fmt::format("the {} blob of {} is unreadable ({}); run `taskscout registry verify {}`, then "
                    "`taskscout registry rm {} {}` and register it again",
                    kind, who, e.what(), folder_.string(), folder_.string(), source.name));
  }
}

SourceRecord Registry::add(const NewSource& source, const AddOptions& options) {
  const SourceRecord& r = source.record;
  const std::string where = location(folder_.string());
  registry_detail::check_new_source(r, where);
  for (const auto& [kind, file] : source.artifact_files) {
    registry_detail::check_artifact_kind(kind, where);
    // Rankers rely on every stored ESM having the shared format and the source's base.
    if (kind == artifact_kind::kEsm) check_esm_file(file, r.base_fingerprint);
  }

  Transaction t(*db_, Transaction::Kind::Write);
  {
    Statement s(*db_, "SELECT id FROM sources WHERE name = ?1");
    s.bind(1, r.name);
    if (s.step())
      throw InputError(where + fmt::format("a source named \"{}\" is already registered; choose another {}, or "
                                           "remove it first with `taskscout registry rm {} {}`",
                                           r.name, opt("name"), folder_.string(), r.name));
  }
  // Blobs first, under the write lock: no index row ever points at a blob being written,
  // and garbage collection (also under the lock) never deletes one about to be referenced.
  SourceRecord stored = r;
  stored.artifacts.clear();
  stored.defect.clear();
  stored.created_at = now_utc();
  const BlobStore blobs(folder_ / kBlobsDir);
  std::vector<std::string> written;  // blobs this call added, deleted again if it fails
  try {
    for (const auto& [kind, file] : source.artifact_files) {
      const auto blob =
          blobs.store_file(file, fmt::format("{}: {} artifact of source \"{}\"", file.string(), kind, r.name));
      if (blob.written) written.push_back(blob.digest);
      stored.artifacts[kind] = Artifact{kind, blob.digest, blob.size};
    }
    if (options.before_index) options.before_index();
    stored.id = registry_detail::insert_source(*db_, stored);
    t.commit();
  } catch (...) {
    // Still under the write lock: no other row can have come to reference these blobs.
    for (const auto& digest : written) {
      try {
        blobs.remove(digest);
      } catch (const Error&) {
        // An orphan blob stays; `registry verify` reports it and `registry gc` deletes it.
      }
    }
    throw;
  }
  return stored;
}

RemoveResult Registry::remove(const std::vector<std::string>& names) {
  RemoveResult result;
  std::set<std::string> candidates;  // digests the removed sources referenced
  {
    Transaction t(*db_, Transaction::Kind::Write);
    std::vector<std::string> unknown;
    for (const auto& name : names) {
      Statement s(*db_, "SELECT id FROM sources WHERE name = ?1");
      s.bind(1, name);
      if (!s.step()) unknown.push_back("\"" + name + "\"");
    }
    if (!unknown.empty()) {
      std::string list;
      for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
      throw InputError(location(folder_.string()) +
                       fmt::format("no source named {} in the registry; nothing was removed (`taskscout registry "
                                   "list {}` shows the names)",
                                   list, folder_.string()));
    }
    for (const auto& name : names) {
      Statement a(*db_, "SELECT digest FROM artifacts JOIN sources ON sources.id = source_id WHERE name = ?1");
      a.bind(1, name);
      // A malformed digest (a damaged row) names no blob: the row goes, no file is touched.
      while (a.step())
        if (is_sha256_hex(a.text(0))) candidates.insert(a.text(0));
      Statement d(*db_, "DELETE FROM sources WHERE name = ?1");  // artifacts go by ON DELETE CASCADE
      d.bind(1, name);
      d.run();
      if (sqlite3_changes(db_->handle()) > 0) result.removed.push_back(name);
    }
    t.commit();
  }
  // Then, in a second transaction, the blobs nothing references any more. A crash between
  // the two leaves orphan files only (`registry gc` deletes them), never a row without blobs.
  Transaction t(*db_, Transaction::Kind::Write);
  const BlobStore blobs(folder_ / kBlobsDir);
  Statement used(*db_, "SELECT 1 FROM artifacts WHERE digest = ?1 LIMIT 1");
  for (const auto& digest : candidates) {
    used.bind(1, digest);
    const bool referenced = used.step();
    used.reset();
    if (referenced) continue;
    // The sources are gone (committed above): a blob that cannot be deleted is an orphan for
    // gc, not a failure of the removal, which would say the sources were kept.
    try {
      result.bytes_freed += blobs.remove(digest);
      ++result.blobs_deleted;
    } catch (const IoError& e) {
      if (result.blobs_left++ == 0) result.blobs_left_reason = e.what();
    }
  }
  t.commit();
  return result;
}

VerifyResult Registry::verify(const VerifyOptions& options) const {
  VerifyResult result;
  const std::vector<SourceRecord> sources = list();
  result.sources = static_cast<std::int64_t>(sources.size());
  const std::string reg = folder_.string();
  std::set<std::string> referenced;
  // A blob shared by several sources is checked once; later sources repeat its verdict.
  struct Verdict {
    std::string kind, detail;  // empty kind: healthy
  };
  std::map<std::string, Verdict> verdicts;
  auto check_blob = [&](const std::string& digest) -> Verdict {
    const fs::path path = blob_path(digest);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return {"missing_blob", "the blob file is missing"};
    if (!options.check_content) return {};
    std::string actual;
    try {
      actual = sha256_file_hex(path);
    } catch (const Error& e) {
      return {"unreadable_blob", e.what()};
    }
    if (actual != digest) return {"corrupt_blob", "the content hashes to " + actual + ", not to its name"};
    try {
      SafetensorsFile check(path);
    } catch (const Error& e) {
      return {"unreadable_blob", std::string("not a readable safetensors file (") + e.what() + ")"};
    }
    return {};
  };
  std::int64_t total = 0, done = 0;
  for (const auto& s : sources) total += static_cast<std::int64_t>(s.artifacts.size());
  for (const auto& s : sources) {
    const std::string fix = fmt::format("`taskscout registry rm {} {}`, then register it again", reg, s.name);
    if (!s.defect.empty())
      result.problems.push_back({"bad_row", s.name, "", (folder_ / kIndexFile).string(), s.defect + "; run " + fix});
    for (const auto& [kind, a] : s.artifacts) {
      if (options.progress) options.progress(done++, total);
      // A malformed digest is the bad_row above; no path is built from it.
      if (!is_sha256_hex(a.digest)) continue;
      referenced.insert(a.digest);
      auto it = verdicts.find(a.digest);
      if (it == verdicts.end()) it = verdicts.emplace(a.digest, check_blob(a.digest)).first;
      const Verdict& v = it->second;
      if (!v.kind.empty())
        result.problems.push_back({v.kind, s.name, kind, blob_path(a.digest).string(), v.detail + "; run " + fix});
    }
  }
  result.blobs = static_cast<std::int64_t>(referenced.size());
  for (const auto& file : BlobStore(folder_ / kBlobsDir).all_files()) {
    const auto digest = BlobStore::digest_of(file);
    if (digest && referenced.count(*digest)) continue;
    result.problems.push_back(
        {"orphan_file", "", "", file.string(),
         digest ? "a blob no source references (left by an interrupted registration or removal); `taskscout registry "
                  "gc " +
                      reg + "` deletes it"
                : "not a blob (a temporary file of a write in progress or interrupted, or a foreign file); "
                  "`taskscout registry gc " +
                      reg + "` deletes it when no write is in progress"});
  }
  return result;
}

GarbageResult Registry::collect_garbage() {
  GarbageResult result;
  Transaction t(*db_, Transaction::Kind::Write);  // no writer is between blob and row meanwhile
  std::set<std::string> referenced;
  {
    Statement s(*db_, "SELECT DISTINCT digest FROM artifacts");
    while (s.step()) referenced.insert(s.text(0));
  }
  const BlobStore blobs(folder_ / kBlobsDir);
  for (const auto& file : blobs.all_files()) {
    const auto digest = BlobStore::digest_of(file);
    if (digest && referenced.count(*digest)) continue;
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (fs::remove(file, ec)) {
      ++result.files_deleted;
      result.bytes_freed += static_cast<std::int64_t>(size);
    } else if (ec) {
      if (result.files_left++ == 0) result.files_left_reason = file.string() + ": " + ec.message();
    }
    if (file.parent_path() != blobs.dir()) fs::remove(file.parent_path(), ec);  // when empty
  }
  t.commit();
  const StagingGarbage staging = collect_staging_garbage(folder_);
  result.files_deleted += staging.files_deleted;
  result.bytes_freed += staging.bytes_freed;
  if (staging.runs_left > 0 && result.files_left == 0) result.files_left_reason = staging.runs_left_reason;
  result.files_left += staging.runs_left;
  return result;
}

}  // namespace taskscout
