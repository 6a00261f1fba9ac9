// registry verify and garbage collection: every kind of damage is found, named by source
// and file, and a healthy registry verifies clean.
#include <gtest/gtest.h>

#include "registry_fixtures.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/registry/staging.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::make_source;
using testing::TempDir;
using testing::write_artifact;
using testing::write_esm;

const RegistryProblem* find_problem(const VerifyResult& v, const std::string& kind) {
  for (const auto& p : v.problems)
    if (p.kind == kind) return &p;
  return nullptr;
}

class Verify : public ::testing::Test {
 protected:
  void SetUp() override {
    a = reg.add(make_source("a", write_esm(dir / "ea.safetensors", 3), write_artifact(dir / "ma.safetensors", 1)));
    b = reg.add(make_source("b", write_esm(dir / "eb.safetensors", 4), write_artifact(dir / "mb.safetensors", 2)));
  }
  fs::path blob(const SourceRecord& s, const std::string& kind) { return reg.blob_path(s.artifacts.at(kind).digest); }

  TempDir dir;
  Registry reg = Registry::create(dir / "reg");
  SourceRecord a, b;
};

TEST_F(Verify, HealthyRegistryVerifiesClean) {
  const VerifyResult v = reg.verify();
  EXPECT_TRUE(v.ok()) << v.problems.at(0).detail;
  EXPECT_EQ(v.sources, 2);
  EXPECT_EQ(v.blobs, 4);
}

TEST_F(Verify, FindsAMissingBlob) {
  fs::remove(blob(a, "esm"));
  const VerifyResult v = reg.verify({.check_content = false});
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0].kind, "missing_blob");
  EXPECT_EQ(v.problems[0].source, "a");
  EXPECT_EQ(v.problems[0].artifact, "esm");
  EXPECT_EQ(v.problems[0].path, blob(a, "esm").string());
  EXPECT_NE(v.problems[0].detail.find("registry rm"), std::string::npos);
}

TEST_F(Verify, FindsABlobWhoseContentChanged) {
  // One flipped byte in the tensor data: still a readable safetensors file, wrong hash.
  const fs::path p = blob(b, "mean_embedding");
  std::string bytes = testing::read_text(p);
  bytes.back() ^= 1;
  testing::write_text(p, bytes);
  EXPECT_TRUE(reg.verify({.check_content = false}).ok());  // the quick check does not read content
  const VerifyResult v = reg.verify();
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0].kind, "corrupt_blob");
  EXPECT_EQ(v.problems[0].source, "b");
  EXPECT_EQ(v.problems[0].artifact, "mean_embedding");
}

TEST_F(Verify, FindsAnUnreadableBlobThatStillHashesToItsName) {
  // Replace a blob by garbage named after the garbage's own digest, and point the row at it.
  fs::create_directories(dir / "x");
  testing::write_text(dir / "x" / "g", "this is not safetensors");
  const std::string digest = sha256_file_hex(dir / "x" / "g");
  fs::create_directories(reg.blob_path(digest).parent_path());
  fs::copy_file(dir / "x" / "g", reg.blob_path(digest));
  {
    Registry other = Registry::open(dir / "reg");
    NewSource s = make_source("c", write_esm(dir / "ec.safetensors", 2));
    other.add(s);
  }
  // Re-point c's esm at the garbage, as a damaged or foreign write would.
  ASSERT_EQ(testing::sql(dir / "reg", "UPDATE artifacts SET digest = '" + digest +
                                          "' WHERE source_id = (SELECT id FROM sources WHERE name = 'c')"),
            "");
  const VerifyResult v = reg.verify();
  const RegistryProblem* p = find_problem(v, "unreadable_blob");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->source, "c");
  EXPECT_NE(find_problem(v, "orphan_file"), nullptr);  // c's real ESM blob is now unreferenced
}

