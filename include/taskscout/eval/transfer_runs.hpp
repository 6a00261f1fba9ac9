#pragma once
// The measured side of the transfer benchmark: one record per finished fine-tuning run,
// kept in an append-only JSON Lines log so that a long benchmark can be killed and resumed,
// and the transfer matrix aggregated from those records.
//
// The log (runs.jsonl): one JSON object per line, each tagged with the digest of the
// benchmark's configuration. A line is appended with one write() and fsynced before the
// run counts as done, so a kill loses at most the run in progress. On opening:
//   - a last line without its newline, or one that is not a complete record, is a run that
//     was being written when the process died: it is dropped (cut from the file), never
//     trusted;
//   - any other malformed line, or a line of another configuration, is refused (the
//     numbers of two configurations are never mixed).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskscout {

// Where a run starts from: the base, or the base fine-tuned on a source first.
inline constexpr const char* kTargetOnly = "";

struct TransferRun {
  std::string target;
  std::string source;  // kTargetOnly ("") for the target-only baseline
  std::uint64_t seed = 0;
  double accuracy = 0, macro_f1 = 0;  // on the target's test split
  double dev = 0;                     // the kept dev evaluation's main metric
  std::int64_t steps = 0;
  double seconds = 0;
  int threads = 0;  // libtorch threads the run used (results depend on it in the last bits)
};

// A run as one line of the log (JSON, tagged with the configuration's digest), and back:
// what the log stores, and what the processes of a distributed benchmark send the root.
// Parsing gives nothing for a line that is not a complete record (a torn last line).
std::string transfer_run_json(const TransferRun& run, const std::string& config_digest);
std::optional<std::pair<std::string, TransferRun>> parse_transfer_run(std::string_view line);

class TransferRunLog {
 public:
  // Opens `path`, creating it when absent. InputError as described above; IoError when the
  // file cannot be read or written.
  TransferRunLog(const std::filesystem::path& path, std::string config_digest);
  ~TransferRunLog();
  TransferRunLog(const TransferRunLog&) = delete;
  TransferRunLog& operator=(const TransferRunLog&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Every finished run, in the order they were logged.
  std::vector<TransferRun> runs() const;
  bool has(const std::string& target, const std::string& source, std::uint64_t seed) const;
  // Whether opening dropped a torn last line.
  bool dropped_torn_line() const { return dropped_torn_; }
  // Appends and fsyncs one record. Safe from several threads.
  void append(const TransferRun& run);

 private:
  std::filesystem::path path_;
  std::string config_;
  int fd_ = -1;
  bool dropped_torn_ = false;
  mutable std::mutex mutex_;
  std::vector<TransferRun> runs_;
};

// One (target, source) cell of the transfer matrix: mean over seeds and its standard error
// (sample standard deviation / √n; NaN with one seed), and the gain over the target-only
// baseline measured with the same budget and seeds: gain = macro_f1 − baseline_macro_f1,
// gain_se = √(se² + baseline_se²). Baseline fields are NaN when the baseline has no run.
struct TransferCell {
  std::string target, source;
  std::size_t seeds = 0;
  double accuracy = 0, accuracy_se = 0, macro_f1 = 0, macro_f1_se = 0;
  double baseline_accuracy = 0, baseline_macro_f1 = 0, baseline_macro_f1_se = 0;
  double gain = 0, gain_se = 0;

  // |gain| > 2·gain_se: a gain (or loss) the seeds resolve.
  bool significant() const;
};

// The cells of every (target, source) pair with runs, sources ordered by first appearance
// within each target, targets by first appearance.
std::vector<TransferCell> aggregate_transfer(const std::vector<TransferRun>& runs);

// The matrix as CSV: target,source,seeds,accuracy,accuracy_se,macro_f1,macro_f1_se,
// baseline_accuracy,baseline_macro_f1,baseline_macro_f1_se,gain,gain_se (NaN as empty).
std::string transfer_matrix_csv(const std::vector<TransferCell>& cells);
// Reads that CSV back (the report reads the benchmark's matrix.csv this way).
std::vector<TransferCell> read_transfer_matrix(const std::filesystem::path& path);

}  // namespace taskscout
