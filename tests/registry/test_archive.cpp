// export/import: a registry moved as one file comes back identical; damaged or foreign
// archives and name clashes are refused before anything is written.
#include <gtest/gtest.h>

#include "registry_fixtures.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/registry/archive.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::make_source;
using testing::TempDir;
using testing::write_artifact;
using testing::write_esm;

class Archive : public ::testing::Test {
 protected:
  void SetUp() override {
    reg.add(make_source("sst2", write_esm(dir / "e1.safetensors", 5), write_artifact(dir / "m1.safetensors", 1)));
    reg.add(make_source("mr", write_esm(dir / "e2.safetensors", 5, 2.0f), write_artifact(dir / "m2.safetensors", 2)));
    // Shares its ESM blob with sst2: stored once in the archive too.
    reg.add(make_source("cr", dir / "e1.safetensors", write_artifact(dir / "m3.safetensors", 3)));
  }
  TempDir dir;
  Registry reg = Registry::create(dir / "reg");
};

void expect_same_sources(const std::vector<SourceRecord>& a, const std::vector<SourceRecord>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].base_fingerprint, b[i].base_fingerprint);
    EXPECT_EQ(a[i].task, b[i].task);
    EXPECT_EQ(a[i].label_names, b[i].label_names);
    EXPECT_EQ(a[i].dataset_fingerprint, b[i].dataset_fingerprint);
    EXPECT_EQ(a[i].dataset_size, b[i].dataset_size);
    EXPECT_EQ(a[i].dev_metrics, b[i].dev_metrics);
    EXPECT_EQ(a[i].provenance, b[i].provenance);
    EXPECT_EQ(a[i].created_at, b[i].created_at);
    ASSERT_EQ(a[i].artifacts.size(), b[i].artifacts.size());
    for (const auto& [kind, art] : a[i].artifacts) {
      EXPECT_EQ(art.digest, b[i].artifacts.at(kind).digest);
      EXPECT_EQ(art.size, b[i].artifacts.at(kind).size);
    }
  }
}

TEST_F(Archive, RoundTripIntoAnEmptyRegistryKeepsEverySourceAndBlob) {
  const ExportResult e = export_registry(reg, dir / "all.tsar");
  EXPECT_EQ(e.sources, 3);
  EXPECT_EQ(e.blobs, 5);  // two ESMs (one shared) and three means
  Registry copy = Registry::create(dir / "copy");
  const ImportResult i = import_registry(copy, dir / "all.tsar");
  EXPECT_EQ(i.imported.size(), 3u);
  EXPECT_EQ(i.blobs_written, 5);
  expect_same_sources(reg.list(), copy.list());
  EXPECT_TRUE(copy.verify().ok());
  for (const auto& s : copy.list())
    for (const auto& [kind, a] : s.artifacts)
      EXPECT_EQ(testing::read_text(copy.blob_path(a.digest)), testing::read_text(reg.blob_path(a.digest)));
}

TEST_F(Archive, NameClashesFailUnlessRenamedOrSkipped) {
  export_registry(reg, dir / "all.tsar");
  Registry other = Registry::create(dir / "other");
  other.add(make_source("mr", write_esm(dir / "x.safetensors", 2)));
  try {
    import_registry(other, dir / "all.tsar");
    FAIL();
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("\"mr\""), std::string::npos) << m;
    EXPECT_NE(m.find("rename"), std::string::npos) << m;
  }
  EXPECT_EQ(other.count(), 1);  // nothing imported

  const ImportResult skipped = import_registry(other, dir / "all.tsar", NameClash::Skip);
  EXPECT_EQ(skipped.skipped, (std::vector<std::string>{"mr"}));
  EXPECT_EQ(other.count(), 3);

  const ImportResult renamed = import_registry(other, dir / "all.tsar", NameClash::Rename);
  EXPECT_EQ(renamed.renamed.size(), 3u);
  EXPECT_TRUE(other.find("mr-2").has_value());
  EXPECT_TRUE(other.find("sst2-2").has_value());
  EXPECT_EQ(other.count(), 6);
  EXPECT_EQ(renamed.blobs_written, 2);  // only mr's two blobs, skipped before, are new
  EXPECT_TRUE(other.verify().ok());
}

