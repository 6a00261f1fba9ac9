// End-to-end tests of `taskscout pretrain`: a tiny run whose folder `embed` loads, Ctrl-C
// (SIGINT) leaving a complete checkpoint that --resume continues, and bad corpora.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::read_text;
using testing::run_taskscout;
using testing::TempDir;
using testing::write_text;

std::string tiny_corpus() {
  std::string out;
  for (int r = 0; r < 6; ++r)
    for (const char* a : {"cat", "dog", "bird"})
      for (const char* p : {"mat", "rug", "bed"}) out += std::string("the ") + a + " sat on the " + p + " .\n";
  return out;
}

std::string config(std::int64_t steps, std::int64_t checkpoint_every) {
  return R"({"num_hidden_layers": 1, "hidden_size": 16, "num_attention_heads": 2, "intermediate_size": 32,
    "max_position_embeddings": 16, "vocab_size": 60, "min_frequency": 1, "sequence_length": 8, "batch_size": 4,
    "learning_rate": 0.005, "warmup_steps": 2, "eval_fraction": 0.1, "eval_every": 10, "log_every": 5, "steps": )" +
         std::to_string(steps) + R"(, "checkpoint_every": )" + std::to_string(checkpoint_every) + "}";
}

class PretrainCli : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(tmp / "corpus.txt", tiny_corpus());
    write_text(tmp / "short.json", config(20, 10));
    write_text(tmp / "long.json", config(100000000, 100000000));
  }
  std::string args(const std::string& cfg, const std::string& out) const {
    return "pretrain --config '" + (tmp / cfg).string() + "' --corpus '" + (tmp / "corpus.txt").string() + "' --out '" +
           (tmp / out).string() + "' --threads 1";
  }
  // Starts taskscout with `args` (stderr to err_file), returns its pid.
  pid_t spawn(const std::string& arguments, const fs::path& err_file) const {
    const std::string cmd = "exec '" + testing::taskscout_binary().string() + "' " + arguments +
                            " </dev/null >/dev/null 2>'" + err_file.string() + "'";
    const pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    return pid;
  }
  // Waits until `file` contains `text` (up to 60 s).
  static bool wait_for(const fs::path& file, const std::string& text) {
    for (int i = 0; i < 600; ++i) {
      if (fs::exists(file) && read_text(file).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // Runs the long config until training has begun, then sends SIGINT; returns the exit code.
  int interrupt_run(const std::string& extra, const fs::path& err) const {
    const pid_t pid = spawn(args("long.json", "out") + extra, err);
    EXPECT_TRUE(wait_for(err, "tokens:")) << read_text(err);
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // some steps
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  json state() const { return json::parse(read_text(tmp / "out/trainer_state.json")); }

  TempDir tmp;
};

TEST_F(PretrainCli, TinyRunWritesAFolderEmbedLoads) {
  const auto r = run_taskscout(args("short.json", "out") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["steps"], 20);
  EXPECT_LT(j["eval_loss"].get<double>(), j["log"][0]["loss"].get<double>());  // below the untrained loss
  EXPECT_NE(r.err.find("vocabulary:"), std::string::npos) << r.err;
  write_text(tmp / "data.csv", "text\nthe cat sat\nthe dog sat on the rug .\n");
  const auto e = run_taskscout("embed --model '" + (tmp / "out").string() + "' --data '" + (tmp / "data.csv").string() +
                               "' --out '" + (tmp / "e.npy").string() + "' --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(json::parse(e.out)["d"], 16);
  EXPECT_EQ(json::parse(read_text(tmp / "out/config.json"))["architectures"][0], "BertForMaskedLM");
  // Running again into the finished folder is refused, not overwritten.
  const auto again = run_taskscout(args("short.json", "out"));
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;
}

TEST_F(PretrainCli, CtrlCLeavesACompleteCheckpointThatResumeContinues) {
  const int code = interrupt_run("", tmp / "err1");
  const std::string err = read_text(tmp / "err1");
  EXPECT_NE(code, 0);
  EXPECT_NE(err.find("interrupted after step"), std::string::npos) << err;
  EXPECT_NE(err.find("--resume"), std::string::npos) << err;
  const std::int64_t first = state()["step"].get<std::int64_t>();
  EXPECT_GT(first, 0);
  for (const auto& entry : fs::directory_iterator(tmp.path()))  // no staging folder left behind
    EXPECT_EQ(entry.path().filename().string().rfind(".out", 0), std::string::npos) << entry.path();
  // The interrupted folder is a model embed loads.
  write_text(tmp / "c.csv", "text\n" + tiny_corpus());
  const auto e2 = run_taskscout("embed --model '" + (tmp / "out").string() + "' --data '" + (tmp / "c.csv").string() +
                                "' --out '" + (tmp / "e.npy").string() + "'");
  EXPECT_EQ(e2.exit_code, 0) << e2.err;

  const int again = interrupt_run(" --resume", tmp / "err2");
  EXPECT_NE(again, 0);
  EXPECT_NE(read_text(tmp / "err2").find("interrupted after step"), std::string::npos) << read_text(tmp / "err2");
  const json s = state();
  EXPECT_GT(s["step"].get<std::int64_t>(), first);
  // The log runs on from the first part: every step logged once, in order.
  std::int64_t last = -1;
  for (const auto& entry : s["log"])
    if (entry["split"] == "train") {
      EXPECT_EQ(entry["step"].get<std::int64_t>(), last < 0 ? 5 : last + 5);
      last = entry["step"].get<std::int64_t>();
    }
}

TEST_F(PretrainCli, BadCorpusRowsNameFileAndLine) {
  write_text(tmp / "bad.txt", "fine text\nbroken \xC3\x28 text\n");
  const auto r = run_taskscout("pretrain --config '" + (tmp / "short.json").string() + "' --corpus '" +
                               (tmp / "corpus.txt").string() + "' '" + (tmp / "bad.txt").string() + "' --out '" +
                               (tmp / "out").string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: " + (tmp / "bad.txt").string() + ":2:8: invalid UTF-8"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "out"));

  write_text(tmp / "rows.csv", "sentence\nhello\n");
  const auto c = run_taskscout("pretrain --config '" + (tmp / "short.json").string() + "' --corpus '" +
                               (tmp / "rows.csv").string() + "' --out '" + (tmp / "out").string() + "'");
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_NE(c.err.find("rows.csv"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("text"), std::string::npos) << c.err;

  write_text(tmp / "typo.json", R"({"hiden_size": 8})");
  const auto t = run_taskscout("pretrain --config '" + (tmp / "typo.json").string() + "' --corpus '" +
                               (tmp / "corpus.txt").string() + "' --out '" + (tmp / "out").string() + "'");
  EXPECT_NE(t.err.find("\"hiden_size\": unknown key"), std::string::npos) << t.err;

  const auto n = run_taskscout(args("short.json", "nothing") + " --resume");
  EXPECT_NE(n.err.find("holds no pretraining checkpoint"), std::string::npos) << n.err;
}

}  // namespace
}  // namespace taskscout
