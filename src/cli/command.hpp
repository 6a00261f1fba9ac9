#pragma once
// What every subcommand shares: the common flags, and how results reach stdout.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "taskscout/core/cluster.hpp"
#include "taskscout/core/progress.hpp"

namespace taskscout::cli {

struct CommonOptions {
  int threads = 0;  // 0: all cores
  std::uint64_t seed = 0;
  bool json = false;
  bool csv = false;
};

// Adds --threads, --seed, --json and --csv to `cmd`.
void add_common_options(CLI::App& cmd, CommonOptions& options);
// Applies --threads (libtorch starts with one thread here) and checks the flags.
void apply_common_options(const CommonOptions& options);

// The processes this command runs on (core/cluster.hpp): MPI_COMM_WORLD when mpirun or
// srun started it, else this process alone. Only the root prints results and progress.
Cluster& job_cluster();
// Joins MPI when an MPI launcher started this process (main calls it before parsing).
// UsageError for a command that does not run across processes, or a build without MPI
// started as several.
void join_cluster(const std::string& command);
// Ends every process of the job with `code`: for a failure of this process alone.
[[noreturn]] void end_job(int code);
// --threads 0: every core, shared between the job's processes on this node.
int default_thread_count();

// Each subcommand adds itself to the app; its callback does the work.
void add_score_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_synth_command(CLI::App& app);
void add_embed_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_registry_command(CLI::App& app);
// registry import-esm and export-esm (hf-dataset-selector folders), under `registry`.
void add_registry_hf_esm_commands(CLI::App& registry);
void add_register_command(CLI::App& app);
void add_esm_command(CLI::App& app);
void add_rank_command(CLI::App& app);
void add_rank_models_command(CLI::App& app);
void add_pretrain_command(CLI::App& app);
void add_benchmark_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_compose_command(CLI::App& app);
void add_transfer_command(CLI::App& app);
void add_merge_command(CLI::App& app);

// Refuses an HTML report path that is one of the command's inputs, or an existing file
// that is not a taskscout report (unless `force`): UsageError saying what to do.
void check_report_output(const std::string& out, bool force, const std::vector<std::string>& inputs);

// A results table printed as aligned columns (default) or RFC 4180 CSV (--csv).
struct ResultTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};
std::string format_table(const ResultTable& table, bool csv);
void print_table(const ResultTable& table, bool csv);

// Prints `j` (indented by one) and a newline on stdout. Text that is not valid UTF-8 (a
// path, a file name) is written with U+FFFD in place of each bad byte, so the results are
// printed instead of failing after the work is done.
void print_json(const nlohmann::ordered_json& j);

// A library call's Progress drawn as one progress bar per phase on stderr (the detail
// shown beside it). Outlives the call it is given to.
class ProgressBars {
 public:
  Progress callbacks();
  void close() { bar_.reset(); }

 private:
  std::optional<ProgressBar> bar_;
  std::int64_t shown_ = 0;
};

// How the CLI spells a library option named in an error (core/error.hpp's opt): "--" and
// the last dotted part with '-' for '_' (fine_tune.max_length → --max-length), unless the
// command renamed it (register trains with --train-max-length).
void rename_option_flag(const std::string& command, const std::string& option, const std::string& flag);
std::string option_flag(const std::string& command, std::string_view option);

// "a,b,,c" → {"a", "b", "c"}: a comma-separated flag value, empty items dropped.
std::vector<std::string> split_list(const std::string& text);

// Shortest text that reads back as the same double ("nan" for NaN).
std::string format_number(double value);

}  // namespace taskscout::cli
