#pragma once
// Tables of text cells read from CSV, TSV or JSON Lines, with the line of every row kept
// for error messages further up (a bad label names the line it came from).
//
// Format by extension:
//   .csv            RFC 4180: comma separated; a field in double quotes may hold commas,
//                   newlines and doubled quotes (""); LF or CRLF line ends; the first
//                   record is the header. A quote inside an unquoted field is literal.
//   .tsv            the same rules with tabs.
//   .jsonl .ndjson  one JSON object per line; the columns are the keys of the first
//                   object, in file order; every later object must have them (extra keys
//                   are ignored); strings, numbers and booleans become cells.
// All formats: the file must be valid UTF-8; a leading UTF-8 BOM is skipped; blank lines
// are skipped (so a one-column CSV writes an empty cell as "").
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskscout {

struct Table {
  std::string path;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // each has columns.size() cells
  std::vector<long> lines;                     // the 1-based line where each row starts

  std::optional<std::size_t> column_index(std::string_view name) const;
  // The index of `name`; throws InputError listing the available columns when absent.
  std::size_t require_column(std::string_view name) const;
};

enum class TableFormat { Csv, Tsv, Jsonl };

// The format for a path's extension; throws UsageError for any other extension.
TableFormat table_format(const std::filesystem::path& path);

// Reads a whole table. Missing or unreadable file → IoError; malformed contents (no
// header, a row with the wrong number of fields, an unterminated quote, invalid UTF-8 or
// JSON) → InputError with a "path:line:" prefix.
Table read_table(const std::filesystem::path& path);

// Parses `text` as if read from a file named `path` (used in messages).
Table parse_table(std::string_view text, TableFormat format, const std::string& path);

// One CSV field as RFC 4180 writes it: quoted (with doubled quotes) when it holds a comma,
// a quote or a line break.
std::string csv_field(const std::string& text);

// The cell as a number: NaN when empty; InputError naming the file, line and column when
// it is not a number.
double table_number(const Table& table, std::size_t row, std::size_t column);

}  // namespace taskscout
