#include "taskscout/train/corpus.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "taskscout/core/error.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "taskscout/io/table.hpp"
#include "taskscout/io/utf8.hpp"

namespace taskscout {
namespace {

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; });
}

bool is_table(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".csv" || ext == ".tsv" || ext == ".jsonl" || ext == ".ndjson";
}

void read_lines(const std::filesystem::path& path, Corpus& corpus, CorpusFile& file) {
  const MappedFile mapped(path);
  std::string_view text = mapped.text();
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  long line = 0;
  for (std::size_t start = 0; start < text.size();) {
    ++line;
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view s = text.substr(start, end - start);
    start = end + 1;
    if (s.ends_with('\r')) s.remove_suffix(1);
    if (const auto bad = find_invalid_utf8(s)) {
      long column = 1;
      for (std::size_t i = 0; i < *bad; ++i) column += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
      throw InputError(
          location(path.string(), line, column) +
          fmt::format("invalid UTF-8 (byte 0x{:02X}); save the corpus as UTF-8", static_cast<unsigned char>(s[*bad])));
    }
    if (blank(s)) {
      ++file.skipped;
      continue;
    }
    corpus.texts.emplace_back(s);
    corpus.bytes += s.size();
    ++file.texts;
  }
}

void read_rows(const std::filesystem::path& path, const CorpusOptions& options, Corpus& corpus, CorpusFile& file) {
  const Table table = read_table(path);
  const std::size_t column = table.require_column(options.text_column);
  for (const auto& row : table.rows) {
    if (blank(row[column])) {
      ++file.skipped;
      continue;
    }
    corpus.texts.push_back(row[column]);
    corpus.bytes += row[column].size();
    ++file.texts;
  }
}

}  // namespace

std::uint64_t Corpus::fingerprint() const {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](unsigned char c) { h = (h ^ c) * 1099511628211ull; };
  for (const auto& t : texts) {
    for (int k = 0; k < 8; ++k) mix(static_cast<unsigned char>(t.size() >> (8 * k)));
    for (char c : t) mix(static_cast<unsigned char>(c));
  }
  return h;
}

Corpus read_corpus(const std::vector<std::filesystem::path>& files, const CorpusOptions& options) {
  if (files.empty()) throw UsageError("no corpus files given");
  Corpus corpus;
  for (const auto& path : files) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      throw IoError(location(path.string()) + (std::filesystem::exists(path, ec)
                                                   ? "is not a regular file; give corpus files, not folders"
                                                   : "no such file"));
    CorpusFile file{path.string()};
    if (is_table(path))
      read_rows(path, options, corpus, file);
    else
      read_lines(path, corpus, file);
    corpus.files.push_back(file);
  }
  if (corpus.texts.empty())
    throw InputError(location(files.front().string()) +
                     (files.size() == 1 ? "holds no text" : "and the other corpus files hold no text") +
                     "; a corpus needs at least one non-blank line");
  return corpus;
}

}  // namespace taskscout
