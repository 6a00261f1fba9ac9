#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/io/table.hpp"

namespace taskscout::cli {

void add_common_options(CLI::App& cmd, CommonOptions& options) {
  cmd.add_option("--threads", options.threads, "Worker threads (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd.add_option("--seed", options.seed, "Seed for every random choice")->capture_default_str();
  cmd.add_flag("--json", options.json, "Print results as one JSON object");
  cmd.add_flag("--csv", options.csv, "Print results as CSV");
}

void apply_common_options(const CommonOptions& options) {
  if (options.json && options.csv) throw UsageError("--json and --csv exclude each other; pick one");
  set_thread_count(options.threads > 0 ? options.threads : default_thread_count());
}

std::string format_table(const ResultTable& table, bool csv) {
  std::string out;
  if (csv) {
    auto line = [&](const std::vector<std::string>& cells) {
      for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_field(cells[i]);
      out += "\n";
    };
    line(table.columns);
    for (const auto& row : table.rows) line(row);
  } else {
    std::vector<std::size_t> width(table.columns.size());
    for (std::size_t i = 0; i < width.size(); ++i) {
      width[i] = table.columns[i].size();
      for (const auto& row : table.rows) width[i] = std::max(width[i], row[i].size());
    }
    auto line = [&](const std::vector<std::string>& cells) {
      for (std::size_t i = 0; i < cells.size(); ++i)
        out += fmt::format("{}{:<{}}", i ? "  " : "", cells[i], i + 1 < cells.size() ? width[i] : 0);
      out += "\n";
    };
    line(table.columns);
    for (const auto& row : table.rows) line(row);
  }
  return out;
}

void print_table(const ResultTable& table, bool csv) {
  const std::string out = format_table(table, csv);
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void print_json(const nlohmann::ordered_json& j) {
  const std::string out = j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string format_number(double value) {
  if (std::isnan(value)) return "nan";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, end);
}

Progress ProgressBars::callbacks() {
  return {[this](const std::string& phase, std::int64_t total) {
            bar_.emplace(phase, total);
            shown_ = 0;
          },
          [this](std::int64_t done, const std::string& detail) {
            if (!bar_) return;
            if (!detail.empty()) bar_->show(detail);
            bar_->advance(done - shown_);
            shown_ = done;
          },
          [this] { bar_.reset(); }};
}

namespace {

std::map<std::pair<std::string, std::string>, std::string>& renamed_flags() {
  static std::map<std::pair<std::string, std::string>, std::string> flags;
  return flags;
}

}  // namespace

void rename_option_flag(const std::string& command, const std::string& option, const std::string& flag) {
  renamed_flags()[{command, option}] = flag;
}

std::string option_flag(const std::string& command, std::string_view option) {
  if (const auto it = renamed_flags().find({command, std::string(option)}); it != renamed_flags().end())
    return it->second;
  std::string flag = "--" + std::string(option.substr(option.rfind('.') + 1));
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

}  // namespace taskscout::cli
