#pragma once
// The processes one job runs on: MPI's ranks when the command was started by mpirun or
// srun (cluster/mpi_cluster.hpp, built where MPI is found), or this process alone. The
// pipelines that spread over a cluster (rank, register --pool, benchmark) take a Cluster&
// and split their work by rank(); process 0 (the root) reads the inputs others must agree
// on, gathers the results and writes every output, so the others never write an index or
// print a result.
//
// Messages are bytes (encode them with nlohmann::json's CBOR, which carries binary arrays).
// Collective calls (broadcast, gather) must be made by every process in the same order;
// point-to-point messages (send, poll) are for work that finishes at its own pace, such as
// one fine-tuning after another.
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace taskscout {

struct ClusterMessage {
  int from = 0;
  int tag = 0;
  std::string bytes;
};

class Cluster {
 public:
  virtual ~Cluster() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }
  // The node this process runs on (messages name it: "rank 2 on node7").
  virtual std::string host() const = 0;
  std::string where() const;

  // Every process gets the root's bytes (the argument is ignored elsewhere).
  virtual std::string broadcast(const std::string& bytes) = 0;
  // The root gets every process's bytes, in rank order; the others get an empty vector.
  virtual std::vector<std::string> gather(const std::string& bytes) = 0;

  // Sends without waiting for the receiver (the bytes are copied); delivered in order
  // between two processes. tag >= 0.
  virtual void send(int to, int tag, const std::string& bytes) = 0;
  // A message that has arrived, if any (any sender, any tag); never waits. Callers wait
  // between polls asleep: MPI's blocking waits spin, and would take a core from a process
  // still working on the same node.
  virtual std::optional<ClusterMessage> poll() = 0;
};

// Marks an error that every process of the job throws alike, because the root told them
// (root_decides): the root reports it, the others end quietly with the same exit status.
// Any other error on a process other than the root is that process's own.
class SharedFailure {
 public:
  virtual ~SharedFailure() = default;
};

// Runs `work` on the root alone and hands its result to every process; when it throws a
// taskscout::Error, every process throws the same kind with the same message (marked
// SharedFailure). The root's work must not itself use the cluster.
std::string root_decides(Cluster& cluster, const std::function<std::string()>& work);

// Every process learns whether all succeeded: when some threw, all throw (SharedFailure)
// the lowest-ranked failure's error (prefixed with where it happened, unless on the root).
void all_or_none(Cluster& cluster, const std::function<void()>& work);

// This process alone: size 1; broadcast and gather return the argument, and a message
// sent to itself is received by it.
Cluster& single_process();

// The first `count` items split over the processes: the indices this rank owns, i with
// i % size == rank (round robin, so that sources sorted by name spread evenly).
std::vector<std::size_t> shard_of(std::size_t count, const Cluster& cluster);

}  // namespace taskscout
