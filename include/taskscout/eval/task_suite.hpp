#pragma once
// A suite of labelled text tasks, each with train, dev and test splits: what the transfer
// benchmark fine-tunes on. Read from either
//   - a manifest.json: {"tasks": [{"name": …, "train": FILE, "dev": FILE, "test": FILE,
//     "text_column": …, "label_column": …, "domain": …}, …]}, file paths relative to the
//     manifest's folder; absent files default to NAME/{train,dev,test}.csv (the layout of
//     ../shared/data/tasks and of `taskscout synth --text-tasks`); or
//   - a folder of task folders, each holding train, dev and test as .csv, .tsv or .jsonl
//     (a folder with a manifest.json is read through it).
#include <filesystem>
#include <string>
#include <vector>

namespace taskscout {

struct TaskSpec {
  std::string name;
  std::filesystem::path train, dev, test;
  std::string text_column = "text", label_column = "label";
  std::string domain;  // the manifest's description, when it gives one
};

// Every task, in manifest order (folders: by name). InputError naming the manifest entry or
// folder and what is missing: a split file that does not exist, a task without a name, a
// name used twice, no tasks at all.
std::vector<TaskSpec> load_task_suite(const std::filesystem::path& manifest_or_folder);

// The tasks named in `names` (all when empty), in the suite's order; InputError listing the
// known names for an unknown one.
std::vector<TaskSpec> select_tasks(const std::vector<TaskSpec>& suite, const std::vector<std::string>& names,
                                   const std::string& flag);

}  // namespace taskscout
