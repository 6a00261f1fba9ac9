#pragma once
// A tokenization model turns one word (a run of normalized code points) into tokens.
// WordPiece is the first; byte-level BPE and Unigram plug in through the same interface
// (byte-level BPE maps each word's UTF-8 bytes to its alphabet inside the model, so
// pre-tokenizers only ever split and offsets stay in code points of the normalized text).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskscout::text {

struct Token {
  std::int32_t id;
  std::uint32_t begin, end;  // code points of the word this token covers
};

class Model {
 public:
  virtual ~Model() = default;
  // Appends the tokens of `word` to `out`.
  virtual void tokenize(std::u32string_view word, std::vector<Token>& out) const = 0;
  virtual std::optional<std::int32_t> token_to_id(std::string_view token) const = 0;
  virtual std::optional<std::string> id_to_token(std::int32_t id) const = 0;
  virtual std::size_t vocab_size() const = 0;
};

}  // namespace taskscout::text
