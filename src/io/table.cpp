#include "taskscout/io/table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "taskscout/core/error.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "taskscout/io/utf8.hpp"

namespace taskscout {

namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
  return out;
}

// Rejects invalid UTF-8 before parsing, naming the line and the column (in characters).
void check_utf8(std::string_view text, const std::string& path) {
  const auto bad = find_invalid_utf8(text);
  if (!bad) return;
  const std::string_view before = text.substr(0, *bad);
  const long line = 1 + static_cast<long>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t line_start = before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
  long column = 1;
  for (std::size_t i = line_start; i < *bad; ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;  // count lead bytes only
  throw InputError(location(path, line, column) + fmt::format("invalid UTF-8 (byte 0x{:02X}); save the file as UTF-8",
                                                              static_cast<unsigned char>(text[*bad])));
}

void check_header(const std::vector<std::string>& columns, const std::string& path, long line) {
  std::unordered_map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    auto [it, fresh] = seen.emplace(columns[i], i);
    if (!fresh)
      throw InputError(location(path, line) +
                       fmt::format("column \"{}\" appears twice in the header (columns {} and {}); "
                                   "rename one",
                                   columns[i], it->second + 1, i + 1));
  }
}

// RFC 4180 records with `sep` between fields.
class DelimitedParser {
 public:
  DelimitedParser(std::string_view text, char sep, const std::string& path) : s_(text), sep_(sep), path_(path) {}

  Table parse() {
    Table t;
    t.path = path_;
    std::vector<std::string> record;
    long start_line = 0;
    bool have_header = false;
    while (next_record(record, start_line)) {
      if (!have_header) {
        t.columns = std::move(record);
        check_header(t.columns, path_, start_line);
        have_header = true;
      } else {
        if (record.size() != t.columns.size()) throw field_count_error(record.size(), t.columns, start_line);
        t.rows.push_back(std::move(record));
        t.lines.push_back(start_line);
      }
      record = {};
    }
    if (!have_header)
      throw InputError(location(path_) + fmt::format("the file is empty; the first line must be a header naming the "
                                                     "columns, e.g. {}",
                                                     sep_ == '\t' ? "text<tab>label" : "text,label"));
    return t;
  }

 private:
  const char* sep_name() const { return sep_ == '\t' ? "tab" : "comma"; }

  InputError field_count_error(std::size_t got, const std::vector<std::string>& columns, long line) const {
    return InputError(location(path_, line) +
                      fmt::format("this row has {} fields, the header has {} ({}); put fields that contain a {} or a "
                                  "line break in double quotes",
                                  got, columns.size(), quoted_list(columns), sep_name()));
  }

  // LF, CRLF, or a CR that ends the file. Only called with i_ < s_.size().
  bool at_line_end() const { return s_[i_] == '\n' || (s_[i_] == '\r' && (i_ + 1 == s_.size() || s_[i_ + 1] == '\n')); }

  void skip_line_end() {
    if (s_[i_] == '\r') ++i_;
    if (i_ < s_.size()) ++i_;
    ++line_;
  }

  // Reads the next non-blank record; false at the end of the input.
  bool next_record(std::vector<std::string>& fields, long& start_line) {
    while (i_ < s_.size() && at_line_end()) skip_line_end();  // blank lines
    if (i_ >= s_.size()) return false;
    start_line = line_;
    for (;;) {
      fields.push_back(next_field());
      if (i_ >= s_.size()) return true;
      if (s_[i_] == sep_) {  // another field follows, perhaps empty ("a,b," ends with one)
        ++i_;
        continue;
      }
      skip_line_end();  // next_field stops only at a separator, a line end or the end
      return true;
    }
  }

  std::string next_field() {
    if (i_ < s_.size() && s_[i_] == '"') return quoted_field();
    const std::size_t begin = i_;
    while (i_ < s_.size() && s_[i_] != sep_ && !at_line_end()) ++i_;
    return std::string(s_.substr(begin, i_ - begin));
  }

  std::string quoted_field() {
    const long open_line = line_;
    ++i_;  // the opening quote
    std::string out;
    for (;;) {
      const std::size_t q = s_.find('"', i_);
      if (q == std::string_view::npos)
        throw InputError(location(path_, open_line) +
                         "a quoted field starts here but its closing quote is missing; close it, and write a quote "
                         "inside a quoted field as two (\"\")");
      const std::string_view chunk = s_.substr(i_, q - i_);
      line_ += static_cast<long>(std::count(chunk.begin(), chunk.end(), '\n'));
      out.append(chunk);
      i_ = q + 1;
      if (i_ < s_.size() && s_[i_] == '"') {  // "" stands for one quote
        out.push_back('"');
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] != sep_ && !at_line_end())
        throw InputError(location(path_, line_) +
                         "unexpected text after the closing quote of a field; to keep quotes inside a field, put "
                         "the whole field in quotes and double each quote inside it, e.g. \"a \"\"b\"\" c\"");
      return out;
    }
  }

  std::string_view s_;
  char sep_;
  const std::string& path_;
  std::size_t i_ = 0;
  long line_ = 1;
};

