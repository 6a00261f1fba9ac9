#include "taskscout/text/wordpiece.hpp"

#include "taskscout/core/error.hpp"
#include "taskscout/text/unicode.hpp"

namespace taskscout::text {

WordPiece::WordPiece(Vocab vocab, WordPieceOptions options, const std::string& where)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  auto unk = vocab_.find(options_.unk_token);
  if (!unk)
    throw InputError(where + "the unknown token \"" + options_.unk_token +
                     "\" is not in the vocabulary; add it or set unk_token to a token it has");
  unk_id_ = *unk;
}

void WordPiece::tokenize(std::u32string_view word, std::vector<Token>& out) const {
  const auto n = static_cast<std::uint32_t>(word.size());
  if (n == 0) return;
  if (n > options_.max_input_chars_per_word) {
    out.push_back({unk_id_, 0, n});
    return;
  }
  // The word in UTF-8, with the byte offset of every code point, so candidate pieces are
  // substrings looked up without re-encoding.
  std::string utf8;
  std::vector<std::uint32_t> at(n + 1);
  for (std::uint32_t i = 0; i < n; ++i) {
    at[i] = static_cast<std::uint32_t>(utf8.size());
    append_utf8(utf8, word[i]);
  }
  at[n] = static_cast<std::uint32_t>(utf8.size());

  const std::size_t first = out.size();
  std::string key = options_.continuing_subword_prefix;
  const std::size_t prefix = key.size();
  for (std::uint32_t start = 0; start < n;) {
    std::optional<std::int32_t> id;
    std::uint32_t end = n;
    for (; end > start; --end) {
      std::string_view piece(utf8.data() + at[start], at[end] - at[start]);
      if (start == 0) {
        id = vocab_.find(piece);
      } else {
        key.resize(prefix);
        key.append(piece);
        id = vocab_.find(key);
      }
      if (id) break;
    }
    if (!id) {  // one uncoverable piece makes the whole word unknown
      out.resize(first);
      out.push_back({unk_id_, 0, n});
      return;
    }
    out.push_back({*id, start, end});
    start = end;
  }
}

}  // namespace taskscout::text
