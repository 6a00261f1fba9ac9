// `register --pool` across 3 MPI processes on this machine (mpirun --oversubscribe, loopback
// only): the same sources, artifacts and dev metrics as one process; a broken row fails
// while the others register; more processes than sources; a process killed mid-run leaves
// nothing half-registered, and a rerun completes the pool. Skips where the build has no MPI
// or mpirun is absent.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "../cli/word_tasks.hpp"
#include "mpi_support.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::run_taskscout;
using testing::TempDir;
using testing::word_task_csv;
using testing::write_text;

const auto& q = testing::quote;

class MpiRegister : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = testing::mpi_missing(); !why.empty()) GTEST_SKIP() << why;
    testing::write_word_base(tmp / "base");
  }
  // A pool of `n` word tasks (alternating sentiment and topic labels, methods in turn).
  void write_pool(std::size_t n, std::size_t rows, const std::string& options, const std::string& extra_rows = "") {
    std::string manifest = "name,dataset,method,options\n";
    const char* methods[] = {"lora", "adapter", "full"};
    for (std::size_t i = 0; i < n; ++i) {
      const std::string name = "s" + std::to_string(i);
      write_text(tmp / "pool" / (name + ".csv"), word_task_csv(rows, 10 + i, i % 2 == 1));
      manifest += name + "," + name + ".csv," + methods[i % 3] + "," + options + "\n";
    }
    write_text(tmp / "pool" / "pool.csv", manifest + extra_rows);
  }
  std::string register_args(const fs::path& registry) const {
    return "register --registry " + q(registry) + " --base " + q(tmp / "base") + " --pool " +
           q(tmp / "pool" / "pool.csv") + " --epochs 1 --train-batch-size 8 --seed 3 --threads 1";
  }
  testing::CommandResult run_mpi(const std::string& args) const { return testing::run_mpi(3, args); }
  nlohmann::json list(const fs::path& registry) const {
    const auto r = run_taskscout("registry list " + q(registry) + " --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out)["sources"] : nlohmann::json::array();
  }
  void init(const fs::path& registry) const { ASSERT_EQ(run_taskscout("registry init " + q(registry)).exit_code, 0); }
  TempDir tmp;
};

TEST_F(MpiRegister, ThreeProcessesRegisterWhatOneDoes) {
  write_pool(4, 40, "");
  init(tmp / "one");
  init(tmp / "three");
  auto r = run_taskscout(register_args(tmp / "one") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_mpi(register_args(tmp / "three") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);  // the root alone printed
  EXPECT_EQ(j["processes"], 3);
  EXPECT_EQ(j["registered"], 4);
  std::set<std::string> where;
  for (const auto& s : j["sources"]) where.insert(s["where"]);
  EXPECT_EQ(where.size(), 3u) << r.out;  // every process had a share

  const auto one = list(tmp / "one"), three = list(tmp / "three");
  ASSERT_EQ(one.size(), 4u);
  ASSERT_EQ(three.size(), one.size());
  for (std::size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(three[i]["name"], one[i]["name"]);
    std::set<std::string> kinds_one, kinds_three;
    for (const auto& [kind, _] : one[i]["artifacts"].items()) kinds_one.insert(kind);
    for (const auto& [kind, _] : three[i]["artifacts"].items()) kinds_three.insert(kind);
    EXPECT_EQ(kinds_three, kinds_one) << one[i]["name"];
    for (const auto& [metric, value] : one[i]["dev_metrics"].items())
      EXPECT_NEAR(three[i]["dev_metrics"][metric].get<double>(), value.get<double>(), 1e-6) << metric;
  }
  EXPECT_EQ(run_taskscout("registry verify " + q(tmp / "three")).exit_code, 0);
  EXPECT_FALSE(fs::exists(tmp / "three" / "staging"));

  // Nothing left to do: every process idle, still a clean run.
  r = run_mpi(register_args(tmp / "three") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["already_registered"], 4);
}

TEST_F(MpiRegister, ABrokenRowFailsAndTheOthersRegisterWithMoreProcessesThanSources) {
  write_pool(1, 40, "", "broken,no_such.csv,lora,\n");
  init(tmp / "reg");
  const auto r = run_mpi(register_args(tmp / "reg") + " --csv");
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("s0,registered"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("broken,failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("does not exist"), std::string::npos) << r.out;
  // One error line for the job, from the root.
  const std::string line = "1 of 2 source(s) failed";
  const auto first = r.err.find(line);
  EXPECT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(line, first + 1), std::string::npos) << r.err;
  EXPECT_EQ(list(tmp / "reg").size(), 1u);
  EXPECT_EQ(run_taskscout("registry verify " + q(tmp / "reg")).exit_code, 0);
}

TEST_F(MpiRegister, RegisterWithoutAPoolIsRefusedOnEveryProcess) {
  init(tmp / "reg");
  write_text(tmp / "one.csv", word_task_csv(40, 1, false));
  const auto r = run_mpi("register --registry " + q(tmp / "reg") + " --base " + q(tmp / "base") +
                         " --name one --source " + q(tmp / "one.csv") + " --method lora");
  EXPECT_NE(r.exit_code, 0);
  const std::string line = "error: under mpirun, register takes --pool";
  const auto first = r.err.find(line);
  EXPECT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(line, first + 1), std::string::npos) << r.err;
  EXPECT_EQ(list(tmp / "reg").size(), 0u);
}

// A registry that some processes see differently (processes 1 and 2 run in a mount
// namespace of their own with an empty tmpfs over the registry's staging folder, as a node
// whose "registry" folder is its own disk would): refused before any fine-tuning, naming the
// process and its host.
TEST_F(MpiRegister, ARegistryNotSharedByEveryProcessIsRefusedBeforeAnyWork) {
  const std::string wrapper = testing::hiding(tmp / "reg" / "staging");
  if (wrapper.empty()) GTEST_SKIP() << "cannot make a mount namespace here (unshare -m needs root)";
  write_pool(2, 40, "");
  init(tmp / "reg");
  fs::create_directories(tmp / "reg" / "staging");
  const auto r = testing::run_mpi(3, register_args(tmp / "reg"), wrapper);
  EXPECT_NE(r.exit_code, 0);
  const std::string line = "must be on storage every node shares";
  const auto first = r.err.find(line);
  EXPECT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(line, first + 1), std::string::npos) << r.err;  // once
  EXPECT_NE(r.err.find("rank 1 on "), std::string::npos) << r.err;
  EXPECT_EQ(list(tmp / "reg").size(), 0u);
  EXPECT_FALSE(fs::exists(tmp / "reg" / "staging"));
}

