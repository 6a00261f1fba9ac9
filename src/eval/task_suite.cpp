// Reading a suite of tasks from a manifest or a folder of task folders (see task_suite.hpp).
#include "taskscout/eval/task_suite.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "taskscout/core/error.hpp"
#include "taskscout/io/json_error.hpp"
#include "taskscout/io/mapped_file.hpp"

namespace taskscout {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSplits[] = {"train", "dev", "test"};

// The split's file in a task folder: SPLIT.csv, .tsv, .jsonl or .ndjson; empty when none.
fs::path find_split(const fs::path& folder, const std::string& split) {
  for (const char* ext : {".csv", ".tsv", ".jsonl", ".ndjson"}) {
    const fs::path p = folder / (split + ext);
    if (fs::is_regular_file(p)) return p;
  }
  return {};
}

void check_files(const TaskSpec& t, const std::string& where) {
  for (const fs::path& p : {t.train, t.dev, t.test})
    if (p.empty() || !fs::is_regular_file(p))
      throw InputError(
          fmt::format("{}task '{}' has no {} split: {} does not exist; every task needs train, dev "
                      "and test",
                      where, t.name, p.empty() ? "?" : p.stem().string(), p.string()));
}

std::vector<TaskSpec> from_manifest(const fs::path& manifest) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(MappedFile(manifest).text());
  } catch (const nlohmann::json::exception& e) {
    throw InputError(location(manifest.string()) + "not valid JSON: " + json_error_text(e));
  }
  if (!j.is_object() || !j.contains("tasks") || !j["tasks"].is_array())
    throw InputError(location(manifest.string()) + "a task manifest needs a \"tasks\" array");
  const fs::path folder = manifest.parent_path();
  std::vector<TaskSpec> out;
  std::size_t index = 0;
  for (const auto& e : j["tasks"]) {
    ++index;
    const std::string where = fmt::format("{}tasks[{}]: ", location(manifest.string()), index - 1);
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || e["name"].get<std::string>().empty())
      throw InputError(where + "each task needs a non-empty string \"name\"");
    TaskSpec t;
    t.name = e["name"].get<std::string>();
    auto text_field = [&](const char* key, std::string& out_value) {
      if (!e.contains(key)) return;
      if (!e[key].is_string()) throw InputError(fmt::format("{}\"{}\" must be a string", where, key));
      out_value = e[key].get<std::string>();
    };
    std::string train, dev, test;
    text_field("train", train);
    text_field("dev", dev);
    text_field("test", test);
    text_field("text_column", t.text_column);
    text_field("label_column", t.label_column);
    text_field("domain", t.domain);
    auto file = [&](const std::string& given, const char* split) {
      return given.empty() ? folder / t.name / (std::string(split) + ".csv") : folder / given;
    };
    t.train = file(train, "train");
    t.dev = file(dev, "dev");
    t.test = file(test, "test");
    check_files(t, where);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<TaskSpec> from_folders(const fs::path& folder) {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  std::vector<TaskSpec> out;
  for (const auto& d : dirs) {
    TaskSpec t;
    t.name = d.filename().string();
    t.train = find_split(d, "train");
    t.dev = find_split(d, "dev");
    t.test = find_split(d, "test");
    if (t.train.empty() && t.dev.empty() && t.test.empty()) continue;  // not a task folder
    for (const char* split : kSplits)
      if (find_split(d, split).empty())
        throw InputError(
            fmt::format("{}task folder has no {} split ({}.csv, .tsv or .jsonl); every task needs "
                        "train, dev and test",
                        location(d.string()), split, split));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

std::vector<TaskSpec> load_task_suite(const fs::path& path) {
  std::vector<TaskSpec> tasks;
  if (fs::is_directory(path))
    tasks = fs::is_regular_file(path / "manifest.json") ? from_manifest(path / "manifest.json") : from_folders(path);
  else if (fs::is_regular_file(path))
    tasks = from_manifest(path);
  else
    throw IoError(location(path.string()) + "no such manifest or folder");
  if (tasks.empty())
    throw InputError(location(path.string()) +
                     "holds no tasks (a manifest.json, or task folders with train, dev "
                     "and test files)");
  std::set<std::string> names;
  for (const auto& t : tasks)
    if (!names.insert(t.name).second)
      throw InputError(
          fmt::format("{}task name '{}' appears twice; names must be unique", location(path.string()), t.name));
  return tasks;
}

std::vector<TaskSpec> select_tasks(const std::vector<TaskSpec>& suite, const std::vector<std::string>& names,
                                   const std::string& flag) {
  if (names.empty()) return suite;
  std::string known;
  for (const auto& t : suite) known += (known.empty() ? "" : ", ") + t.name;
  for (const auto& n : names)
    if (std::none_of(suite.begin(), suite.end(), [&](const TaskSpec& t) { return t.name == n; }))
      throw InputError(fmt::format("{} names '{}', which is not a task of the suite; tasks: {}", flag, n, known));
  std::vector<TaskSpec> out;
  for (const auto& t : suite)
    if (std::find(names.begin(), names.end(), t.name) != names.end()) out.push_back(t);
  return out;
}

}  // namespace taskscout
