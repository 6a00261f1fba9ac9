// The registry index and blob store: create/open, add, list, look-up, identical content
// stored once, removal with collection of unreferenced blobs, damaged rows.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "registry_fixtures.hpp"
#include "taskscout/core/error.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::make_source;
using testing::sql;
using testing::TempDir;
using testing::write_artifact;
using testing::write_esm;

std::set<fs::path> files_under(const fs::path& dir) {
  std::set<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.insert(e.path());
  return out;
}

TEST(RegistryIndex, CreateSetsWalSchemaVersionAndRefusesToOverwrite) {
  TempDir dir;
  const fs::path r = dir / "reg";
  { Registry::create(r); }
  EXPECT_EQ(sql(r, "PRAGMA journal_mode"), "wal|");
  EXPECT_EQ(sql(r, "PRAGMA user_version"), std::to_string(Registry::kSchemaVersion) + "|");
  EXPECT_TRUE(fs::is_directory(r / "blobs"));
  EXPECT_THROW(Registry::create(r), InputError);
  fs::create_directories(dir / "busy");
  testing::write_text(dir / "busy" / "file.txt", "x");
  EXPECT_THROW(Registry::create(dir / "busy"), InputError);
  EXPECT_EQ(Registry::open(r).count(), 0);
}

TEST(RegistryIndex, OpenExplainsWhatIsWrong) {
  TempDir dir;
  try {
    Registry::open(dir / "nothing");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("registry init"), std::string::npos) << e.what();
  }
  { Registry::create(dir / "reg"); }
  sql(dir / "reg", "PRAGMA user_version = 99");
  try {
    Registry::open(dir / "reg");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
  fs::create_directories(dir / "half");
  testing::write_text(dir / "half" / "registry.sqlite", "");  // init interrupted before its schema
  try {
    Registry::open(dir / "half");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("interrupted"), std::string::npos) << e.what();
  }
  fs::create_directories(dir / "junk");
  testing::write_text(dir / "junk" / "registry.sqlite", std::string(4096, 'x'));
  EXPECT_THROW(Registry::open(dir / "junk"), Error);
}

TEST(RegistryIndex, AddedSourcesComeBackAsStored) {
  TempDir dir;
  Registry reg = Registry::create(dir / "reg");
  const auto esm = write_esm(dir / "esm.safetensors", 4);
  const auto mean = write_artifact(dir / "mean.safetensors", 1);
  const SourceRecord added = reg.add(make_source("sst2", esm, mean));
  EXPECT_GT(added.id, 0);
  EXPECT_EQ(added.artifacts.at("esm").digest, sha256_file_hex(esm));
  EXPECT_EQ(added.artifacts.at("esm").size, static_cast<std::int64_t>(fs::file_size(esm)));

  // The blob is a byte-identical copy at its content address.
  const fs::path blob = reg.blob_path(added.artifacts.at("esm").digest);
  EXPECT_EQ(blob.parent_path().filename(), added.artifacts.at("esm").digest.substr(0, 2));
  EXPECT_EQ(testing::read_text(blob), testing::read_text(esm));

  for (const SourceRecord& r : {reg.get("sst2"), *reg.find(added.id), reg.list().at(0)}) {
    EXPECT_EQ(r.id, added.id);
    EXPECT_EQ(r.name, "sst2");
    EXPECT_EQ(r.base_fingerprint, sha256_hex("base model"));
    EXPECT_EQ(r.task, LabelKind::Classification);
    EXPECT_EQ(r.label_names, (std::vector<std::string>{"negative", "positive"}));
    EXPECT_EQ(r.dataset_fingerprint, sha256_hex("dataset sst2"));
    EXPECT_EQ(r.dataset_size, 123);
    EXPECT_EQ(r.dev_metrics["accuracy"], 0.875);
    EXPECT_EQ(r.provenance["command"], "test");
    EXPECT_EQ(r.created_at.size(), 20u);
    EXPECT_EQ(r.artifacts.size(), 2u);
    EXPECT_EQ(r.defect, "");
  }
  EXPECT_EQ(reg.get(std::to_string(added.id)).name, "sst2");  // by id
  EXPECT_FALSE(reg.find("nope").has_value());
  EXPECT_THROW(reg.get("nope"), InputError);

  const SafetensorsFile f = reg.open_artifact(reg.get("sst2"), "esm");
  EXPECT_EQ(f.entry("weight").shape, (std::vector<std::int64_t>{4, 4}));
  EXPECT_THROW(reg.open_artifact(reg.get("sst2"), "fisher"), InputError);
}

