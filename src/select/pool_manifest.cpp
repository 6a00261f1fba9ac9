// Reading a pool manifest and a row's options (see pool_registration.hpp).
#include <fmt/format.h>

#include <charconv>
#include <map>
#include <set>

#include "taskscout/core/error.hpp"
#include "taskscout/io/table.hpp"
#include "taskscout/select/pool_registration.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKeys = "epochs, learning_rate, seed, batch_size, max_length, max_train_examples";

// The first of <folder>/<stem>.csv, .tsv, .jsonl that exists; empty when none does.
fs::path task_file(const fs::path& folder, const std::string& stem) {
  for (const char* ext : {".csv", ".tsv", ".jsonl"}) {
    std::error_code ec;
    if (fs::is_regular_file(folder / (stem + ext), ec)) return folder / (stem + ext);
  }
  return {};
}

// An existing data file, else why not.
std::string data_file_problem(const fs::path& path, const std::string& column) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    return fmt::format("the {} {} does not exist; fix the path (a relative one is read from the manifest's folder)",
                       column, path.string());
  try {
    table_format(path);
  } catch (const UsageError& e) {
    return fmt::format("the {} {}: {}", column, path.string(), e.what());
  }
  return "";
}

template <class T>
T parse_number(const std::string& key, const std::string& text, const std::string& where) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    throw InputError(fmt::format("{}the option {}={} is not a number", where, key, text));
  return value;
}

}  // namespace

SourceRegistrationOptions pool_source_options(const SourceRegistrationOptions& defaults, const PoolRow& row,
                                              const std::string& where) {
  SourceRegistrationOptions o = defaults;
  o.name = row.name;
  try {
    o.fine_tune.method = parse_fine_tune_method(row.method);
  } catch (const UsageError&) {
    o.fine_tune.method = FineTuneMethod::Compose;  // any non-training method: refused below
  }
  if (o.fine_tune.method == FineTuneMethod::Compose)
    throw InputError(fmt::format("{}unknown method \"{}\"; choose full, adapter or lora", where, row.method));
  // Each row's defaults are the command's; a row changes only what it names.
  std::set<std::string> seen;
  std::size_t start = 0;
  while (start <= row.options.size()) {
    const std::size_t end = std::min(row.options.find(';', start), row.options.size());
    std::string item = row.options.substr(start, end - start);
    start = end + 1;
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw InputError(
          fmt::format("{}the option \"{}\" is not key=value; write e.g. epochs=2;learning_rate=1e-3", where, item));
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (!seen.insert(key).second) throw InputError(fmt::format("{}the option {} is given twice", where, key));
    FineTuneOptions& f = o.fine_tune;
    if (key == "epochs") {
      f.epochs = parse_number<std::int64_t>(key, value, where);
      if (f.epochs < 1) throw InputError(fmt::format("{}epochs must be at least 1, not {}", where, value));
    } else if (key == "learning_rate") {
      f.learning_rate = parse_number<double>(key, value, where);
      if (!(f.learning_rate > 0))
        throw InputError(fmt::format("{}learning_rate must be positive, not {}", where, value));
    } else if (key == "seed") {
      f.seed = parse_number<std::uint64_t>(key, value, where);
      o.esm.seed = f.seed;  // as `register --seed` seeds both
    } else if (key == "batch_size") {
      f.batch_size = parse_number<std::size_t>(key, value, where);
      if (f.batch_size < 1) throw InputError(fmt::format("{}batch_size must be at least 1", where));
    } else if (key == "max_length") {
      f.max_length = parse_number<std::size_t>(key, value, where);
    } else if (key == "max_train_examples") {
      f.max_train_examples = parse_number<std::size_t>(key, value, where);
    } else {
      throw InputError(fmt::format("{}unknown option \"{}\"; a row's options are {}", where, key, kKeys));
    }
  }
  return o;
}

PoolManifest read_pool_manifest(const fs::path& manifest) {
  const Table table = read_table(manifest);
  const std::size_t name_col = table.require_column("name"), dataset_col = table.require_column("dataset"),
                    method_col = table.require_column("method");
  const auto dev_col = table.column_index("dev"), options_col = table.column_index("options");
  if (table.rows.empty())
    throw InputError(location(manifest.string()) +
                     "the pool manifest has no rows; add one source per row (name, dataset, method)");
  const fs::path folder = fs::absolute(manifest).parent_path();
  auto resolve = [&](const std::string& cell) { return (folder / cell).lexically_normal(); };

  PoolManifest result;
  result.path = manifest;
  std::map<std::string, long> first_line;  // by name
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const auto& row = table.rows[i];
    PoolRow s;
    s.line = table.lines[i];
    s.name = row[name_col];
    s.method = row[method_col];
    s.options = options_col ? row[*options_col] : "";
    const std::string where = fmt::format("{}:{}: source \"{}\": ", manifest.string(), s.line, s.name);
    std::string problem;
    try {
      check_source_name(s.name);
    } catch (const InputError& e) {
      problem = e.what();
    }
    if (problem.empty() && first_line.count(s.name))
      problem = fmt::format("the name is also on line {}; give every row its own name", first_line[s.name]);
    first_line.emplace(s.name, s.line);
    // The dataset: a task folder (train file, optional dev file) or one file.
    const std::string dataset = row[dataset_col];
    if (problem.empty() && dataset.empty()) problem = "the dataset is empty; give a task folder or a data file";
    if (problem.empty()) {
      const fs::path path = resolve(dataset);
      std::error_code ec;
      if (fs::is_directory(path, ec)) {
        s.dataset = task_file(path, "train");
        s.dev = task_file(path, "dev");
        if (s.dataset.empty())
          problem = fmt::format("the task folder {} holds no train.csv (nor .tsv, .jsonl); add it, or name a data file",
                                path.string());
      } else {
        s.dataset = path;
        problem = data_file_problem(path, "dataset");
      }
    }
    if (problem.empty() && dev_col && !row[*dev_col].empty()) {
      s.dev = resolve(row[*dev_col]);
      problem = data_file_problem(s.dev, "dev set");
    }
    if (problem.empty()) {
      try {
        pool_source_options({}, s, "");  // the method and options, checked before any work
      } catch (const InputError& e) {
        problem = e.what();
      }
    }
    if (!problem.empty()) s.problem = where + problem;
    result.sources.push_back(std::move(s));
  }
  return result;
}

}  // namespace taskscout
