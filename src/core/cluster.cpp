// This process alone as a cluster (see cluster.hpp).
#include "taskscout/core/cluster.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"

namespace taskscout {

namespace {

class SingleProcess final : public Cluster {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string host() const override {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    return name;
  }
  std::string broadcast(const std::string& bytes) override { return bytes; }
  std::vector<std::string> gather(const std::string& bytes) override { return {bytes}; }
  void send(int to, int tag, const std::string& bytes) override {
    if (to != 0) throw InternalError(fmt::format("send to process {} in a single-process job", to));
    inbox_.push_back({0, tag, bytes});
  }
  std::optional<ClusterMessage> poll() override {
    if (inbox_.empty()) return std::nullopt;
    ClusterMessage m = std::move(inbox_.front());
    inbox_.pop_front();
    return m;
  }

 private:
  std::deque<ClusterMessage> inbox_;
};

template <class E>
class Shared final : public E, public SharedFailure {
 public:
  using E::E;
};

// An error as bytes: its kind and its message with the option marks kept.
std::string encode_error(const Error& e, const std::string& prefix) {
  const char* kind = dynamic_cast<const UsageError*>(&e)   ? "usage"
                     : dynamic_cast<const InputError*>(&e) ? "input"
                     : dynamic_cast<const Cancelled*>(&e)  ? "cancelled"
                                                           : "io";
  return nlohmann::json{{"error", kind}, {"message", prefix + e.message([](std::string_view o) { return opt(o); })}}
      .dump();
}

[[noreturn]] void throw_shared(const nlohmann::json& failure) {
  const std::string kind = failure["error"], message = failure["message"];
  if (kind == "usage") throw Shared<UsageError>(message);
  if (kind == "input") throw Shared<InputError>(message);
  if (kind == "cancelled") throw Shared<Cancelled>();
  throw Shared<IoError>(message);
}

}  // namespace

std::string root_decides(Cluster& cluster, const std::function<std::string()>& work) {
  if (cluster.size() == 1) return work();
  std::string outcome;
  if (cluster.is_root()) {
    try {
      outcome = "r" + work();
    } catch (const Error& e) {
      outcome = "e" + encode_error(e, "");
    }
  }
  outcome = cluster.broadcast(outcome);
  if (outcome[0] == 'e') throw_shared(nlohmann::json::parse(outcome.substr(1)));
  return outcome.substr(1);
}

void all_or_none(Cluster& cluster, const std::function<void()>& work) {
  if (cluster.size() == 1) return work();
  std::string outcome;
  try {
    work();
  } catch (const Error& e) {
    outcome = encode_error(e, cluster.is_root() ? "" : cluster.where() + ": ");
  }
  const std::vector<std::string> all = cluster.gather(outcome);
  std::string first;
  for (const auto& o : all)
    if (first.empty() && !o.empty()) first = o;
  first = cluster.broadcast(first);
  if (!first.empty()) throw_shared(nlohmann::json::parse(first));
}

std::string Cluster::where() const { return fmt::format("rank {} on {}", rank(), host()); }

Cluster& single_process() {
  static SingleProcess cluster;
  return cluster;
}

std::vector<std::size_t> shard_of(std::size_t count, const Cluster& cluster) {
  std::vector<std::size_t> out;
  for (std::size_t i = static_cast<std::size_t>(cluster.rank()); i < count;
       i += static_cast<std::size_t>(cluster.size()))
    out.push_back(i);
  return out;
}

}  // namespace taskscout