TEST(RegistryIndex, ListIsOrderedByNameAndSeesEveryArtifact) {
  TempDir dir;
  Registry reg = Registry::create(dir / "reg");
  const std::vector<std::string> names = {"mr", "cr", "subj", "trec", "sst5"};
  for (std::size_t i = 0; i < names.size(); ++i)
    reg.add(make_source(names[i], write_esm(dir / (names[i] + ".safetensors"), 3, 1.0f + i),
                        write_artifact(dir / (names[i] + "-mean.safetensors"), static_cast<float>(i))));
  const auto all = reg.list();
  ASSERT_EQ(all.size(), names.size());
  EXPECT_EQ(reg.count(), 5);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].name, all[i].name);
  for (const auto& s : all) {
    EXPECT_EQ(s.artifacts.at("esm").digest, sha256_file_hex(dir / (s.name + ".safetensors")));
    EXPECT_EQ(s.artifacts.at("mean_embedding").digest, sha256_file_hex(dir / (s.name + "-mean.safetensors")));
  }
}

TEST(RegistryIndex, IdenticalContentIsStoredOnceAndKeptWhileReferenced) {
  TempDir dir;
  Registry reg = Registry::create(dir / "reg");
  const auto esm = write_esm(dir / "esm.safetensors", 4);
  write_esm(dir / "copy.safetensors", 4);  // same bytes, other file
  reg.add(make_source("a", esm, write_artifact(dir / "ma.safetensors", 1)));
  reg.add(make_source("b", dir / "copy.safetensors", write_artifact(dir / "mb.safetensors", 2)));
  EXPECT_EQ(files_under(dir / "reg" / "blobs").size(), 3u);  // one shared ESM, two means

  const RemoveResult r = reg.remove({"a"});
  EXPECT_EQ(r.removed, (std::vector<std::string>{"a"}));
  EXPECT_EQ(r.blobs_deleted, 1);  // a's mean only; the ESM is still b's
  EXPECT_EQ(files_under(dir / "reg" / "blobs").size(), 2u);
  EXPECT_NO_THROW(reg.open_artifact(reg.get("b"), "esm"));

  reg.remove({"b"});
  EXPECT_TRUE(files_under(dir / "reg" / "blobs").empty());
  EXPECT_EQ(reg.count(), 0);
  EXPECT_EQ(sql(dir / "reg", "SELECT COUNT(*) FROM artifacts"), "0|");
}

// open_artifact hands out only what was stored: a blob whose bytes changed since (one bit, the
// file still readable) is refused naming the source, the blob and what to run; a file outside
// a registry is not a blob and check_blob_bytes leaves it alone.
TEST(RegistryIndex, OpenArtifactRefusesABlobWhoseBytesChanged) {
  TempDir dir;
  Registry reg = Registry::create(dir / "reg");
  const SourceRecord a = reg.add(make_source("a", write_esm(dir / "esm.safetensors", 3)));
  EXPECT_NO_THROW(check_blob_bytes(dir / "esm.safetensors", "esm"));
  const std::filesystem::path blob = reg.blob_path(a.artifacts.at("esm").digest);
  std::filesystem::permissions(blob, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  std::string bytes = testing::read_text(blob);
  bytes[bytes.size() - 8] ^= 1;
  testing::write_text(blob, bytes);
  EXPECT_NO_THROW(SafetensorsFile{blob});
  try {
    reg.open_artifact(a, "esm");
    FAIL() << "a changed blob was opened";
  } catch (const InputError& e) {
    const std::string m = e.what();
    for (const std::string part : {std::string("source \"a\""), "its esm blob " + blob.string(),
                                   std::string("does not match its digest"), std::string("registry verify")})
      EXPECT_NE(m.find(part), std::string::npos) << part << " in " << m;
  }
}

TEST(RegistryIndex, RemovingAnUnknownNameRemovesNothing) {
  TempDir dir;
  Registry reg = Registry::create(dir / "reg");
  reg.add(make_source("a", write_esm(dir / "esm.safetensors", 2)));
  EXPECT_THROW(reg.remove({"a", "missing"}), InputError);
  EXPECT_EQ(reg.count(), 1);
}

TEST(RegistryIndex, RejectsBadNamesDuplicatesAndNonSafetensorsArtifacts) {
  TempDir dir;
  Registry reg = Registry::create(dir / "reg");
  const auto esm = write_esm(dir / "esm.safetensors", 2);
  reg.add(make_source("a", esm));
  try {
    reg.add(make_source("a", esm));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("already registered"), std::string::npos) << e.what();
  }
  EXPECT_THROW(reg.add(make_source("", esm)), InputError);
  EXPECT_THROW(reg.add(make_source("tab\tname", esm)), InputError);
  // Invalid UTF-8 would make every later JSON listing fail (rank --json, registry list --json).
  try {
    reg.add(make_source("bad\xff", esm));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("valid UTF-8"), std::string::npos) << e.what();
  }
  EXPECT_THROW(reg.add(make_source("half \xc3", esm)), InputError);  // a truncated sequence
  // "1" would shadow id 1 in `registry show 1`; "../../x" is a path, not a name.
  for (const char* bad : {"1", "007", "../../x", "a/b", "a\\b", ".", ".."}) {
    EXPECT_THROW(reg.add(make_source(bad, esm)), InputError) << bad;
    EXPECT_THROW(check_source_name(bad), InputError) << bad;
  }
  reg.add(make_source("sst2", esm));  // digits with a letter are a name
  EXPECT_EQ(reg.get("sst2").name, "sst2");
  EXPECT_TRUE(reg.remove({"sst2"}).removed.size() == 1);
  reg.add(make_source("caf\xc3\xa9", esm));  // valid UTF-8 is fine
  EXPECT_TRUE(reg.remove({"caf\xc3\xa9"}).removed.size() == 1);
  auto bad_kind = make_source("c", esm);
  bad_kind.artifact_files["Bad Kind"] = esm;
  EXPECT_THROW(reg.add(bad_kind), InputError);
  // An ESM must be in the shared format and belong to the source's base model.
  try {
    reg.add(make_source("f", write_esm(dir / "other.safetensors", 2, 1, sha256_hex("another base"))));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("trained for base model"), std::string::npos) << e.what();
  }
  auto not_esm = make_source("g", esm);
  not_esm.artifact_files["esm"] = write_artifact(dir / "plain.safetensors", 1);
  EXPECT_THROW(reg.add(not_esm), InputError);
  testing::write_text(dir / "junk.safetensors", "not a safetensors file at all");
  EXPECT_THROW(reg.add(make_source("d", dir / "junk.safetensors")), InputError);
  EXPECT_THROW(reg.add(make_source("e", dir / "absent.safetensors")), IoError);
  EXPECT_EQ(reg.count(), 1);
  // Nothing of the failed additions stays behind: only a's blob.
  EXPECT_EQ(files_under(dir / "reg" / "blobs").size(), 1u);
}

