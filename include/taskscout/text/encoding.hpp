#pragma once
// The result of tokenizing one text (Encoding) and a padded batch of them (BatchEncoding).
//
// The intended use for embedding many texts: encode every text once (unpadded, already
// truncated), sort or bucket the encodings by size(), then pad() each bucket: padding is
// cheap, and tokenizing never needs repeating.
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace taskscout::text {

struct Encoding {
  std::vector<std::int32_t> ids;
  std::vector<std::int32_t> type_ids;  // 0 for the first text, 1 for the second of a pair
  std::vector<std::uint8_t> special;   // 1 where the post-processor added the token
  // Byte range of each token in its source text ({0, 0} for special tokens); filled only
  // when requested (EncodeOptions::offsets).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> offsets;
  std::size_t truncated = 0;  // tokens dropped by truncation

  std::size_t size() const { return ids.size(); }
};

enum class Side { Right, Left };

struct PaddingOptions {
  enum class Strategy { Longest, Fixed };
  Strategy strategy = Strategy::Longest;
  std::size_t length = 0;       // Fixed: the padded length (longer rows are an error)
  std::size_t multiple_of = 0;  // round the padded length up to a multiple (0 = off)
  Side side = Side::Right;
  std::int32_t pad_id = 0;
  std::int32_t pad_type_id = 0;
  std::string pad_token = "[PAD]";
};

// Row-major rows × length tensors ready for a model (int64, as torch wants them).
struct BatchEncoding {
  std::size_t rows = 0, length = 0;
  std::vector<std::int64_t> input_ids, attention_mask, token_type_ids;
  std::vector<std::uint32_t> lengths;  // tokens before padding, per row
  std::size_t truncated_texts = 0;     // rows whose encoding was truncated
};

// Row indices ordered by encoding size (ties keep input order): consecutive runs of this
// order make batches with little padding; results go back to input order by index.
std::vector<std::size_t> order_by_length(std::span<const Encoding> encodings);

// Pads `encodings` into one batch. Throws UsageError when a row is longer than a Fixed
// length (truncate first).
BatchEncoding pad(std::span<const Encoding* const> encodings, const PaddingOptions& options);
BatchEncoding pad(std::span<const Encoding> encodings, const PaddingOptions& options);

}  // namespace taskscout::text
