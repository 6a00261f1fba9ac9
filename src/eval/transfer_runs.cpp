// The benchmark's run log and the matrix aggregated from it (see transfer_runs.hpp).
#include "taskscout/eval/transfer_runs.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "taskscout/core/error.hpp"
#include "taskscout/io/table.hpp"

namespace taskscout {

namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string read_all(int fd, const fs::path& path) {
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(location(path.string()) + "cannot read: " + std::strerror(errno));
    }
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

struct Stats {
  double mean = kNaN, se = kNaN;
  std::size_t n = 0;
};

Stats stats(const std::vector<double>& v) {
  Stats s;
  s.n = v.size();
  if (v.empty()) return s;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  if (v.size() < 2) return s;
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.se = std::sqrt(ss / static_cast<double>(v.size() - 1) / static_cast<double>(v.size()));
  return s;
}

}  // namespace

TransferRunLog::TransferRunLog(const fs::path& path, std::string config_digest)
    : path_(path), config_(std::move(config_digest)) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError(location(path.string()) + "cannot open the run log: " + std::strerror(errno));
  // One writer per log: a second benchmark on the same folder would cut the line the first
  // is writing as "torn".
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    throw InputError(location(path.string()) +
                     "another taskscout benchmark is using this folder; wait for it to finish (or stop it)");
  }
  const std::string text = read_all(fd_, path);
  std::size_t start = 0, keep = 0;  // keep: bytes of whole, trusted lines
  long line_number = 0;
  while (start < text.size()) {
    ++line_number;
    const std::size_t end = text.find('\n', start);
    const bool last = end == std::string::npos || end + 1 == text.size();
    const std::string_view line(text.data() + start, (end == std::string::npos ? text.size() : end) - start);
    const auto record = end == std::string::npos ? std::nullopt : parse_transfer_run(line);
    if (!record) {
      if (last) {  // a run being written when the process died
        dropped_torn_ = true;
        break;
      }
      ::close(fd_);
      throw InputError(
          fmt::format("{}not a run record; this log was edited or damaged: remove that line (the "
                      "run is then measured again) or use another output folder",
                      location(path.string(), line_number)));
    }
    if (record->first != config_) {
      ::close(fd_);
      throw InputError(fmt::format(
          "{}this run was measured with another configuration (digest {}…, now {}…: another base, tasks, budget, "
          "seeds or training options); results are never mixed: use another output folder, or delete this one",
          location(path.string(), line_number), record->first.substr(0, 12), config_.substr(0, 12)));
    }
    runs_.push_back(record->second);
    keep = end + 1;
    start = end + 1;
  }
  if (keep < text.size()) {
    if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0 || ::fsync(fd_) != 0) {
      ::close(fd_);
      throw IoError(location(path.string()) + "cannot cut the torn last line: " + std::strerror(errno));
    }
  }
  if (::lseek(fd_, 0, SEEK_END) < 0) {
    ::close(fd_);
    throw IoError(location(path.string()) + "cannot seek: " + std::strerror(errno));
  }
}

TransferRunLog::~TransferRunLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<TransferRun> TransferRunLog::runs() const {
  std::lock_guard lock(mutex_);
  return runs_;
}

bool TransferRunLog::has(const std::string& target, const std::string& source, std::uint64_t seed) const {
  std::lock_guard lock(mutex_);
  for (const auto& r : runs_)
    if (r.target == target && r.source == source && r.seed == seed) return true;
  return false;
}

void TransferRunLog::append(const TransferRun& r) {
  const std::string line = transfer_run_json(r, config_) + "\n";
  std::lock_guard lock(mutex_);
  // One write of the whole line: a crash leaves either nothing or a torn last line.
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw IoError(location(path_.string()) + "cannot append a run: " + std::strerror(errno));
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd_) != 0) throw IoError(location(path_.string()) + "cannot fsync the run log: " + std::strerror(errno));
  runs_.push_back(r);
}

std::string transfer_run_json(const TransferRun& r, const std::string& config) {
  const nlohmann::ordered_json j = {{"config", config},    {"target", r.target},     {"source", r.source},
                                    {"seed", r.seed},      {"accuracy", r.accuracy}, {"macro_f1", r.macro_f1},
                                    {"dev", r.dev},        {"steps", r.steps},       {"seconds", r.seconds},
                                    {"threads", r.threads}};
  return j.dump();
}

