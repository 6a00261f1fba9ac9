#include "records.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/io/utf8.hpp"

namespace taskscout::registry_detail {

const char* const kSchemaSql = R"sql(
CREATE TABLE sources (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, so an id names one source forever
  name TEXT NOT NULL UNIQUE,
  base_fingerprint TEXT NOT NULL,
  task_kind TEXT NOT NULL,               -- 'classification', 'regression' or '' (unknown)
  label_names TEXT NOT NULL,             -- JSON list of strings
  dataset_fingerprint TEXT NOT NULL,
  dataset_size INTEGER NOT NULL,
  dev_metrics TEXT NOT NULL,             -- JSON object
  provenance TEXT NOT NULL,              -- JSON object
  created_at TEXT NOT NULL               -- UTC, ISO 8601
);
CREATE TABLE artifacts (
  source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  digest TEXT NOT NULL,                  -- SHA-256 of the blob, blobs/ab/<digest>.safetensors
  size INTEGER NOT NULL,
  PRIMARY KEY (source_id, kind)
) WITHOUT ROWID;
CREATE INDEX artifacts_by_digest ON artifacts(digest);
)sql";

const char* const kSelectSources =
    "SELECT id, name, base_fingerprint, task_kind, label_names, dataset_fingerprint, dataset_size, dev_metrics, "
    "provenance, created_at FROM sources";

const char* const kSelectArtifacts = "SELECT source_id, kind, digest, size FROM artifacts";

namespace {

void note(SourceRecord& r, const std::string& what) { r.defect += (r.defect.empty() ? "" : "; ") + what; }

nlohmann::json parse_json(SourceRecord& r, const std::string& text, const char* field, bool list) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || (list ? !j.is_array() : !j.is_object())) {
    note(r, fmt::format("{} is not a JSON {}", field, list ? "list" : "object"));
    return list ? nlohmann::json::array() : nlohmann::json::object();
  }
  return j;
}

}  // namespace

SourceRecord read_source(const Statement& s) {
  SourceRecord r;
  r.id = s.integer(0);
  r.name = s.text(1);
  r.base_fingerprint = s.text(2);
  const std::string kind = s.text(3);
  if (kind == "classification")
    r.task = LabelKind::Classification;
  else if (kind == "regression")
    r.task = LabelKind::Regression;
  else if (!kind.empty())
    note(r, fmt::format("unknown task kind \"{}\"", kind));
  const auto labels = parse_json(r, s.text(4), "label_names", true);
  for (const auto& l : labels) {
    if (!l.is_string()) {
      note(r, "label_names holds a value that is not a string");
      break;
    }
    r.label_names.push_back(l.get<std::string>());
  }
  r.dataset_fingerprint = s.text(5);
  r.dataset_size = s.integer(6);
  r.dev_metrics = parse_json(r, s.text(7), "dev_metrics", false);
  r.provenance = parse_json(r, s.text(8), "provenance", false);
  r.created_at = s.text(9);
  if (!r.base_fingerprint.empty() && !is_sha256_hex(r.base_fingerprint)) note(r, "base_fingerprint is malformed");
  return r;
}

void add_artifact(SourceRecord& r, const Statement& s) {
  Artifact a{s.text(1), s.text(2), s.integer(3)};
  if (!is_sha256_hex(a.digest)) note(r, fmt::format("the digest of artifact {} is malformed", a.kind));
  r.artifacts[a.kind] = std::move(a);
}

}  // namespace taskscout::registry_detail

namespace taskscout {

void check_source_name(const std::string& name, const std::string& where) {
  if (name.empty()) throw InputError(where + "a source needs a non-empty name");
  if (name.size() > 200) throw InputError(where + "source names are limited to 200 bytes");
  if (name.front() == '-') throw InputError(where + fmt::format("source name \"{}\" must not start with '-'", name));
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f)
      throw InputError(where + "source names must not contain control characters (tabs, newlines)");
  // `registry show` takes a name or an id: a name "1" would shadow id 1.
  if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw InputError(where + fmt::format("source name \"{}\" is all digits, which reads as a source id; choose a name "
                                         "with a letter in it",
                                         name));
  // A name is a label, never a path: a tool that makes a file of each source must not be led
  // outside its folder by "../../x".
  if (name.find_first_of("/\\") != std::string::npos || name == "." || name == "..")
    throw InputError(where + fmt::format("source name \"{}\" must not contain '/' or '\\' or be \".\" or \"..\"; "
                                         "choose a plain name",
                                         name));
  // Names go into JSON output (rank --json, registry list --json), which only holds UTF-8.
  if (const auto bad = find_invalid_utf8(name))
    throw InputError(where + fmt::format("source names must be valid UTF-8 text; the name given has an invalid byte "
                                         "at offset {}; choose another {}",
                                         *bad, opt("name")));
}

}  // namespace taskscout

namespace taskscout::registry_detail {

void check_new_source(const SourceRecord& r, const std::string& where) {
  check_source_name(r.name, where);
  if (!r.base_fingerprint.empty() && !is_sha256_hex(r.base_fingerprint))
    throw InputError(where +
                     fmt::format("source \"{}\": the base fingerprint must be 64 lowercase hex digits", r.name));
  if (!r.dev_metrics.is_object() || !r.provenance.is_object())
    throw InputError(where + fmt::format("source \"{}\": dev metrics and provenance must be JSON objects", r.name));
  if (r.dataset_size < 0) throw InputError(where + fmt::format("source \"{}\": negative dataset size", r.name));
}

void check_artifact_kind(const std::string& kind, const std::string& where) {
  const bool ok = !kind.empty() && kind.size() <= 64 && std::all_of(kind.begin(), kind.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!ok)
    throw InputError(where + fmt::format("artifact kind \"{}\" must be 1-64 characters of a-z, 0-9 and _", kind));
}

std::int64_t insert_source(const Database& db, const SourceRecord& r) {
  Statement s(db,
              "INSERT INTO sources (name, base_fingerprint, task_kind, label_names, dataset_fingerprint, "
              "dataset_size, dev_metrics, provenance, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  s.bind(1, r.name)
      .bind(2, r.base_fingerprint)
      .bind(3, task_kind_name(r.task))
      .bind(4, nlohmann::json(r.label_names).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .bind(5, r.dataset_fingerprint)
      .bind(6, r.dataset_size)
      .bind(7, r.dev_metrics.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .bind(8, r.provenance.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .bind(9, r.created_at);
  s.run();
  const std::int64_t id = sqlite3_last_insert_rowid(db.handle());
  Statement a(db, "INSERT INTO artifacts (source_id, kind, digest, size) VALUES (?1, ?2, ?3, ?4)");
  for (const auto& [kind, art] : r.artifacts) {
    a.bind(1, id).bind(2, kind).bind(3, art.digest).bind(4, art.size);
    a.run();
  }
  return id;
}

}  // namespace taskscout::registry_detail
