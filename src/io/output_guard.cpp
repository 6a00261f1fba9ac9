#include "taskscout/io/output_guard.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>

#include "taskscout/core/error.hpp"
#include "taskscout/io/safetensors.hpp"

namespace taskscout {

namespace fs = std::filesystem;

namespace {

// Absolute and free of "..", symlinks resolved as far as the path exists.
fs::path normal(const fs::path& p) {
  std::error_code ec;
  fs::path n = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? fs::absolute(p).lexically_normal() : n;
}

bool inside(const fs::path& path, const fs::path& folder) {
  auto [f, p] = std::mismatch(folder.begin(), folder.end(), path.begin(), path.end());
  return f == folder.end() || (std::next(f) == folder.end() && f->empty());  // "a/b/" ends in an empty element
}

// The registry folder holding `path`: the layout registry.hpp describes.
std::optional<fs::path> registry_around(const fs::path& path) {
  std::error_code ec;
  for (fs::path dir = path.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (fs::is_regular_file(dir / "registry.sqlite", ec) && fs::is_directory(dir / "blobs", ec)) return dir;
    if (dir == dir.root_path()) break;
  }
  return std::nullopt;
}

std::string named(const OutputRule& rule) { return rule.flag.empty() ? "" : rule.flag + " "; }

}  // namespace

void check_output(const fs::path& out, const OutputRule& rule) {
  const fs::path target = normal(out);
  std::error_code ec;
  const bool exists = fs::exists(out, ec);
  for (const auto& input : rule.inputs) {
    if (input.empty() || !fs::exists(input, ec)) continue;
    const fs::path in = normal(input);
    const bool same = exists && fs::equivalent(out, input, ec);
    if (same || (exists && fs::is_directory(input, ec) && inside(target, in)))
      throw UsageError(fmt::format("{}{} {} an input of this command ({}); write the output elsewhere", named(rule),
                                   out.string(), same ? "is" : "lies inside", input.string()));
  }
  if (const auto reg = registry_around(target))
    throw UsageError(
        fmt::format("{}{} lies inside the registry {}, whose files only `taskscout registry` and "
                    "`taskscout register` write; write the output elsewhere",
                    named(rule), out.string(), reg->string()));
  if (!exists || rule.force) return;
  if (fs::is_directory(out, ec))
    throw UsageError(fmt::format("{}{} is a folder; give a file name", named(rule), out.string()));
  if (rule.written_by_taskscout && rule.written_by_taskscout(out)) return;
  throw UsageError(fmt::format(
      "{} exists and was not written by taskscout (it is not {}); choose another path, or pass {} to replace it",
      out.string(), rule.kind.empty() ? "a taskscout output" : rule.kind, opt("force")));
}

bool is_taskscout_safetensors(const fs::path& path, const std::string& format) {
  try {
    const SafetensorsFile f(path);
    const auto it = f.metadata().find("format");
    return it != f.metadata().end() && it->second == format;
  } catch (const std::exception&) {
    return false;
  }
}

bool is_npy_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[6] = {};
  in.read(magic, 6);
  return in.gcount() == 6 && std::string_view(magic, 6) == "\x93NUMPY";
}

bool is_numeric_csv(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!std::getline(in, line)) return false;  // the header: any names
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::size_t start = 0;
    while (start <= line.size()) {
      const std::size_t end = std::min(line.find(',', start), line.size());
      const std::string_view cell(line.data() + start, end - start);
      double v;
      const bool nan = cell == "nan" || cell == "inf" || cell == "-inf";
      if (!nan) {
        auto [p, e] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
        if (e != std::errc() || p != cell.data() + cell.size()) return false;
      }
      start = end + 1;
    }
    ++rows;
  }
  return rows > 0;
}

OutputRule array_output_rule(const fs::path& out, std::vector<fs::path> inputs, bool force) {
  OutputRule rule;
  rule.inputs = std::move(inputs);
  rule.force = force;
  const std::string ext = out.extension().string();
  if (ext == ".safetensors") {
    rule.written_by_taskscout = [](const fs::path& p) { return is_taskscout_safetensors(p, kArrayFormat); };
    rule.kind = "an array file taskscout wrote: its metadata has no \"format\": \"taskscout-array\"";
  } else if (ext == ".npy") {
    rule.written_by_taskscout = is_npy_file;
    rule.kind = "an .npy array";
  } else {
    rule.written_by_taskscout = is_numeric_csv;
    rule.kind = "a CSV of numbers, as taskscout writes";
  }
  return rule;
}

}  // namespace taskscout
