#pragma once
// The one rule every command that writes a file follows before it starts work: an output
// path never replaces
//   - an input of the same command (the file itself, or a file inside an input folder,
//     e.g. --out model/model.safetensors while --model model is read);
//   - a file of a source registry (any folder holding registry.sqlite and blobs/);
//   - an existing file taskscout did not write, unless `force`.
// The first two are refused even with --force. "Taskscout wrote it" is judged by content,
// by a check the command supplies (a metadata mark in safetensors, the application id of an
// archive, the generator tag of a report): a file taskscout wrote can be written again,
// so re-running a command works as before.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace taskscout {

struct OutputRule {
  std::string flag = "--out";                 // how messages name the output
  std::vector<std::filesystem::path> inputs;  // files and folders the command reads (empty ones ignored)
  bool force = false;                         // replace a file taskscout did not write
  std::function<bool(const std::filesystem::path&)> written_by_taskscout;  // for an existing file
  std::string kind;  // what such a file is, e.g. "a taskscout registry archive"
};

// Throws UsageError naming the path, what it is and what to do.
void check_output(const std::filesystem::path& out, const OutputRule& rule);

// Content checks for OutputRule::written_by_taskscout. Never throw; false for unreadable files.
// A safetensors file whose metadata "format" is `format` (e.g. "taskscout-array", "taskscout-esm").
bool is_taskscout_safetensors(const std::filesystem::path& path, const std::string& format);
// A .npy file (the magic string). .npy files cannot carry a mark (taskscout writes them
// byte-identical to numpy's), so any array file is taken as an earlier result.
bool is_npy_file(const std::filesystem::path& path);
// A CSV of numbers under one header line, as `predict` writes (a dataset, with texts, is not).
bool is_numeric_csv(const std::filesystem::path& path);

// The metadata mark save_array puts in the safetensors files it writes.
inline constexpr const char* kArrayFormat = "taskscout-array";

// The rule for an array or table output (`embed`, `predict`), by extension: a .safetensors
// file save_array wrote, an .npy file, or a CSV of numbers may be replaced.
OutputRule array_output_rule(const std::filesystem::path& out, std::vector<std::filesystem::path> inputs, bool force);

}  // namespace taskscout