std::string json_message(const nlohmann::json::exception& e) {
  // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 5: ".
  std::string_view m = e.what();
  if (auto col = m.find("column "); col != std::string_view::npos)
    if (auto colon = m.find(": ", col); colon != std::string_view::npos) return std::string(m.substr(colon + 2));
  if (auto b = m.find("] "); b != std::string_view::npos) return std::string(m.substr(b + 2));
  return std::string(m);
}

std::string json_type(const nlohmann::ordered_json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::object:
      return "an object";
    default:
      return v.type_name();
  }
}

std::string json_cell(const nlohmann::ordered_json& v, const std::string& key, const std::string& path, long line) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  throw InputError(location(path, line) + fmt::format("\"{}\" is {}; a table cell must be a string, a number or a "
                                                      "boolean",
                                                      key, json_type(v)));
}

Table parse_jsonl(std::string_view s, const std::string& path) {
  Table t;
  t.path = path;
  long line = 0;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t end = s.find('\n', pos);
    if (end == std::string_view::npos) end = s.size();
    std::string_view text = s.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (std::all_of(text.begin(), text.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
      continue;
    nlohmann::ordered_json obj;
    try {
      obj = nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw InputError(location(path, line, static_cast<long>(e.byte)) + "invalid JSON: " + json_message(e) +
                       "; each line must hold one complete JSON object");
    } catch (const nlohmann::json::exception& e) {  // out_of_range: a number like 1e999
      throw InputError(location(path, line) + "invalid JSON: " + json_message(e) +
                       "; each line must hold one complete JSON object");
    }
    if (!obj.is_object())
      throw InputError(location(path, line) + "expected a JSON object {...}, found " + json_type(obj) +
                       "; each line must hold one object whose keys are the columns");
    if (t.columns.empty()) {
      if (obj.empty()) throw InputError(location(path, line) + "the first object has no keys, so there are no columns");
      for (const auto& item : obj.items()) t.columns.push_back(item.key());
    }
    std::vector<std::string> row;
    row.reserve(t.columns.size());
    for (const auto& key : t.columns) {
      auto it = obj.find(key);
      if (it == obj.end())
        throw InputError(location(path, line) +
                         fmt::format("this object has no \"{}\"; every object must have the keys "
                                     "of the first one ({})",
                                     key, quoted_list(t.columns)));
      row.push_back(json_cell(*it, key, path, line));
    }
    t.rows.push_back(std::move(row));
    t.lines.push_back(line);
  }
  if (t.columns.empty())
    throw InputError(location(path) +
                     "the file holds no JSON objects; write one object per line, e.g. "
                     "{\"text\": \"...\", \"label\": \"...\"}");
  return t;
}

}  // namespace

std::optional<std::size_t> Table::column_index(std::string_view name) const {
  auto it = std::find(columns.begin(), columns.end(), name);
  if (it == columns.end()) return std::nullopt;
  return static_cast<std::size_t>(it - columns.begin());
}

std::size_t Table::require_column(std::string_view name) const {
  if (auto i = column_index(name)) return *i;
  throw InputError(location(path) + fmt::format("no column \"{}\"; the columns are {}", name, quoted_list(columns)));
}

TableFormat table_format(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".csv") return TableFormat::Csv;
  if (ext == ".tsv") return TableFormat::Tsv;
  if (ext == ".jsonl" || ext == ".ndjson") return TableFormat::Jsonl;
  throw UsageError(location(path.string()) + "unknown table format \"" + ext +
                   "\"; use a .csv, .tsv, .jsonl or .ndjson file");
}

Table parse_table(std::string_view text, TableFormat format, const std::string& path) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  check_utf8(text, path);
  switch (format) {
    case TableFormat::Csv:
      return DelimitedParser(text, ',', path).parse();
    case TableFormat::Tsv:
      return DelimitedParser(text, '\t', path).parse();
    case TableFormat::Jsonl:
      return parse_jsonl(text, path);
  }
  return {};
}

Table read_table(const std::filesystem::path& path) {
  const TableFormat format = table_format(path);
  const MappedFile file(path);
  return parse_table(file.text(), format, path.string());
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

double table_number(const Table& table, std::size_t row, std::size_t column) {
  const std::string& text = table.rows[row][column];
  if (text.empty()) return std::numeric_limits<double>::quiet_NaN();
  double v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size())
    throw InputError(fmt::format("{}column '{}' holds '{}', not a number", location(table.path, table.lines[row]),
                                 table.columns[column], text));
  return v;
}

}  // namespace taskscout
