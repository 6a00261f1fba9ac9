// Concurrency and failure: two writer processes at once, writers waiting for a lock and
// giving up with a clear message, a crash between blob write and index insert, and a
// write that fails as on a full disk. Processes are real (fork), as two `register` runs are.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "registry_fixtures.hpp"
#include "taskscout/core/error.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::make_source;
using testing::TempDir;
using testing::write_artifact;
using testing::write_esm;

// Runs `body` in a child process; returns its exit status (or 128 + signal).
int in_child(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (...) {
      code = 98;
    }
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<fs::path> leftovers(const fs::path& blobs) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(blobs))
    if (e.is_regular_file() && e.path().filename().string().starts_with(".incoming")) out.push_back(e.path());
  return out;
}

TEST(RegistryConcurrency, TwoWriterProcessesAtOnceBothSucceed) {
  TempDir dir;
  { Registry::create(dir / "reg"); }
  constexpr int kEach = 15;
  std::vector<pid_t> pids;
  for (int p = 0; p < 2; ++p) {
    const pid_t pid = fork();
    if (pid == 0) {
      int code = 0;
      try {
        Registry reg = Registry::open(dir / "reg");
        for (int i = 0; i < kEach; ++i) {
          const std::string name = "p" + std::to_string(p) + "-" + std::to_string(i);
          reg.add(make_source(name, write_esm(dir / (name + ".safetensors"), 4, 1.0f + p * 100 + i),
                              write_artifact(dir / (name + "-m.safetensors"), static_cast<float>(i))));
        }
      } catch (const std::exception& e) {
        std::ofstream(dir / ("error" + std::to_string(p))) << e.what();
        code = 1;
      }
      _exit(code);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << testing::read_text(dir / "error0") << testing::read_text(dir / "error1");
  }
  Registry reg = Registry::open(dir / "reg");
  EXPECT_EQ(reg.count(), 2 * kEach);
  EXPECT_TRUE(reg.verify().ok());
}

TEST(RegistryConcurrency, ReadersDoNotWaitForAWriterButWritersTimeOutClearly) {
  TempDir dir;
  Registry reg = Registry::create(dir / "reg", {.lock_timeout_seconds = 0.3});
  reg.add(make_source("a", write_esm(dir / "e.safetensors", 2)));
  // Another connection holds the write lock, as a long registration does.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "reg" / "registry.sqlite").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  EXPECT_EQ(reg.list().size(), 1u);  // WAL: reading goes on
  const auto start = std::chrono::steady_clock::now();
  try {
    reg.add(make_source("b", write_esm(dir / "e2.safetensors", 3)));
    FAIL();
  } catch (const IoError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("locked by another process"), std::string::npos) << m;
    EXPECT_NE(m.find("lock_timeout"), std::string::npos) << m;
    EXPECT_NE(m.find((dir / "reg").string()), std::string::npos) << m;
  }
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(waited, 0.25);
  EXPECT_LT(waited, 5.0);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_NO_THROW(reg.add(make_source("b", write_esm(dir / "e2.safetensors", 3))));
}

TEST(RegistryConcurrency, AReaderFacingAnExclusiveLockWaitsThenFailsClearly) {
  TempDir dir;
  { Registry::create(dir / "reg").add(make_source("a", write_esm(dir / "e.safetensors", 2))); }
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "reg" / "registry.sqlite").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; DELETE FROM sources WHERE 0;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  const auto start = std::chrono::steady_clock::now();
  try {
    Registry reg = Registry::open(dir / "reg", {.lock_timeout_seconds = 0.3});
    reg.list();
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("locked by another process"), std::string::npos) << e.what();
  }
  EXPECT_GE(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.25);
  sqlite3_close(other);
  EXPECT_EQ(Registry::open(dir / "reg").list().size(), 1u);
}

TEST(RegistryConcurrency, ACrashBetweenBlobsAndIndexLeavesNoRow) {
  TempDir dir;
  { Registry::create(dir / "reg"); }
  const auto esm = write_esm(dir / "e.safetensors", 4);
  const int status = in_child([&] {
    Registry reg = Registry::open(dir / "reg");
    reg.add(make_source("doomed", esm), {.before_index = [] { _exit(42); }});  // dies holding the lock
    return 0;
  });
  ASSERT_EQ(status, 42);
  Registry reg = Registry::open(dir / "reg");
  EXPECT_EQ(reg.count(), 0);
  // The blob written before the crash is an orphan: reported, then collected.
  const VerifyResult v = reg.verify();
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0].kind, "orphan_file");
  EXPECT_EQ(reg.collect_garbage().files_deleted, 1);
  EXPECT_TRUE(reg.verify().ok());
  // The lock died with the process: the same source registers now.
  EXPECT_NO_THROW(reg.add(make_source("doomed", esm)));
}

