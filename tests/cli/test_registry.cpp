// End-to-end tests of `taskscout registry …` and `taskscout register`: output contracts,
// the stored mean embedding against `taskscout embed`, two register processes at once,
// and bad input.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "taskscout/core/sha256.hpp"
#include "taskscout/io/safetensors.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_taskscout;
using testing::TempDir;

void write_esm(const fs::path& path, std::int64_t d, float scale, const std::string& base = "") {
  Array w(DType::F32, {d, d}), b(DType::F32, {d});
  for (std::int64_t i = 0; i < d; ++i) w.mutable_values<float>()[i * d + i] = scale;
  write_safetensors(path, {{"weight", w}, {"bias", b}},
                    {{"format", "taskscout-esm"}, {"version", "1"}, {"base_fingerprint", base}});
}

void expect_one_error_line(const testing::CommandResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

// Runs SQL on a registry's index behind its back, as a damaged or tampered index would be.
int run_sql(const fs::path& registry, const std::string& statement) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open((registry / "registry.sqlite").c_str(), &db);
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc;
}

class RegistryCli : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_fixture_model(dir / "bert", "bert");
    for (int i = 0; i < 4; ++i) write_esm(dir / ("esm" + std::to_string(i) + ".safetensors"), 32, 1.0f + i);
    std::string csv = "text,label\n";
    const char* texts[] = {"the movie was very good !", "bad film", "not a good movie", "a very bad film .", "good"};
    for (int i = 0; i < 30; ++i) csv += fmt_row(texts[i % 5], i % 5 == 0 || i % 5 == 4 ? "pos" : "neg");
    testing::write_text(dir / "src.csv", csv);
    ASSERT_EQ(run_taskscout("registry init " + q(dir / "reg")).exit_code, 0);
  }
  static std::string fmt_row(const std::string& text, const std::string& label) {
    return "\"" + text + "\"," + label + "\n";
  }
  std::string q(const fs::path& p) const { return "'" + p.string() + "'"; }
  std::string reg() const { return q(dir / "reg"); }
  testing::CommandResult do_register(const std::string& name, int esm, const std::string& extra = "") {
    return run_taskscout("register --registry " + reg() + " --base " + q(dir / "bert") + " --esm " +
                         q(dir / ("esm" + std::to_string(esm) + ".safetensors")) + " --name " + name + " " + extra);
  }
  TempDir dir;
};

