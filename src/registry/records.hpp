#pragma once
// The index schema and the mapping between its rows and SourceRecord, shared by the
// registry and the archive (which stores the same two tables).
#include <cstdint>
#include <string>

#include "database.hpp"
#include "taskscout/registry/source.hpp"

namespace taskscout::registry_detail {

// PRAGMA application_id values: "TSCR" marks a registry index, "TSCA" an export archive.
inline constexpr std::int64_t kRegistryApplicationId = 0x54534352;
inline constexpr std::int64_t kArchiveApplicationId = 0x54534341;

// The sources and artifacts tables (both in the index and in archives).
extern const char* const kSchemaSql;
// SELECT of the source columns, in the order read_source reads them (append WHERE/ORDER).
extern const char* const kSelectSources;
// SELECT source_id, kind, digest, size FROM artifacts (append WHERE).
extern const char* const kSelectArtifacts;

// Reads the current row of a kSelectSources statement. A damaged field does not throw: it
// sets `defect`, so one bad row never hides the others.
SourceRecord read_source(const Statement& s);
// Adds the current row of a kSelectArtifacts statement to `r` (a malformed digest sets
// r.defect).
void add_artifact(SourceRecord& r, const Statement& s);

// InputError (prefixed by `where`) for a name, base fingerprint or JSON field the index
// cannot hold.
void check_new_source(const SourceRecord& r, const std::string& where);
void check_artifact_kind(const std::string& kind, const std::string& where);

// Inserts r (all but its id) and its artifacts; returns the new id.
std::int64_t insert_source(const Database& db, const SourceRecord& r);

}  // namespace taskscout::registry_detail
