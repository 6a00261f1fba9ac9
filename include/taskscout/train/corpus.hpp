#pragma once
// The raw text of a pretraining corpus, read from files by extension:
//   .csv .tsv .jsonl .ndjson  a table (io/table.hpp); its text column holds one text per row
//   anything else             plain text: one text per line (LF or CRLF)
// Blank texts (empty or only whitespace) are skipped in every format. Every file must be
// valid UTF-8: the first invalid byte is an InputError naming the file, line and column.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace taskscout {

struct CorpusOptions {
  std::string text_column = "text";  // for table files
};

struct CorpusFile {
  std::string path;
  std::size_t texts = 0;    // kept (non-blank) texts
  std::size_t skipped = 0;  // blank lines or rows
};

struct Corpus {
  std::vector<std::string> texts;  // in file order, then line order
  std::vector<CorpusFile> files;
  std::uint64_t bytes = 0;  // of the kept texts

  // FNV-1a over the texts (with their lengths): a cheap check that a resumed run reads
  // the same corpus.
  std::uint64_t fingerprint() const;
};

// Reads every file in order. IoError for a missing or unreadable file; InputError for
// invalid UTF-8, a malformed table or a table without the text column (each naming the
// file and line); InputError when no file holds any text.
Corpus read_corpus(const std::vector<std::filesystem::path>& files, const CorpusOptions& options = {});

}  // namespace taskscout
