#include "taskscout/text/encoding.hpp"

#include <algorithm>
#include <string>

#include "taskscout/core/error.hpp"

namespace taskscout::text {

BatchEncoding pad(std::span<const Encoding* const> encodings, const PaddingOptions& options) {
  BatchEncoding b;
  b.rows = encodings.size();
  std::size_t longest = 0;
  for (const Encoding* e : encodings) longest = std::max(longest, e->size());
  b.length = longest;
  if (options.strategy == PaddingOptions::Strategy::Fixed) {
    if (longest > options.length)
      throw UsageError("a text has " + std::to_string(longest) + " tokens, more than the fixed padding length " +
                       std::to_string(options.length) + "; enable truncation to that length");
    b.length = options.length;
  }
  if (options.multiple_of > 0 && b.length % options.multiple_of != 0)
    b.length += options.multiple_of - b.length % options.multiple_of;

  const std::size_t total = b.rows * b.length;
  b.input_ids.assign(total, options.pad_id);
  b.attention_mask.assign(total, 0);
  b.token_type_ids.assign(total, options.pad_type_id);
  b.lengths.reserve(b.rows);
  for (std::size_t r = 0; r < b.rows; ++r) {
    const Encoding& e = *encodings[r];
    const std::size_t start = r * b.length + (options.side == Side::Left ? b.length - e.size() : 0);
    std::copy(e.ids.begin(), e.ids.end(), b.input_ids.begin() + start);
    std::copy(e.type_ids.begin(), e.type_ids.end(), b.token_type_ids.begin() + start);
    std::fill_n(b.attention_mask.begin() + start, e.size(), 1);
    b.lengths.push_back(static_cast<std::uint32_t>(e.size()));
    b.truncated_texts += e.truncated > 0;
  }
  return b;
}

std::vector<std::size_t> order_by_length(std::span<const Encoding> encodings) {
  std::vector<std::size_t> order(encodings.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return encodings[a].size() < encodings[b].size(); });
  return order;
}

BatchEncoding pad(std::span<const Encoding> encodings, const PaddingOptions& options) {
  std::vector<const Encoding*> rows;
  rows.reserve(encodings.size());
  for (const Encoding& e : encodings) rows.push_back(&e);
  return pad(rows, options);
}

}  // namespace taskscout::text