TEST_F(Verify, FindsOrphanFilesAndGarbageCollectionDeletesThemOnly) {
  fs::create_directories(dir / "reg" / "blobs" / "00");
  const fs::path orphan = dir / "reg" / "blobs" / "00" / (std::string(64, '0') + ".safetensors");
  testing::write_text(orphan, "left behind");
  testing::write_text(dir / "reg" / "blobs" / ".incoming-123", "an interrupted write");
  const VerifyResult v = reg.verify();
  EXPECT_EQ(v.problems.size(), 2u);
  for (const auto& p : v.problems) {
    EXPECT_EQ(p.kind, "orphan_file");
    EXPECT_EQ(p.source, "");
    EXPECT_NE(p.detail.find("registry gc"), std::string::npos);
  }
  const GarbageResult g = reg.collect_garbage();
  EXPECT_EQ(g.files_deleted, 2);
  EXPECT_FALSE(fs::exists(orphan));
  EXPECT_TRUE(reg.verify().ok());
  EXPECT_EQ(reg.list().size(), 2u);
}

// register --pool stages artifact files inside the registry: a killed job's leftovers are no
// damage to verify, and gc deletes them, but never the files of a run still going.
TEST_F(Verify, StagingLeftoversAreNoProblemAndGcDeletesThemButNotALiveRun) {
  const StagingRun live(reg.folder());
  testing::write_text(live.path() / "0" / "esm.safetensors", "being prepared");
  const fs::path dead = staging_folder(reg.folder()) / "0123456789abcdef";
  testing::write_text(dead / "2" / "esm.safetensors", "left by a killed job");
  testing::write_text(dead / ".lock", "");
  EXPECT_TRUE(reg.verify().ok());
  const GarbageResult g = reg.collect_garbage();
  EXPECT_EQ(g.files_deleted, 2);  // the file and the dead run's lock
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live.path() / "0" / "esm.safetensors"));
  EXPECT_EQ(reg.list().size(), 2u);
}

TEST_F(Verify, ATamperedDigestNeverNamesAFileOutsideTheRegistry) {
  // The probe: a's esm digest rewritten to "../keep/notes" made verify hash
  // blobs/../../keep/notes.safetensors and rm delete it.
  fs::create_directories(dir / "keep");
  testing::write_text(dir / "keep" / "notes.safetensors", "my notes");
  ASSERT_EQ(testing::sql(dir / "reg",
                         "UPDATE artifacts SET digest = '../keep/notes' WHERE kind = 'esm' AND "
                         "source_id = (SELECT id FROM sources WHERE name = 'a')"),
            "");
  const VerifyResult v = reg.verify();
  const RegistryProblem* p = find_problem(v, "bad_row");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->source, "a");
  EXPECT_NE(p->detail.find("malformed"), std::string::npos) << p->detail;
  EXPECT_NE(p->detail.find("registry rm"), std::string::npos) << p->detail;
  EXPECT_EQ(find_problem(v, "missing_blob"), nullptr);  // no path was built from the digest

  const SourceRecord tampered = *reg.find("a");
  EXPECT_THROW(reg.open_artifact(tampered, "esm"), InputError);
  EXPECT_THROW(reg.blob_path("../keep/notes"), InputError);
  EXPECT_THROW(reg.blob_path(std::string(64, 'A')), InputError);  // uppercase is not the spelling either

  reg.collect_garbage();
  const RemoveResult r = reg.remove({"a"});
  EXPECT_EQ(r.removed, std::vector<std::string>{"a"});
  EXPECT_EQ(testing::read_text(dir / "keep" / "notes.safetensors"), "my notes");
  // a's real esm blob is an orphan now; gc deletes it, nothing outside the store.
  reg.collect_garbage();
  EXPECT_EQ(testing::read_text(dir / "keep" / "notes.safetensors"), "my notes");
  EXPECT_TRUE(reg.verify().ok());
  EXPECT_EQ(reg.list().size(), 1u);
}

TEST_F(Verify, ReportsProgressPerArtifact) {
  std::int64_t calls = 0, last_total = 0;
  reg.verify({.check_content = true, .progress = [&](std::int64_t, std::int64_t total) {
                ++calls;
                last_total = total;
              }});
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(last_total, 4);
}

}  // namespace
}  // namespace taskscout
