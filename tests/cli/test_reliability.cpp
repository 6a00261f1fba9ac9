// End-to-end regression tests for issue 11's data-loss paths that need a trained model:
// weights holding NaN or Inf are refused when loaded, naming the file and the tensor
// (embed, predict, evaluate; rank skips such a source); rank skips a source whose model
// blob no longer matches its digest; a LoRA or adapter folder refuses a base other than
// the one it was trained on.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "taskscout/core/sha256.hpp"
#include "taskscout/io/model_fingerprint.hpp"
#include "taskscout/io/safetensors.hpp"
#include "test_support.hpp"
#include "word_tasks.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::run_taskscout;
using testing::TempDir;
using testing::word_task_csv;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// Overwrites the first value of the F32 tensor `tensor` (or, for an empty name, of the
// first tensor whose name contains `part`) in place; returns the tensor's name.
std::string poison(const fs::path& file, const std::string& part, float value) {
  std::size_t offset = 0;
  std::string name;
  {
    const SafetensorsFile f(file);
    for (const auto& e : f.entries())
      if (e.name.find(part) != std::string::npos && e.dtype == "F32") {
        name = e.name;
        std::ifstream in(file, std::ios::binary);
        std::uint64_t header = 0;
        in.read(reinterpret_cast<char*>(&header), 8);
        offset = 8 + header + e.begin;
        break;
      }
  }
  EXPECT_FALSE(name.empty()) << part << " in " << file;
  fs::permissions(file, fs::perms::owner_write, fs::perm_options::add);
  std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
  io.seekp(static_cast<std::streamoff>(offset));
  io.write(reinterpret_cast<const char*>(&value), sizeof value);
  return name;
}

void sql(const fs::path& db_file, const std::string& statement) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

fs::path blob(const fs::path& reg, const std::string& digest) {
  return reg / "blobs" / digest.substr(0, 2) / (digest + ".safetensors");
}

class Reliability : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_word_base(tmp / "base");
    testing::write_text(tmp / "source.csv", word_task_csv(60, 1, false));
    testing::write_text(tmp / "dev.csv", word_task_csv(20, 2, false));
    testing::write_text(tmp / "target.csv", word_task_csv(40, 4, false));
  }
  std::string train(const std::string& method, const fs::path& out) const {
    return "train --model " + q(tmp / "base") + " --train " + q(tmp / "source.csv") + " --dev " + q(tmp / "dev.csv") +
           " --method " + method + " --out " + q(out) +
           " --epochs 1 --batch-size 8 --seed 3 --threads 1 --learning-rate 0.01" +
           (method == "adapter" ? " --adapter houlsby --reduction-factor 2" : "");
  }
  TempDir tmp;
};

