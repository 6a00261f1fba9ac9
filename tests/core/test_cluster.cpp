// The cluster contract (core/cluster.hpp, core/distributed_work.hpp) without MPI: a job of P
// "processes" played by P threads of this one, exchanging messages through shared mailboxes.
// What is checked: every item of distributed work runs on the process that owns it and is
// committed by the root exactly once, failures included; root_decides and all_or_none end
// every process alike; shards cover the items once each.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "taskscout/core/cluster.hpp"
#include "taskscout/core/distributed_work.hpp"
#include "taskscout/core/error.hpp"

namespace taskscout {
namespace {

class ThreadWorld {
 public:
  explicit ThreadWorld(int size) : size_(size), boxes_(static_cast<std::size_t>(size)), slots_(boxes_.size()) {}

  class Member final : public Cluster {
   public:
    Member(ThreadWorld& world, int rank) : world_(world), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return world_.size_; }
    std::string host() const override { return "thread"; }
    std::string broadcast(const std::string& bytes) override {
      if (rank_ == 0) world_.value_ = bytes;
      world_.barrier();
      std::string out = world_.value_;
      world_.barrier();
      return out;
    }
    std::vector<std::string> gather(const std::string& bytes) override {
      world_.slots_[static_cast<std::size_t>(rank_)] = bytes;
      world_.barrier();
      std::vector<std::string> out;
      if (rank_ == 0) out = world_.slots_;
      world_.barrier();
      return out;
    }
    void send(int to, int tag, const std::string& bytes) override {
      std::lock_guard lock(world_.mutex_);
      world_.boxes_[static_cast<std::size_t>(to)].push_back({rank_, tag, bytes});
      world_.arrived_.notify_all();
    }
    std::optional<ClusterMessage> poll() override {
      std::lock_guard lock(world_.mutex_);
      auto& box = world_.boxes_[static_cast<std::size_t>(rank_)];
      if (box.empty()) return std::nullopt;
      ClusterMessage m = std::move(box.front());
      box.pop_front();
      return m;
    }

   private:
    ThreadWorld& world_;
    int rank_;
  };

  // Runs `job` as every process at once; returns when all are done.
  void run(const std::function<void(Cluster&)>& job) {
    std::vector<std::thread> threads;
    for (int r = 0; r < size_; ++r)
      threads.emplace_back([&, r] {
        Member member(*this, r);
        job(member);
      });
    for (auto& t : threads) t.join();
  }

 private:
  void barrier() {
    std::unique_lock lock(mutex_);
    const long generation = generation_;
    if (++waiting_ == size_) {
      waiting_ = 0;
      ++generation_;
      arrived_.notify_all();
      return;
    }
    arrived_.wait(lock, [&] { return generation_ != generation; });
  }

