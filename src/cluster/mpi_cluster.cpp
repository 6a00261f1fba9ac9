// MPI_COMM_WORLD as a Cluster (see mpi_cluster.hpp).
#include "taskscout/cluster/mpi_cluster.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <list>

#include "taskscout/core/error.hpp"

namespace taskscout {

namespace {

// MPI counts are ints: larger messages go in pieces of this many bytes.
constexpr std::size_t kPiece = std::size_t{1} << 30;

void check(int status, const char* call) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  throw IoError(fmt::format("MPI: {} failed: {}", call, std::string(text, static_cast<std::size_t>(length))));
}

class MpiWorld final : public Cluster {
 public:
  MpiWorld() {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    // Errors come back as codes (and become exceptions) instead of aborting the job.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    // Collectives and point-to-point messages on separate communicators, so a message
    // in flight is never taken for a piece of a broadcast or a gather.
    check(MPI_Comm_dup(MPI_COMM_WORLD, &collective_), "MPI_Comm_dup");
    check(MPI_Comm_dup(MPI_COMM_WORLD, &messages_), "MPI_Comm_dup");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    char name[MPI_MAX_PROCESSOR_NAME];
    int length = 0;
    MPI_Get_processor_name(name, &length);
    host_.assign(name, static_cast<std::size_t>(length));
  }

  // Called at exit: the sends still in flight complete, then MPI ends.
  void finalize() {
    for (auto& p : pending_) MPI_Wait(&p.request, MPI_STATUS_IGNORE);
    pending_.clear();
    MPI_Comm_free(&collective_);
    MPI_Comm_free(&messages_);
    MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string host() const override { return host_; }

  std::string broadcast(const std::string& bytes) override {
    std::uint64_t n = rank_ == 0 ? bytes.size() : 0;
    check(MPI_Bcast(&n, 1, MPI_UINT64_T, 0, collective_), "MPI_Bcast");
    std::string out = rank_ == 0 ? bytes : std::string(n, '\0');
    for (std::size_t at = 0; at < n; at += kPiece)
      check(
          MPI_Bcast(out.data() + at, static_cast<int>(std::min<std::size_t>(kPiece, n - at)), MPI_BYTE, 0, collective_),
          "MPI_Bcast");
    return out;
  }

  std::vector<std::string> gather(const std::string& bytes) override {
    constexpr int kTag = 1;
    if (rank_ != 0) {
      send_blocking(bytes, 0, kTag, collective_);
      return {};
    }
    std::vector<std::string> out(static_cast<std::size_t>(size_));
    out[0] = bytes;
    for (int r = 1; r < size_; ++r) out[static_cast<std::size_t>(r)] = receive_pieces(r, kTag, collective_);
    return out;
  }

  void send(int to, int tag, const std::string& bytes) override {
    if (bytes.size() > static_cast<std::size_t>(INT_MAX))
      throw InternalError(fmt::format("a message of {} bytes is more than MPI sends at once", bytes.size()));
    reap();
    pending_.push_back({bytes, MPI_REQUEST_NULL});
    Pending& p = pending_.back();
    check(MPI_Isend(p.bytes.data(), static_cast<int>(p.bytes.size()), MPI_BYTE, to, tag, messages_, &p.request),
          "MPI_Isend");
  }

  std::optional<ClusterMessage> poll() override {
    reap();
    int arrived = 0;
    MPI_Status status;
    check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, messages_, &arrived, &status), "MPI_Iprobe");
    if (!arrived) return std::nullopt;
    return receive_probed(status);
  }

 private:
  struct Pending {
    std::string bytes;
    MPI_Request request;
  };

  // Drops the sends that have completed.
  void reap() {
    pending_.remove_if([](Pending& p) {
      int done = 0;
      MPI_Test(&p.request, &done, MPI_STATUS_IGNORE);
      return done != 0;
    });
  }

  // The size first, then the bytes in pieces.
  static void send_blocking(const std::string& bytes, int to, int tag, MPI_Comm comm) {
    const std::uint64_t n = bytes.size();
    check(MPI_Send(&n, 1, MPI_UINT64_T, to, tag, comm), "MPI_Send");
    for (std::size_t at = 0; at < n; at += kPiece)
      check(
          MPI_Send(bytes.data() + at, static_cast<int>(std::min<std::size_t>(kPiece, n - at)), MPI_BYTE, to, tag, comm),
          "MPI_Send");
  }
  static std::string receive_pieces(int from, int tag, MPI_Comm comm) {
    std::uint64_t n = 0;
    check(MPI_Recv(&n, 1, MPI_UINT64_T, from, tag, comm, MPI_STATUS_IGNORE), "MPI_Recv");
    std::string out(n, '\0');
    for (std::size_t at = 0; at < n; at += kPiece)
      check(MPI_Recv(out.data() + at, static_cast<int>(std::min<std::size_t>(kPiece, n - at)), MPI_BYTE, from, tag,
                     comm, MPI_STATUS_IGNORE),
            "MPI_Recv");
    return out;
  }
  // The one message `status` (from a probe) announced.
  ClusterMessage receive_probed(const MPI_Status& status) {
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    ClusterMessage m{status.MPI_SOURCE, status.MPI_TAG, std::string(static_cast<std::size_t>(count), '\0')};
    check(MPI_Recv(m.bytes.data(), count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, messages_, MPI_STATUS_IGNORE),
          "MPI_Recv");
    return m;
  }

  int rank_ = 0, size_ = 1;
  std::string host_;
  MPI_Comm collective_ = MPI_COMM_NULL, messages_ = MPI_COMM_NULL;
  std::list<Pending> pending_;  // a list: an element's address stays put while MPI reads it
};

MpiWorld* world = nullptr;

}  // namespace

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

Cluster& mpi_world() {
  if (!world) {
    world = new MpiWorld();
    std::atexit([] { world->finalize(); });
  }
  return *world;
}

void abort_mpi_job(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace taskscout