// The rank-1 process of the job mpirun `launcher` runs (its children carry their rank).
pid_t rank_process(pid_t launcher, int rank) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string stat = testing::read_text(e.path() / "stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state;
    pid_t parent = 0;
    rest >> state >> parent;
    if (parent != launcher) continue;
    const std::string env = testing::read_text(e.path() / "environ");
    if (env.find("OMPI_COMM_WORLD_RANK=" + std::to_string(rank) + '\0') != std::string::npos)
      return static_cast<pid_t>(std::stol(e.path().filename().string()));
  }
  return 0;
}

TEST_F(MpiRegister, AProcessKilledMidRunLeavesNothingHalfRegisteredAndARerunCompletes) {
  // Sources slow enough (~1 s each, more with 3 processes on 2 cores), and enough of them that
  // rank 1 still has three of its four to go when the first commit shows: with 6 (two each),
  // on a quiet machine the root once committed them all before the poll saw the first.
  constexpr std::size_t kSources = 12;
  write_pool(kSources, 200, "epochs=25");
  init(tmp / "reg");
  const std::string cmd = "exec " + testing::mpirun(3) + q(testing::taskscout_binary()) + " " +
                          register_args(tmp / "reg") + " </dev/null >" + q(tmp / "out") + " 2>" + q(tmp / "err");
  const pid_t launcher = ::fork();
  ASSERT_GE(launcher, 0);
  if (launcher == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Once the first source is committed, kill -9 rank 1.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::size_t committed = 0;
  int status = 0;
  while (committed == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_EQ(::waitpid(launcher, &status, WNOHANG), 0) << "the job ended early: " << testing::read_text(tmp / "err");
    committed = list(tmp / "reg").size();
  }
  if (committed == 0) ::kill(launcher, SIGKILL);
  ASSERT_GT(committed, 0u) << testing::read_text(tmp / "err");
  const pid_t victim = rank_process(launcher, 1);
  ASSERT_GT(victim, 0);
  ::kill(victim, SIGKILL);
  ::waitpid(launcher, &status, 0);
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the job finished before the kill";

  // Whatever was committed is whole; the staging run left behind is no damage, gc deletes it.
  const auto listed = list(tmp / "reg");
  EXPECT_LT(listed.size(), kSources);
  for (const auto& s : listed) EXPECT_TRUE(s["artifacts"].contains("esm")) << s.dump();
  auto r = run_taskscout("registry verify " + q(tmp / "reg"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_taskscout("registry gc " + q(tmp / "reg"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "reg" / "staging"));

  // A rerun registers exactly what is missing.
  r = run_mpi(register_args(tmp / "reg") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["already_registered"], listed.size());
  EXPECT_EQ(j["registered"], kSources - listed.size());
  EXPECT_EQ(list(tmp / "reg").size(), kSources);
  EXPECT_EQ(run_taskscout("registry verify " + q(tmp / "reg")).exit_code, 0);
}

}  // namespace
}  // namespace taskscout