std::optional<std::pair<std::string, TransferRun>> parse_transfer_run(std::string_view line) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    TransferRun r;
    r.target = j.at("target").get<std::string>();
    r.source = j.at("source").get<std::string>();
    r.seed = j.at("seed").get<std::uint64_t>();
    r.accuracy = j.at("accuracy").get<double>();
    r.macro_f1 = j.at("macro_f1").get<double>();
    r.dev = j.at("dev").get<double>();
    r.steps = j.at("steps").get<std::int64_t>();
    r.seconds = j.at("seconds").get<double>();
    r.threads = j.at("threads").get<int>();
    return std::pair{j.at("config").get<std::string>(), r};
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

bool TransferCell::significant() const { return std::isfinite(gain_se) && std::abs(gain) > 2 * gain_se; }

std::vector<TransferCell> aggregate_transfer(const std::vector<TransferRun>& runs) {
  std::vector<std::string> targets;
  std::map<std::string, std::vector<std::string>> sources;  // target → sources in first-seen order
  std::map<std::pair<std::string, std::string>, std::vector<const TransferRun*>> by_pair;
  for (const auto& r : runs) {
    if (!sources.count(r.target)) targets.push_back(r.target);
    auto& list = sources[r.target];
    auto& pair_runs = by_pair[{r.target, r.source}];
    if (pair_runs.empty() && !r.source.empty()) list.push_back(r.source);
    pair_runs.push_back(&r);
  }
  auto column = [](const std::vector<const TransferRun*>& rs, double TransferRun::*field) {
    std::vector<double> v;
    for (const auto* r : rs) v.push_back(r->*field);
    return stats(v);
  };
  std::vector<TransferCell> cells;
  for (const auto& t : targets) {
    const auto base_it = by_pair.find({t, kTargetOnly});
    const std::vector<const TransferRun*> none;
    const auto& base = base_it == by_pair.end() ? none : base_it->second;
    const Stats base_f1 = column(base, &TransferRun::macro_f1), base_acc = column(base, &TransferRun::accuracy);
    for (const auto& s : sources[t]) {
      const auto& rs = by_pair[{t, s}];
      const Stats f1 = column(rs, &TransferRun::macro_f1), acc = column(rs, &TransferRun::accuracy);
      TransferCell c;
      c.target = t;
      c.source = s;
      c.seeds = rs.size();
      c.accuracy = acc.mean;
      c.accuracy_se = acc.se;
      c.macro_f1 = f1.mean;
      c.macro_f1_se = f1.se;
      c.baseline_accuracy = base_acc.mean;
      c.baseline_macro_f1 = base_f1.mean;
      c.baseline_macro_f1_se = base_f1.se;
      c.gain = f1.mean - base_f1.mean;
      c.gain_se = std::sqrt(f1.se * f1.se + base_f1.se * base_f1.se);
      cells.push_back(std::move(c));
    }
  }
  return cells;
}

namespace {

const char* kMatrixColumns[] = {"target",
                                "source",
                                "seeds",
                                "accuracy",
                                "accuracy_se",
                                "macro_f1",
                                "macro_f1_se",
                                "baseline_accuracy",
                                "baseline_macro_f1",
                                "baseline_macro_f1_se",
                                "gain",
                                "gain_se"};

std::string number(double v) { return std::isfinite(v) ? fmt::format("{:.6f}", v) : ""; }

}  // namespace

std::string transfer_matrix_csv(const std::vector<TransferCell>& cells) {
  std::string out;
  for (const char* c : kMatrixColumns) out += (out.empty() ? "" : ",") + std::string(c);
  out += "\n";
  for (const auto& c : cells)
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(c.target), csv_field(c.source), c.seeds,
                       number(c.accuracy), number(c.accuracy_se), number(c.macro_f1), number(c.macro_f1_se),
                       number(c.baseline_accuracy), number(c.baseline_macro_f1), number(c.baseline_macro_f1_se),
                       number(c.gain), number(c.gain_se));
  return out;
}

std::vector<TransferCell> read_transfer_matrix(const fs::path& path) {
  const Table t = read_table(path);
  std::vector<std::size_t> index;
  for (const char* c : kMatrixColumns) index.push_back(t.require_column(c));
  std::vector<TransferCell> cells;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    TransferCell c;
    c.target = t.rows[r][index[0]];
    c.source = t.rows[r][index[1]];
    const double seeds = table_number(t, r, index[2]);
    c.seeds = std::isfinite(seeds) && seeds >= 0 ? static_cast<std::size_t>(seeds) : 0;
    double* fields[] = {
        &c.accuracy,          &c.accuracy_se,          &c.macro_f1, &c.macro_f1_se, &c.baseline_accuracy,
        &c.baseline_macro_f1, &c.baseline_macro_f1_se, &c.gain,     &c.gain_se};
    for (std::size_t k = 0; k < std::size(fields); ++k) *fields[k] = table_number(t, r, index[k + 3]);
    cells.push_back(std::move(c));
  }
  return cells;
}

}  // namespace taskscout
