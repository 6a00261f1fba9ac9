#pragma once
// A labelled text dataset read from a table (see table.hpp for the formats).
//
// Rules:
// - Text cells are taken as they are; an empty text is allowed (it is a valid input to a
//   tokenizer and occurs in real data, e.g. empty tweets).
// - Labels are trimmed of surrounding spaces and tabs; an empty label is an error.
// - Classification label order: if every label is an integer (optional sign, digits),
//   the classes are ordered numerically (so "2" < "10"); otherwise by byte-wise string
//   order, which for UTF-8 is code-point order. Ids therefore never depend on row order,
//   and the same label set always yields the same ids. Integer labels that differ only
//   in spelling ("1", "01") are distinct classes, ordered by value, then by text.
// - With fixed label_names (e.g. those of a training set) a label's id is its position in
//   that list and a label outside it is an error.
// - Regression labels must parse as finite numbers.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "taskscout/io/table.hpp"

namespace taskscout {

// The io layer's view of a task's kind (estimate/problem.hpp's TaskKind sits above io).
enum class LabelKind { Classification, Regression };

struct DatasetOptions {
  std::string text_column = "text";      // empty = labels only (e.g. targets for `score`)
  std::string text_pair_column;          // empty = single texts
  std::string label_column = "label";    // empty = unlabelled (texts only)
  std::optional<LabelKind> kind;         // empty = classification
  std::vector<std::string> label_names;  // fixed class order; empty = infer from the data
};

struct Dataset {
  std::string path;
  std::vector<std::string> texts, text_pairs;  // text_pairs empty unless a pair column is set
  LabelKind kind = LabelKind::Classification;
  std::vector<std::int64_t> label_ids;  // classification: an index into label_names per row
  std::vector<std::string> label_names;
  std::vector<double> values;  // regression: one value per row

  std::size_t size() const { return std::max({texts.size(), label_ids.size(), values.size()}); }
};

// Reads `path` with read_table and builds the dataset. Throws InputError (with the file
// and line) for a missing column, an empty or unknown label, a non-numeric regression
// label, or a table without rows; UsageError for label_names given with regression.
Dataset load_dataset(const std::filesystem::path& path, const DatasetOptions& options = {});
Dataset make_dataset(const Table& table, const DatasetOptions& options = {});

// Up to `max` row indices of n: all when n <= max, otherwise a seeded random subset (a
// partial Fisher–Yates shuffle by mt19937_64(seed)), in increasing order.
std::vector<std::size_t> sample_rows(std::size_t n, std::size_t max, std::uint64_t seed);
// The given rows of `data`, in the order given; label names and kind kept.
Dataset select_rows(const Dataset& data, const std::vector<std::size_t>& rows);

}  // namespace taskscout
