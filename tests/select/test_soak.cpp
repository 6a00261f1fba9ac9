// The registry soak: writers (registering and removing sources) and readers (listing,
// mapping artifacts and ranking the whole registry by ESM-LogME) on one registry at once
// for a bounded time; then `verify` is clean and every committed source ranks. Threads,
// each with its own connection, as the registry allows. TASKSCOUT_SOAK_SECONDS (default 3)
// sets the time; bench/soak.sh runs it for minutes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "../registry/registry_fixtures.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/registry/esm_check.hpp"
#include "taskscout/select/rank.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr std::int64_t kDim = 6;

RankTarget features_target(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  RankTarget t;
  t.what = "soak target";
  t.base_fingerprint = sha256_hex("base model");
  const std::int64_t n = 60;
  t.input.features = Array(DType::F32, {n, kDim});
  std::vector<std::int64_t> labels;
  auto v = t.input.features.mutable_values<float>();
  for (std::int64_t i = 0; i < n; ++i) {
    labels.push_back(i % 3);
    for (std::int64_t j = 0; j < kDim; ++j) v[i * kDim + j] = normal(rng) + (j == labels.back() ? 2.0f : 0.0f);
  }
  t.input.targets = Targets::from_class_labels(labels);
  return t;
}

double soak_seconds() {
  const char* s = std::getenv("TASKSCOUT_SOAK_SECONDS");
  return s ? std::atof(s) : 3.0;
}

TEST(Soak, WritersAndReadersAtOnceThenVerifyCleanAndEverySourceRanks) {
  TempDir dir;
  const fs::path reg_dir = dir / "reg";
  { Registry::create(reg_dir); }
  const int writers = 3, readers = 3;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(soak_seconds());
  std::mutex mutex;
  std::set<std::string> committed;  // added and not removed
  std::atomic<long> adds{0}, removes{0}, ranks{0}, lists{0}, reader_skips{0}, failures{0};
  std::vector<std::string> problems;
  auto fail = [&](const std::string& what) {
    ++failures;
    std::lock_guard lock(mutex);
    if (problems.size() < 20) problems.push_back(what);
  };

  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      try {
        Registry reg = Registry::open(reg_dir, {.lock_timeout_seconds = 60});
        std::mt19937_64 rng(w);
        for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
          const std::string name = "w" + std::to_string(w) + "-" + std::to_string(i);
          const fs::path esm = dir / (name + ".esm");
          // Scales repeat, so some sources share a blob (stored once, referenced twice).
          testing::write_esm(esm, kDim, 1.0f + static_cast<float>(rng() % 7), sha256_hex("base model"));
          reg.add(testing::make_source(name, esm));
          fs::remove(esm);
          ++adds;
          {
            std::lock_guard lock(mutex);
            committed.insert(name);
          }
          if (i % 3 == 2) {  // remove an earlier source of this writer
            const std::string old = "w" + std::to_string(w) + "-" + std::to_string(i - 2);
            {
              std::lock_guard lock(mutex);
              committed.erase(old);
            }
            reg.remove({old});
            ++removes;
          }
        }
      } catch (const std::exception& e) {
        fail(std::string("writer: ") + e.what());
      }
    });
  for (int r = 0; r < readers; ++r)
    threads.emplace_back([&, r] {
      const RankTarget target = features_target(r);
      try {
        while (std::chrono::steady_clock::now() < deadline) {
          if (r == 0) {
            // Lists and maps every artifact: a source removed meanwhile may be gone, nothing else.
            const Registry reg = Registry::open(reg_dir);
            for (const SourceRecord& s : reg.list()) {
              try {
                const SafetensorsFile f = reg.open_artifact(s, "esm");
                (void)f.names();
              } catch (const InputError& e) {
                if (reg.find(s.name))
                  fail("a listed source that still exists cannot be read: " + std::string(e.what()));
                ++reader_skips;
              }
            }
            ++lists;
          } else {
            const auto pool = registry_pool(reg_dir);
            const auto ranking = rank_pool(target, pool, {"esm-logme"}).at(0).ranking;
            if (ranking.ranked.size() + ranking.skipped.size() != pool.size())
              fail("a source neither ranked nor skipped");
            const Registry reg = Registry::open(reg_dir);
            for (const auto& s : ranking.skipped) {
              if (reg.find(s.name)) fail("skipped but still registered: " + s.name + ": " + s.skipped);
              ++reader_skips;
            }
            ++ranks;
          }
        }
      } catch (const std::exception& e) {
        fail(std::string("reader: ") + e.what());
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& p : problems) ADD_FAILURE() << p;
  EXPECT_EQ(failures.load(), 0);

  // Quiet now: verify is clean, the registry holds exactly the committed sources, and every
  // one of them ranks.
  Registry reg = Registry::open(reg_dir);
  const VerifyResult v = reg.verify();
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.problems[0].kind + " " + v.problems[0].detail);
  std::set<std::string> listed;
  for (const auto& s : reg.list()) listed.insert(s.name);
  EXPECT_EQ(listed, committed);
  const auto ranking = rank_pool(features_target(9), registry_pool(reg_dir), {"esm-logme"}).at(0).ranking;
  EXPECT_EQ(ranking.ranked.size(), committed.size());
  EXPECT_TRUE(ranking.skipped.empty()) << (ranking.skipped.empty() ? "" : ranking.skipped[0].skipped);
  std::cout << "soak: " << soak_seconds() << " s, " << writers << " writers, " << readers << " readers: " << adds
            << " registered, " << removes << " removed, " << ranks << " rankings and " << lists
            << " full listings read, " << reader_skips << " sources skipped by readers while removed, "
            << committed.size() << " committed at the end, all ranked; verify clean\n";
  EXPECT_GT(adds.load(), 0);
  EXPECT_GT(ranks.load(), 0);
}

}  // namespace
}  // namespace taskscout