TEST_F(Reliability, WeightsHoldingNanOrInfAreRefusedNamingTheFileAndTheTensor) {
  // A base whose query weights hold NaN: embed wrote an all-NaN array with exit 0.
  fs::copy(tmp / "base", tmp / "nan_base");
  const std::string query =
      poison(tmp / "nan_base" / "model.safetensors", "encoder.layer.0.attention.self.query.weight",
             std::numeric_limits<float>::quiet_NaN());
  auto r = run_taskscout("embed --model " + q(tmp / "nan_base") + " --data " + q(tmp / "target.csv") + " --out " +
                         q(tmp / "x.npy"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("model.safetensors: tensor " + query + " holds NaN; the model is damaged"), std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "x.npy"));

  // A full fine-tuned model whose classifier holds Inf: predict and evaluate refuse it.
  ASSERT_EQ(run_taskscout(train("full", tmp / "full")).exit_code, 0);
  const std::string classifier =
      poison(tmp / "full" / "model.safetensors", "classifier.weight", std::numeric_limits<float>::infinity());
  for (const std::string command : {"predict", "evaluate"}) {
    r = run_taskscout(command + " --model " + q(tmp / "full") + " --data " + q(tmp / "target.csv") +
                      (command == "predict" ? " --out " + q(tmp / "p.npy") : ""));
    EXPECT_EQ(r.exit_code, 1) << command << r.err;
    EXPECT_NE(r.err.find("tensor " + classifier + " holds an infinite value"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(tmp / "p.npy"));

  // LoRA and adapter tensors are checked too.
  ASSERT_EQ(run_taskscout(train("lora", tmp / "lora")).exit_code, 0);
  const std::string lora =
      poison(tmp / "lora" / "adapter_model.safetensors", "lora_B", std::numeric_limits<float>::quiet_NaN());
  r = run_taskscout("evaluate --model " + q(tmp / "lora") + " --data " + q(tmp / "target.csv"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("adapter_model.safetensors: tensor " + lora + " holds NaN"), std::string::npos) << r.err;
  ASSERT_EQ(run_taskscout(train("adapter", tmp / "adapter")).exit_code, 0);
  const std::string down =
      poison(tmp / "adapter" / "adapter.safetensors", "adapter_down", std::numeric_limits<float>::quiet_NaN());
  r = run_taskscout("evaluate --model " + q(tmp / "adapter") + " --data " + q(tmp / "target.csv"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("tensor " + down + " holds NaN"), std::string::npos) << r.err;
}

// rank loads each source's stored model: one whose blob bytes changed since it was stored is
// skipped saying so (only `verify` noticed), one whose weights hold NaN (its digest made to
// match, as if registered so) is skipped naming the tensor; the others are ranked.
TEST_F(Reliability, RankSkipsASourceWhoseModelBlobIsTamperedOrHoldsNan) {
  const fs::path reg = tmp / "reg";
  ASSERT_EQ(run_taskscout("registry init " + q(reg)).exit_code, 0);
  for (const char* name : {"good", "tampered", "damaged"}) {
    const auto r = run_taskscout("register --registry " + q(reg) + " --base " + q(tmp / "base") + " --name " + name +
                                 " --source " + q(tmp / "source.csv") +
                                 " --method lora --epochs 1 --train-batch-size 8 --seed 3 --threads 1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto list = nlohmann::json::parse(run_taskscout("registry list " + q(reg) + " --json").out)["sources"];
  std::map<std::string, std::string> digest;
  for (const auto& s : list) digest[s["name"]] = s["artifacts"]["lora"]["digest"];
  // The three trained alike, so they share one blob: give two their own copies first.
  for (const char* name : {"tampered", "damaged"}) {
    const std::string old = digest[name];
    const fs::path copy = tmp / (std::string(name) + ".safetensors");
    fs::copy_file(blob(reg, old), copy);
    poison(copy, "lora_A", name == std::string("tampered") ? 0.125f : std::numeric_limits<float>::quiet_NaN());
    const std::string fresh = sha256_file_hex(copy);
    fs::create_directories(blob(reg, fresh).parent_path());
    fs::rename(copy, blob(reg, fresh));
    sql(reg / "registry.sqlite", "UPDATE artifacts SET digest = '" + fresh +
                                     "' WHERE kind = 'lora' AND source_id = (SELECT id FROM sources "
                                     "WHERE name = '" +
                                     name + "')");
    digest[name] = fresh;
  }
  // Tampered: a byte of its blob changes after it was stored.
  poison(blob(reg, digest["tampered"]), "lora_A", 0.25f);

  const auto r = run_taskscout("rank --registry " + q(reg) + " --target " + q(tmp / "target.csv") + " --base " +
                               q(tmp / "base") + " --method logme --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["ranking"].size(), 1u) << r.out;
  EXPECT_EQ(j["ranking"][0]["source"], "good");
  ASSERT_EQ(j["skipped"].size(), 2u) << r.out;
  std::map<std::string, std::string> reason;
  for (const auto& s : j["skipped"]) reason[s["source"]] = s["reason"];
  EXPECT_NE(reason["tampered"].find("does not match its digest"), std::string::npos) << reason["tampered"];
  EXPECT_NE(reason["tampered"].find("run `taskscout registry verify"), std::string::npos) << reason["tampered"];
  EXPECT_NE(reason["damaged"].find("holds NaN; the model is damaged"), std::string::npos) << reason["damaged"];

  // verify agrees about the tampered blob, and only it.
  const auto v = run_taskscout("registry verify " + q(reg) + " --json");
  EXPECT_NE(v.exit_code, 0);
  EXPECT_NE(v.out.find(digest["tampered"]), std::string::npos) << v.out;
  EXPECT_EQ(v.out.find(digest["damaged"]), std::string::npos) << v.out;
}

TEST_F(Reliability, LoraAndAdapterFoldersRefuseABaseOtherThanTheirs) {
  // Another base of the same shapes: one weight differs.
  fs::copy(tmp / "base", tmp / "other");
  poison(tmp / "other" / "model.safetensors", "encoder.layer.1.output.dense.weight", 0.5f);
  const std::string theirs = base_model_fingerprint(tmp / "base");
  for (const std::string method : {"lora", "adapter"}) {
    const fs::path out = tmp / method;
    ASSERT_EQ(run_taskscout(train(method, out)).exit_code, 0) << method;
    const auto sidecar = nlohmann::json::parse(testing::read_text(out / "taskscout.json"));
    EXPECT_EQ(sidecar.value("base_fingerprint", ""), theirs) << sidecar.dump();

    auto r = run_taskscout("evaluate --model " + q(out) + " --base " + q(tmp / "other") + " --data " +
                           q(tmp / "target.csv"));
    EXPECT_EQ(r.exit_code, 1) << method << r.err;
    EXPECT_NE(r.err.find("trained on the base with fingerprint " + theirs), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("pass --base with the base it was trained on"), std::string::npos) << r.err;
    // A copy of the right base is the right base.
    fs::copy(tmp / "base", tmp / (method + "-copy"));
    r = run_taskscout("evaluate --model " + q(out) + " --base " + q(tmp / (method + "-copy")) + " --data " +
                      q(tmp / "target.csv"));
    EXPECT_EQ(r.exit_code, 0) << r.err;

    // A folder without the field (older, or another tool's) still loads on any base.
    auto older = sidecar;
    older.erase("base_fingerprint");
    testing::write_text(out / "taskscout.json", older.dump(2));
    r = run_taskscout("evaluate --model " + q(out) + " --base " + q(tmp / "other") + " --data " +
                      q(tmp / "target.csv"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // A malformed one is refused.
    older["base_fingerprint"] = "deadbeef";
    testing::write_text(out / "taskscout.json", older.dump(2));
    r = run_taskscout("evaluate --model " + q(out) + " --data " + q(tmp / "target.csv"));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("base_fingerprint"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace taskscout