TEST_F(RegistryCli, RegisterWithSourceStoresLabelsAndTheBaseMeanEmbedding) {
  auto r = do_register("sst", 0,
                       "--source " + q(dir / "src.csv") + " --dev-metrics '{\"accuracy\": 0.75}' --threads 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json added = json::parse(r.out);
  EXPECT_EQ(added["name"], "sst");
  EXPECT_EQ(added["task"], "classification");
  EXPECT_EQ(added["dataset_size"], 30);
  EXPECT_EQ(added["artifacts"]["esm"]["digest"], sha256_file_hex(dir / "esm0.safetensors"));

  auto show = run_taskscout("registry show " + reg() + " sst --json");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  const json s = json::parse(show.out);
  EXPECT_EQ(s["label_names"], json({"neg", "pos"}));
  EXPECT_EQ(s["provenance"]["embedding"]["pooling"], "mean");
  EXPECT_EQ(s["provenance"]["embedding"]["texts"], 30);
  EXPECT_EQ(s["dev_metrics"]["accuracy"], 0.75);

  // The stored mean equals the mean of `taskscout embed`'s rows for the same texts.
  auto e = run_taskscout("embed --model " + q(dir / "bert") + " --data " + q(dir / "src.csv") +
                         " --pooling mean --threads 1 --out " + q(dir / "rows.safetensors"));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const Array rows = SafetensorsFile(dir / "rows.safetensors").get("embeddings");
  const std::string digest = s["artifacts"]["mean_embedding"]["digest"];
  const fs::path blob = dir / "reg" / "blobs" / digest.substr(0, 2) / (digest + ".safetensors");
  const SafetensorsFile mean_file(blob);
  EXPECT_EQ(mean_file.metadata().at("format"), "taskscout-mean-embedding");
  const Array mean = mean_file.get("mean");
  ASSERT_EQ(mean.shape(), (std::vector<std::int64_t>{32}));
  const auto m = mean.values<float>();
  const auto v = rows.values<float>();
  for (int j = 0; j < 32; ++j) {
    double sum = 0;
    for (int i = 0; i < 30; ++i) sum += v[i * 32 + j];
    EXPECT_NEAR(m[j], sum / 30, 1e-5) << j;
  }
}

TEST_F(RegistryCli, RegisterAcceptsAnF16Esm) {
  // Half the bytes per source for a registry that rank streams; stored as given.
  auto c = run_taskscout("esm convert --dtype f16 " + q(dir / "esm1.safetensors") + " " + q(dir / "esm1h.safetensors"));
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto r = run_taskscout("register --registry " + reg() + " --base " + q(dir / "bert") + " --esm " +
                         q(dir / "esm1h.safetensors") + " --name half --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json added = json::parse(r.out);
  const std::string digest = added["artifacts"]["esm"]["digest"];
  EXPECT_EQ(digest, sha256_file_hex(dir / "esm1h.safetensors"));
  const SafetensorsFile blob(dir / "reg" / "blobs" / digest.substr(0, 2) / (digest + ".safetensors"));
  EXPECT_EQ(blob.entry("weight").dtype, "F16");
  EXPECT_EQ(run_taskscout("registry verify " + reg()).exit_code, 0);
}

TEST_F(RegistryCli, ListExportImportVerifyRm) {
  for (int i = 0; i < 2; ++i) ASSERT_EQ(do_register("s" + std::to_string(i), i).exit_code, 0);
  auto list = run_taskscout("registry list " + reg() + " --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const json l = json::parse(list.out);
  EXPECT_EQ(l["count"], 2);
  EXPECT_EQ(l["sources"][1]["name"], "s1");
  auto csv = run_taskscout("registry list " + reg() + " --csv");
  EXPECT_EQ(csv.out.rfind("id,name,task,classes,examples,artifacts,size,base,created,status\n", 0), 0u) << csv.out;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 3);

  ASSERT_EQ(run_taskscout("registry export " + reg() + " " + q(dir / "reg.tsar")).exit_code, 0);
  ASSERT_EQ(run_taskscout("registry init " + q(dir / "copy")).exit_code, 0);
  auto imp = run_taskscout("registry import " + q(dir / "copy") + " " + q(dir / "reg.tsar") + " --json");
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_EQ(json::parse(imp.out)["imported"].size(), 2u);
  auto again = run_taskscout("registry import " + q(dir / "copy") + " " + q(dir / "reg.tsar"));
  expect_one_error_line(again, "--rename");
  auto copy_list = json::parse(run_taskscout("registry list " + q(dir / "copy") + " --json").out);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(copy_list["sources"][i]["name"], l["sources"][i]["name"]);
    EXPECT_EQ(copy_list["sources"][i]["artifacts"], l["sources"][i]["artifacts"]);
  }

  // A lost blob: verify names its source (only it) and fails; the fix it names works.
  const std::string digest = sha256_file_hex(dir / "esm1.safetensors");
  fs::remove(dir / "reg" / "blobs" / digest.substr(0, 2) / (digest + ".safetensors"));
  auto bad = run_taskscout("registry verify " + reg());
  EXPECT_NE(bad.out.find("missing_blob"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("s1"), std::string::npos) << bad.out;
  EXPECT_EQ(bad.out.find("s0"), std::string::npos) << bad.out;
  expect_one_error_line(bad, "1 problem");
  auto rm = run_taskscout("registry rm " + reg() + " s1 --json");
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(json::parse(rm.out)["removed"], json({"s1"}));
  auto good = run_taskscout("registry verify " + reg() + " --json");
  EXPECT_EQ(good.exit_code, 0) << good.out;
  EXPECT_EQ(json::parse(good.out)["sources"], 1);
}

TEST_F(RegistryCli, ATamperedDigestIsReportedAndRmDeletesNothingOutsideTheRegistry) {
  ASSERT_EQ(do_register("s0", 0).exit_code, 0);
  fs::create_directories(dir / "keep");
  testing::write_text(dir / "keep" / "notes.safetensors", "my notes");
  ASSERT_EQ(run_sql(dir / "reg", "UPDATE artifacts SET digest = '../keep/notes' WHERE kind = 'esm'"), SQLITE_OK);

  auto verify = run_taskscout("registry verify " + reg());
  EXPECT_NE(verify.out.find("bad_row"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("s0"), std::string::npos) << verify.out;
  EXPECT_EQ(verify.out.find("missing_blob"), std::string::npos) << verify.out;  // no path built from the digest
  expect_one_error_line(verify, "2 problem");  // the bad row, and s0's real blob, now an orphan
  auto show = run_taskscout("registry show " + reg() + " s0");
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("malformed"), std::string::npos) << show.out;
  expect_one_error_line(run_taskscout("registry export " + reg() + " " + q(dir / "out.tsar")), "damaged index row");
  EXPECT_FALSE(fs::exists(dir / "out.tsar"));

  auto rm = run_taskscout("registry rm " + reg() + " s0");
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(testing::read_text(dir / "keep" / "notes.safetensors"), "my notes");
  EXPECT_EQ(run_taskscout("registry gc " + reg()).exit_code, 0);
  EXPECT_EQ(testing::read_text(dir / "keep" / "notes.safetensors"), "my notes");
  EXPECT_EQ(run_taskscout("registry verify " + reg()).exit_code, 0);
}

TEST_F(RegistryCli, ExportNeverOverwritesTheRegistryOrAFileTaskscoutDidNotWrite) {
  ASSERT_EQ(do_register("s0", 0).exit_code, 0);
  const std::string index = testing::read_text(dir / "reg" / "registry.sqlite");
  // The probe's case: the archive written over the registry's own index.
  for (const std::string force : {"", " --force"}) {
    expect_one_error_line(run_taskscout("registry export " + reg() + " " + q(dir / "reg" / "registry.sqlite") + force),
                          "an input of this command");
    expect_one_error_line(run_taskscout("registry export " + reg() + " " + q(dir / "reg" / "blobs" / "x.tsar") + force),
                          "inside the registry");
  }
  EXPECT_EQ(testing::read_text(dir / "reg" / "registry.sqlite"), index);
  EXPECT_EQ(run_taskscout("registry verify " + reg()).exit_code, 0);
  // Another registry's files are refused too.
  ASSERT_EQ(run_taskscout("registry init " + q(dir / "other")).exit_code, 0);
  expect_one_error_line(
      run_taskscout("registry export " + reg() + " " + q(dir / "other" / "registry.sqlite") + " --force"),
      "inside the registry");
  // A file taskscout did not write: refused unless --force.
  testing::write_text(dir / "data.csv", "text,label\nhello,1\n");
  expect_one_error_line(run_taskscout("registry export " + reg() + " " + q(dir / "data.csv")), "--force");
  EXPECT_EQ(testing::read_text(dir / "data.csv"), "text,label\nhello,1\n");
  EXPECT_EQ(run_taskscout("registry export " + reg() + " " + q(dir / "data.csv") + " --force").exit_code, 0);
  // An earlier archive is replaced without --force, as before.
  EXPECT_EQ(run_taskscout("registry export " + reg() + " " + q(dir / "data.csv")).exit_code, 0);
  EXPECT_EQ(run_taskscout("registry import " + q(dir / "other") + " " + q(dir / "data.csv")).exit_code, 0);
}

TEST_F(RegistryCli, NamesMustBeUtf8AndOldBadNamesNeverBreakJson) {
  expect_one_error_line(do_register("'bad\xff'", 0), "valid UTF-8");
  expect_one_error_line(do_register("1", 0), "all digits");
  expect_one_error_line(do_register("../../x", 0), "must not contain '/'");
  ASSERT_EQ(do_register("s0", 0).exit_code, 0);
  // A name stored by an earlier version (or behind taskscout's back): the JSON still prints.
  ASSERT_EQ(run_sql(dir / "reg", "UPDATE sources SET name = CAST(X'626164FF' AS TEXT)"), SQLITE_OK);
  auto list = run_taskscout("registry list " + reg() + " --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(json::parse(list.out)["sources"][0]["name"], "bad\xef\xbf\xbd");
  auto rank = run_taskscout("rank --registry " + reg() + " --target " + q(dir / "src.csv") + " --base " +
                            q(dir / "bert") + " --method esm-logme --threads 1 --json");
  ASSERT_EQ(rank.exit_code, 0) << rank.err;
  EXPECT_EQ(json::parse(rank.out)["ranking"][0]["source"], "bad\xef\xbf\xbd");
}

TEST_F(RegistryCli, InitOnAFullDiskLeavesNothingAndListAndInitAgree) {
  // A 2 KiB file-size limit fails the index's first write, as a full disk does.
  const std::string cmd = "trap '' XFSZ; ulimit -f 2; '" + testing::taskscout_binary().string() + "' registry init " +
                          q(dir / "full") + " 2>" + q(dir / "err.txt");
  testing::write_text(dir / "full.sh", cmd + "\n");
  EXPECT_NE(std::system(("bash " + q(dir / "full.sh")).c_str()), 0);
  const std::string err = testing::read_text(dir / "err.txt");
  EXPECT_EQ(err.rfind("error: ", 0), 0u) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("nothing was"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir / "full"));
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_FALSE(e.path().filename().string().starts_with(".full")) << e.path();  // no staging folder left
  expect_one_error_line(run_taskscout("registry list " + q(dir / "full")), "registry init");
  ASSERT_EQ(run_taskscout("registry init " + q(dir / "full")).exit_code, 0);
  EXPECT_EQ(json::parse(run_taskscout("registry list " + q(dir / "full") + " --json").out)["count"], 0);
}

TEST_F(RegistryCli, TwoRegisterProcessesAtOnceBothSucceed) {
  const std::string bin = "'" + testing::taskscout_binary().string() + "'";
  std::string script;
  for (int p = 0; p < 2; ++p)
    script += "( for i in 0 1; do " + bin + " register --registry " + reg() + " --base " + q(dir / "bert") + " --esm " +
              q(dir / ("esm" + std::to_string(p) + ".safetensors")) + " --name p" + std::to_string(p) +
              "-$i --source " + q(dir / "src.csv") + " --threads 1 >/dev/null || exit 1; done ) &\npid" +
              std::to_string(p) + "=$!\n";
  script += "wait $pid0 && wait $pid1\n";
  testing::write_text(dir / "both.sh", script);
  ASSERT_EQ(std::system(("bash " + q(dir / "both.sh")).c_str()), 0);
  const json l = json::parse(run_taskscout("registry list " + reg() + " --json").out);
  EXPECT_EQ(l["count"], 4);
  for (const auto& s : l["sources"])
    EXPECT_EQ(s["artifacts"].size(), 3u) << s["name"];  // esm, mean_embedding, vocabulary
}

TEST_F(RegistryCli, BadInputAndAFullDiskAreOneClearLineAndLeaveNothing) {
  expect_one_error_line(run_taskscout("register --registry " + q(dir / "nothing") + " --base " + q(dir / "bert") +
                                      " --esm " + q(dir / "esm0.safetensors") + " --name a"),
                        "registry init");
  write_esm(dir / "small.safetensors", 8, 1);
  expect_one_error_line(run_taskscout("register --registry " + reg() + " --base " + q(dir / "bert") + " --esm " +
                                      q(dir / "small.safetensors") + " --name a"),
                        "hidden size 32");
  write_esm(dir / "other.safetensors", 32, 1, sha256_hex("another base"));
  expect_one_error_line(run_taskscout("register --registry " + reg() + " --base " + q(dir / "bert") + " --esm " +
                                      q(dir / "other.safetensors") + " --name a"),
                        "trained for base model");
  expect_one_error_line(do_register("a", 0, "--method lora"), "not both");
  ASSERT_EQ(do_register("a", 0).exit_code, 0);
  expect_one_error_line(do_register("a", 1), "already registered");
  expect_one_error_line(run_taskscout("registry show " + reg() + " zzz"), "no source named \"zzz\"");
  {
    // A 2 KiB file-size limit makes writes fail as on a full disk (EFBIG instead of ENOSPC).
    const std::string cmd = "trap '' XFSZ; ulimit -f 2; '" + testing::taskscout_binary().string() +
                            "' register --registry " + reg() + " --base " + q(dir / "bert") + " --esm " +
                            q(dir / "esm0.safetensors") + " --name big 2>" + q(dir / "err.txt");
    testing::write_text(dir / "full.sh", cmd + "\n");
    EXPECT_NE(std::system(("bash " + q(dir / "full.sh")).c_str()), 0);
    const std::string err = testing::read_text(dir / "err.txt");
    // SQLite's shared-memory file (32 KiB) hits the limit first: the index cannot be opened
    // for writing. The library test AFullDiskNamesThePathAndWritesNothing fails the blob write.
    EXPECT_EQ(err.rfind("error: " + (dir / "reg").string(), 0), 0u) << err;
    EXPECT_NE(err.find("File too large"), std::string::npos) << err;
    EXPECT_NE(err.find("nothing was"), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
  // Failed registrations left nothing behind: one source, no orphan blob.
  auto v = run_taskscout("registry verify " + reg() + " --json");
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_EQ(json::parse(v.out)["sources"], 1);
}

}  // namespace
}  // namespace taskscout