TEST(RegistryConcurrency, AFailureBeforeTheIndexInsertLeavesNothingBehind) {
  TempDir dir;
  Registry reg = Registry::create(dir / "reg");
  EXPECT_THROW(reg.add(make_source("x", write_esm(dir / "e.safetensors", 4), write_artifact(dir / "m.safetensors", 1)),
                       {.before_index = [] { throw IoError("injected"); }}),
               IoError);
  EXPECT_EQ(reg.count(), 0);
  EXPECT_TRUE(reg.verify().ok());  // the blobs it wrote were taken back
}

TEST(RegistryConcurrency, AFullDiskNamesThePathAndWritesNothing) {
  TempDir dir;
  { Registry::create(dir / "reg").add(make_source("small", write_esm(dir / "s.safetensors", 2))); }
  const auto big = write_esm(dir / "big.safetensors", 300);  // 360 kB
  const fs::path message = dir / "message.txt";
  const int status = in_child([&] {
    // A file-size limit makes writes past 64 kB fail as a full disk does (EFBIG, not ENOSPC).
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {64 << 10, 64 << 10};
    setrlimit(RLIMIT_FSIZE, &limit);
    Registry reg = Registry::open(dir / "reg");
    try {
      reg.add(make_source("big", big));
    } catch (const IoError& e) {
      std::ofstream(message) << e.what();
      return 3;
    }
    return 0;
  });
  ASSERT_EQ(status, 3);
  const std::string m = testing::read_text(message);
  EXPECT_NE(m.find((dir / "reg" / "blobs").string()), std::string::npos) << m;
  EXPECT_NE(m.find("nothing was registered"), std::string::npos) << m;
  Registry reg = Registry::open(dir / "reg");
  EXPECT_EQ(reg.count(), 1);
  EXPECT_TRUE(leftovers(dir / "reg" / "blobs").empty());
  EXPECT_TRUE(reg.verify().ok());
}

TEST(RegistryConcurrency, InitOnAFullDiskLeavesNoFolderAndTheAdviceAgrees) {
  // The probe: `registry init` on a full disk left a half-made folder while saying nothing
  // had changed; then init said "not empty" and list said "never completed".
  TempDir dir;
  const fs::path reg = dir / "new" / "parents" / "reg";
  const fs::path message = dir / "message.txt";
  const int status = in_child([&] {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {2 << 10, 2 << 10};  // the index's first page (4 KiB) fails, as on a full disk
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      Registry::create(reg);
    } catch (const IoError& e) {
      std::ofstream(message) << e.what();
      return 3;
    }
    return 0;
  });
  ASSERT_EQ(status, 3);
  const std::string m = testing::read_text(message);
  EXPECT_NE(m.find("nothing was"), std::string::npos) << m;
  EXPECT_EQ(m.rfind(reg.string(), 0), 0u) << m;  // named by the folder asked for, not the staging one
  EXPECT_FALSE(fs::exists(dir / "new"));         // not the registry, nor the parents it created
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);  // message.txt only
  try {
    Registry::open(reg);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("registry init"), std::string::npos) << e.what();
  }
  Registry::create(reg).add(make_source("a", write_esm(dir / "a.safetensors", 2)));
  EXPECT_EQ(Registry::open(reg).count(), 1);
}

TEST(RegistryConcurrency, AnEmptyFolderBecomesARegistryAndInterruptedRemainsGetOneAdvice) {
  TempDir dir;
  fs::create_directories(dir / "empty");
  EXPECT_EQ(Registry::create(dir / "empty/").count(), 0);
  EXPECT_EQ(Registry::open(dir / "empty").count(), 0);
  // What an earlier version's interrupted init left: init and list/open say the same.
  fs::create_directories(dir / "half" / "blobs");
  testing::write_text(dir / "half" / "registry.sqlite", "");
  for (const auto& attempt : std::vector<std::function<void()>>{[&] { Registry::create(dir / "half"); },
                                                                [&] { Registry::open(dir / "half"); }}) {
    try {
      attempt();
      FAIL();
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("interrupted `registry init`); delete the folder"), std::string::npos)
          << e.what();
    }
  }
  fs::remove(dir / "half" / "registry.sqlite");  // blobs/ alone: the same advice, not "no registry here"
  EXPECT_THROW(
      try { Registry::open(dir / "half"); } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("interrupted"), std::string::npos) << e.what();
        throw;
      },
      InputError);
}

}  // namespace
}  // namespace taskscout