  int size_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::deque<ClusterMessage>> boxes_;
  std::vector<std::string> slots_;
  std::string value_;
  int waiting_ = 0;
  long generation_ = 0;
};

TEST(Cluster, ShardsCoverEveryItemOnceRoundRobin) {
  ThreadWorld world(3);
  std::mutex mutex;
  std::multiset<std::size_t> seen;
  world.run([&](Cluster& c) {
    for (std::size_t i : shard_of(10, c)) {
      EXPECT_EQ(i % 3, static_cast<std::size_t>(c.rank()));
      std::lock_guard lock(mutex);
      seen.insert(i);
    }
  });
  EXPECT_EQ(seen, (std::multiset<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(Cluster, DistributedWorkRunsWhereItBelongsAndTheRootCommitsEachItemOnce) {
  constexpr std::size_t kItems = 25;
  ThreadWorld world(4);
  std::mutex mutex;
  std::map<std::size_t, std::string> committed, failed;
  std::map<std::size_t, int> ran_on;
  bool committed_elsewhere = false;
  world.run([&](Cluster& c) {
    DistributedWork work;
    work.count = kItems;
    work.workers = 2;
    work.run = [&](std::size_t i) {
      {
        std::lock_guard lock(mutex);
        ran_on[i] = c.rank();
      }
      if (i % 7 == 3) throw InputError("item " + std::to_string(i) + " is broken");
      return "result " + std::to_string(i);
    };
    // Only the root's calling thread commits: no lock needed but for the test's own maps.
    work.commit = [&](std::size_t i, const std::string& result) {
      std::lock_guard lock(mutex);
      committed_elsewhere |= !c.is_root();
      EXPECT_TRUE(committed.emplace(i, result).second) << "item " << i << " committed twice";
    };
    work.failed = [&](std::size_t i, const std::string& error) {
      std::lock_guard lock(mutex);
      EXPECT_TRUE(failed.emplace(i, error).second);
    };
    run_distributed(c, work);
  });
  EXPECT_FALSE(committed_elsewhere);
  for (std::size_t i = 0; i < kItems; ++i) {
    EXPECT_EQ(ran_on.at(i), static_cast<int>(i % 4));
    if (i % 7 == 3) {
      EXPECT_EQ(failed.at(i), "item " + std::to_string(i) + " is broken");
      EXPECT_FALSE(committed.count(i));
    } else {
      EXPECT_EQ(committed.at(i), "result " + std::to_string(i));
    }
  }
}

TEST(Cluster, MoreProcessesThanItemsAndNoItemsAtAll) {
  ThreadWorld world(4);
  std::mutex mutex;
  std::set<std::size_t> committed;
  for (std::size_t items : {std::size_t{2}, std::size_t{0}}) {
    committed.clear();
    world.run([&](Cluster& c) {
      DistributedWork work;
      work.count = items;
      work.run = [](std::size_t i) { return std::to_string(i); };
      work.commit = [&](std::size_t i, const std::string&) {
        std::lock_guard lock(mutex);
        committed.insert(i);
      };
      run_distributed(c, work);
    });
    EXPECT_EQ(committed.size(), items);
  }
}

TEST(Cluster, TheRootsDecisionReachesEveryProcessAndSoDoesItsError) {
  ThreadWorld world(3);
  std::mutex mutex;
  std::vector<std::string> got;
  world.run([&](Cluster& c) {
    const std::string r = root_decides(c, [&] { return std::string("plan from ") + std::to_string(c.rank()); });
    std::lock_guard lock(mutex);
    got.push_back(r);
  });
  EXPECT_EQ(got, std::vector<std::string>(3, "plan from 0"));

  int shared_input_errors = 0;
  world.run([&](Cluster& c) {
    try {
      root_decides(c, [&]() -> std::string { throw InputError("no such target " + opt("target")); });
    } catch (const InputError& e) {
      std::lock_guard lock(mutex);
      shared_input_errors += dynamic_cast<const SharedFailure*>(&e) != nullptr;
      EXPECT_STREQ(e.what(), "no such target target");
      EXPECT_EQ(e.message([](std::string_view o) { return "--" + std::string(o); }), "no such target --target");
    }
  });
  EXPECT_EQ(shared_input_errors, 3);
}

TEST(Cluster, OneProcessFailingFailsEveryProcessNamingWhere) {
  ThreadWorld world(3);
  std::mutex mutex;
  std::vector<std::string> messages;
  world.run([&](Cluster& c) {
    try {
      all_or_none(c, [&] {
        if (c.rank() >= 1) throw IoError("cannot read /data on process " + std::to_string(c.rank()));
      });
    } catch (const IoError& e) {
      std::lock_guard lock(mutex);
      messages.push_back(e.what());
    }
  });
  // The lowest-ranked failure, everywhere.
  EXPECT_EQ(messages, std::vector<std::string>(3, "rank 1 on thread: cannot read /data on process 1"));
  int failures = 0;
  world.run([&](Cluster& c) {
    try {
      all_or_none(c, [] {});
    } catch (const Error&) {
      std::lock_guard lock(mutex);
      ++failures;
    }
  });
  EXPECT_EQ(failures, 0);
}

TEST(Cluster, ASingleProcessIsItsOwnRootAndMailbox) {
  Cluster& c = single_process();
  EXPECT_EQ(c.size(), 1);
  EXPECT_TRUE(c.is_root());
  EXPECT_EQ(c.broadcast("x"), "x");
  EXPECT_EQ(c.gather("y"), std::vector<std::string>{"y"});
  c.send(0, 5, "to myself");
  const auto m = c.poll();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->tag, 5);
  EXPECT_EQ(m->bytes, "to myself");
  EXPECT_FALSE(c.poll().has_value());
  EXPECT_THROW(c.send(1, 0, ""), InternalError);
}

}  // namespace
}  // namespace taskscout