TEST_F(Archive, ADamagedBlobInTheArchiveImportsNothing) {
  export_registry(reg, dir / "all.tsar");
  // Flip a byte of one chunk inside the archive.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "all.tsar").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE blob_chunks SET data = CAST(substr(data, 1, length(data) - 1) || 'Z' AS BLOB) "
                         "WHERE rowid IN (SELECT rowid FROM blob_chunks LIMIT 1)",
                         nullptr, nullptr, nullptr),
            SQLITE_ERROR);  // WITHOUT ROWID: address the chunk by key instead
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE blob_chunks SET data = CAST(substr(data, 1, length(data) - 1) || 'Z' AS BLOB) "
                         "WHERE digest = (SELECT MIN(digest) FROM blob_chunks)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Registry copy = Registry::create(dir / "copy");
  try {
    import_registry(copy, dir / "all.tsar");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("damaged"), std::string::npos) << e.what();
  }
  EXPECT_EQ(copy.count(), 0);
  EXPECT_TRUE(copy.verify().ok());  // and no blob left behind
}

TEST_F(Archive, AnArchivedEsmOfAnotherBaseImportsNothing) {
  export_registry(reg, dir / "all.tsar");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "all.tsar").c_str(), &db), SQLITE_OK);
  // The fixture ESMs record no base, so they fit any base: another base for "mr" is accepted.
  ASSERT_EQ(sqlite3_exec(
                db, ("UPDATE sources SET base_fingerprint = '" + sha256_hex("other") + "' WHERE name = 'mr'").c_str(),
                nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  // An ESM that records its base must keep it.
  Registry strict = Registry::create(dir / "strict");
  strict.add(make_source("x", write_esm(dir / "based.safetensors", 3, 1, sha256_hex("base model"))));
  export_registry(strict, dir / "strict.tsar");
  ASSERT_EQ(sqlite3_open((dir / "strict.tsar").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, ("UPDATE sources SET base_fingerprint = '" + sha256_hex("other") + "'").c_str(), nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Registry copy = Registry::create(dir / "copy");
  EXPECT_NO_THROW(import_registry(copy, dir / "all.tsar"));  // base-agnostic ESMs
  try {
    import_registry(copy, dir / "strict.tsar");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("trained for base model"), std::string::npos) << e.what();
  }
  EXPECT_EQ(copy.count(), 3);
  EXPECT_TRUE(copy.verify().ok());
}

TEST_F(Archive, ForeignFilesAreNotArchives) {
  testing::write_text(dir / "junk.tsar", "not sqlite");
  Registry copy = Registry::create(dir / "copy");
  EXPECT_THROW(import_registry(copy, dir / "junk.tsar"), InputError);
  // A registry index is a SQLite file too, but not an archive.
  EXPECT_THROW(import_registry(copy, dir / "reg" / "registry.sqlite"), InputError);
  EXPECT_THROW(import_registry(copy, dir / "absent.tsar"), IoError);
}

TEST_F(Archive, ImportOfAWalModeFileLeavesNothingBesideIt) {
  // SQLite opening a WAL-mode file, even read-only, makes -wal and -shm files beside it.
  Registry copy = Registry::create(dir / "copy");
  { Registry::create(dir / "other"); }  // a WAL-mode index, closed
  fs::copy_file(dir / "other" / "registry.sqlite", dir / "index.sqlite");
  EXPECT_THROW(import_registry(copy, dir / "index.sqlite"), InputError);
  EXPECT_FALSE(fs::exists(dir / "index.sqlite-wal"));
  EXPECT_FALSE(fs::exists(dir / "index.sqlite-shm"));
  // An archive switched to WAL mode by another tool: refused the same way.
  export_registry(reg, dir / "all.tsar");
  {
    sqlite3* db = nullptr;
    sqlite3_open((dir / "all.tsar").c_str(), &db);
    sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  ASSERT_FALSE(fs::exists(dir / "all.tsar-wal"));
  try {
    import_registry(copy, dir / "all.tsar");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("WAL mode"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "all.tsar-wal"));
  EXPECT_FALSE(fs::exists(dir / "all.tsar-shm"));
  EXPECT_EQ(copy.count(), 0);
}

TEST_F(Archive, ExportRefusesACorruptBlobAndLeavesNoFile) {
  const auto s = reg.get("mr");
  const fs::path p = reg.blob_path(s.artifacts.at("esm").digest);
  std::string bytes = testing::read_text(p);
  bytes.back() ^= 1;
  testing::write_text(p, bytes);
  try {
    export_registry(reg, dir / "all.tsar");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("\"mr\""), std::string::npos) << e.what();
  }
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find("all.tsar"), std::string::npos) << e.path();
}

}  // namespace
}  // namespace taskscout
