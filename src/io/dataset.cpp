#include "taskscout/io/dataset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <random>
#include <unordered_map>

#include "taskscout/core/error.hpp"

namespace taskscout {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::int64_t> parse_integer(std::string_view s) {
  if (s.starts_with('+')) s.remove_prefix(1);
  std::int64_t v;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<double> parse_number(std::string_view s) {
  if (s.starts_with('+')) s.remove_prefix(1);
  double v;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The class names in the documented order: numeric when all are integers, else byte-wise.
std::vector<std::string> ordered_classes(std::vector<std::string> names) {
  std::vector<std::pair<std::int64_t, std::string>> numeric;
  for (const auto& n : names) {
    auto v = parse_integer(n);
    if (!v) {
      std::sort(names.begin(), names.end());
      return names;
    }
    numeric.emplace_back(*v, n);
  }
  std::sort(numeric.begin(), numeric.end());
  for (std::size_t i = 0; i < names.size(); ++i) names[i] = std::move(numeric[i].second);
  return names;
}

std::string known_labels(const std::vector<std::string>& names) {
  constexpr std::size_t shown = 20;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? ", \"" : "\"") + names[i] + "\"";
  if (names.size() > shown) out += fmt::format(" and {} more", names.size() - shown);
  return out;
}

}  // namespace

Dataset make_dataset(const Table& table, const DatasetOptions& options) {
  const LabelKind kind = options.kind.value_or(LabelKind::Classification);
  if (kind == LabelKind::Regression && !options.label_names.empty())
    throw UsageError("label names were given for a regression task; they only apply to classification");
  if (table.rows.empty())
    throw InputError(location(table.path) + "the table has a header but no rows; a dataset needs at least one example");

  Dataset d;
  d.path = table.path;
  d.kind = kind;
  const std::size_t n = table.rows.size();
  if (!options.text_column.empty()) {
    const std::size_t text_col = table.require_column(options.text_column);
    d.texts.reserve(n);
    for (const auto& row : table.rows) d.texts.push_back(row[text_col]);
  }
  if (!options.text_pair_column.empty()) {
    const std::size_t pair_col = table.require_column(options.text_pair_column);
    d.text_pairs.reserve(n);
    for (const auto& row : table.rows) d.text_pairs.push_back(row[pair_col]);
  }
  if (options.label_column.empty()) return d;

  const std::size_t label_col = table.require_column(options.label_column);
  std::vector<std::string_view> labels(n);
  for (std::size_t r = 0; r < n; ++r) {
    labels[r] = trim(table.rows[r][label_col]);
    if (labels[r].empty())
      throw InputError(
          location(table.path, table.lines[r]) +
          fmt::format("the label (column \"{}\") is empty; every row needs a label", options.label_column));
  }

  if (kind == LabelKind::Regression) {
    d.values.reserve(n);
    for (std::size_t r = 0; r < n; ++r) {
      auto v = parse_number(labels[r]);
      if (!v || !std::isfinite(*v))
        throw InputError(location(table.path, table.lines[r]) +
                         fmt::format("the label \"{}\" is not a finite number, but the task is a regression; fix the "
                                     "value or treat the task as classification",
                                     labels[r]));
      d.values.push_back(*v);
    }
    return d;
  }

  if (options.label_names.empty()) {
    std::vector<std::string> distinct(labels.begin(), labels.end());
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    d.label_names = ordered_classes(std::move(distinct));
  } else {
    d.label_names = options.label_names;
  }
  std::unordered_map<std::string_view, std::int64_t> ids;
  for (std::size_t i = 0; i < d.label_names.size(); ++i)
    if (!ids.emplace(d.label_names[i], static_cast<std::int64_t>(i)).second)
      throw UsageError(fmt::format("the label \"{}\" appears twice in the given label names", d.label_names[i]));
  d.label_ids.reserve(n);
  for (std::size_t r = 0; r < n; ++r) {
    auto it = ids.find(labels[r]);
    if (it == ids.end())
      throw InputError(location(table.path, table.lines[r]) +
                       fmt::format("unknown label \"{}\"; the labels are fixed to {}; fix the label or "
                                   "include it in the label set",
                                   labels[r], known_labels(d.label_names)));
    d.label_ids.push_back(it->second);
  }
  return d;
}

Dataset load_dataset(const std::filesystem::path& path, const DatasetOptions& options) {
  return make_dataset(read_table(path), options);
}

std::vector<std::size_t> sample_rows(std::size_t n, std::size_t max, std::uint64_t seed) {
  std::vector<std::size_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  if (n <= max) return rows;
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < max; ++i) std::swap(rows[i], rows[i + rng() % (n - i)]);
  rows.resize(max);
  std::sort(rows.begin(), rows.end());
  return rows;
}

Dataset select_rows(const Dataset& data, const std::vector<std::size_t>& rows) {
  Dataset out;
  out.path = data.path;
  out.kind = data.kind;
  out.label_names = data.label_names;
  for (std::size_t r : rows) {
    if (!data.texts.empty()) out.texts.push_back(data.texts[r]);
    if (!data.text_pairs.empty()) out.text_pairs.push_back(data.text_pairs[r]);
    if (!data.label_ids.empty()) out.label_ids.push_back(data.label_ids[r]);
    if (!data.values.empty()) out.values.push_back(data.values[r]);
  }
  return out;
}

}  // namespace taskscout
