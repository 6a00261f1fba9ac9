// Work spread over a cluster's processes, results committed by the root (see
// distributed_work.hpp).
#include "taskscout/core/distributed_work.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

namespace taskscout {

namespace {

constexpr int kResult = 101, kDone = 102, kGo = 103;

struct Outcome {
  std::size_t item = 0;
  bool ok = true;
  std::string bytes;  // the result, or the error's message
};

std::string encode(const Outcome& o) {
  const std::vector<std::uint8_t> b = nlohmann::json::to_cbor(
      {{"item", o.item}, {"ok", o.ok}, {"bytes", nlohmann::json::binary({o.bytes.begin(), o.bytes.end()})}});
  return {b.begin(), b.end()};
}

Outcome decode(const std::string& bytes) {
  const nlohmann::json j = nlohmann::json::from_cbor(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
  const auto& b = j["bytes"].get_binary();
  return {j["item"].get<std::size_t>(), j["ok"].get<bool>(), std::string(b.begin(), b.end())};
}

}  // namespace

void run_distributed(Cluster& cluster, const DistributedWork& work) {
  const std::vector<std::size_t> share = shard_of(work.count, cluster);
  auto deliver = [&](const Outcome& o) {
    if (!cluster.is_root()) return cluster.send(0, kResult, encode(o));
    if (o.ok) {
      if (work.commit) work.commit(o.item, o.bytes);
    } else if (work.failed) {
      work.failed(o.item, o.bytes);
    }
  };
  int done_processes = 0;  // the root: processes that said their share is finished
  auto take = [&](const ClusterMessage& m) {
    if (m.tag == kDone) ++done_processes;
    if (m.tag == kResult) deliver(decode(m.bytes));
  };

  // Worker threads run items and leave outcomes here for the calling thread.
  std::mutex mutex;
  std::condition_variable ready_signal;
  std::deque<Outcome> ready;
  std::atomic<std::size_t> next{0};
  int running = 0;
  auto worker = [&] {
    if (work.worker_start) work.worker_start();
    for (std::size_t k = next++; k < share.size(); k = next++) {
      Outcome o{share[k], true, {}};
      try {
        o.bytes = work.run(share[k]);
      } catch (const std::exception& e) {
        o = {share[k], false, e.what()};
      }
      std::lock_guard lock(mutex);
      ready.push_back(std::move(o));
      ready_signal.notify_one();
    }
    std::lock_guard lock(mutex);
    --running;
    ready_signal.notify_one();
  };
  const int workers = static_cast<int>(std::min<std::size_t>(std::max(1, work.workers), share.size()));
  running = workers;
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) threads.emplace_back(worker);
  for (;;) {
    std::deque<Outcome> batch;
    bool finished = false;
    {
      std::unique_lock lock(mutex);
      // Wakes for an outcome, or every 50 ms to take the other processes' results.
      ready_signal.wait_for(lock, std::chrono::milliseconds(cluster.is_root() && cluster.size() > 1 ? 50 : 1000),
                            [&] { return !ready.empty() || running == 0; });
      batch.swap(ready);
      finished = running == 0;
    }
    for (const auto& o : batch) deliver(o);
    if (cluster.is_root())
      while (auto m = cluster.poll()) take(*m);
    if (finished) break;
  }
  for (auto& t : threads) t.join();
  // The end, asleep between looks: MPI's blocking waits spin, and a process done with its
  // share would take a core from one still working on the same node. No process goes on
  // (and sends results of the next piece of work) before the root has taken all of these.
  auto nap = [] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); };
  if (cluster.is_root()) {
    while (done_processes < cluster.size() - 1) {
      if (auto m = cluster.poll())
        take(*m);
      else
        nap();
    }
    for (int p = 1; p < cluster.size(); ++p) cluster.send(p, kGo, "");
  } else {
    cluster.send(0, kDone, "");
    for (;;) {
      if (auto m = cluster.poll(); m && m->tag == kGo) break;
      nap();
    }
  }
}

}  // namespace taskscout