TEST(RegistryIndex, HalfPrecisionEsmsAreAcceptedAndNonFiniteOnesRefused) {
  TempDir dir;
  Registry reg = Registry::create(dir / "reg");
  const auto f32 = write_esm(dir / "esm.safetensors", 3);
  const SafetensorsFile file(f32);
  for (const DType dtype : {DType::F16, DType::BF16}) {
    const auto half = dir / (std::string(dtype_name(dtype)) + ".safetensors");
    write_safetensors(half, {{"weight", file.get("weight").to(dtype)}, {"bias", file.get("bias").to(dtype)}},
                      file.metadata());
    reg.add(make_source(std::string("h") + std::string(dtype_name(dtype)), half));
  }
  EXPECT_EQ(reg.count(), 2);
  // A value F16 cannot hold is stored as infinity: refused like a non-finite F32 value.
  Array w = file.get("weight").to(DType::F16);        // an owned copy
  std::memcpy(w.mutable_bytes() + 2, "\x00\x7c", 2);  // +inf in IEEE half
  write_safetensors(dir / "inf.safetensors", {{"weight", w}, {"bias", file.get("bias").to(DType::F16)}},
                    file.metadata());
  try {
    reg.add(make_source("inf", dir / "inf.safetensors"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite value at flat index 1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(reg.count(), 2);
}

TEST(RegistryIndex, DamagedRowsAreListedWithTheirDefectNotThrown) {
  TempDir dir;
  {
    Registry reg = Registry::create(dir / "reg");
    reg.add(make_source("good", write_esm(dir / "e1.safetensors", 2)));
    reg.add(make_source("bad", write_esm(dir / "e2.safetensors", 3)));
  }
  sql(dir / "reg", "UPDATE sources SET label_names = '{oops' WHERE name = 'bad'");
  Registry reg = Registry::open(dir / "reg");
  const auto all = reg.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "bad");
  EXPECT_NE(all[0].defect.find("label_names"), std::string::npos);
  EXPECT_EQ(all[1].defect, "");
  try {
    reg.open_artifact(all[0], "esm");
    FAIL();
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("\"bad\""), std::string::npos) << m;
    EXPECT_NE(m.find("registry rm"), std::string::npos) << m;
  }
}

TEST(RegistryIndex, MissingBlobIsReportedNamingTheSourceAndTheFix) {
  TempDir dir;
  Registry reg = Registry::create(dir / "reg");
  const auto s = reg.add(make_source("lost", write_esm(dir / "e.safetensors", 2)));
  fs::remove(reg.blob_path(s.artifacts.at("esm").digest));
  try {
    reg.open_artifact(reg.get("lost"), "esm");
    FAIL();
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("\"lost\""), std::string::npos) << m;
    EXPECT_NE(m.find("missing"), std::string::npos) << m;
    EXPECT_NE(m.find("registry verify"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace taskscout
