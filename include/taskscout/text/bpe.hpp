#pragma once
// BPE (GPT-2, RoBERTa): each word starts as single characters (with continuing_subword_prefix on
// all but the first and end_of_word_suffix on the last, when set) and pairs are merged lowest rank
// first, leftmost first among equal ranks, exactly as the tokenizers crate's Word::merge_all does
// (including how it recognizes stale pairs). With byte_level, the characters are the word's UTF-8
// bytes in the GPT-2 byte alphabet (byte_level_char); a token that covers part of a character's
// bytes covers that character. A character not in the vocabulary becomes unk_token (several in a
// row fused into one with fuse_unk), or with byte_fallback its bytes' <0xXX> tokens; without
// unk_token it is dropped, as HF does. Dropout is not supported (the loader refuses it).
#include <map>
#include <unordered_map>
#include <utility>

#include "taskscout/text/model.hpp"
#include "taskscout/text/vocab.hpp"

namespace taskscout::text {

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;  // a word that is a vocabulary token is that token
  bool byte_level = false;
};

// The GPT-2 bytes_to_unicode character of a byte.
char32_t byte_level_char(std::uint8_t byte);

class Bpe : public Model {
 public:
  // `merges`: pairs in rank order; both parts and their concatenation (the second without
  // continuing_subword_prefix) must be in the vocabulary, else InputError naming `where` and the
  // merge. A pair given twice takes its later rank, as HF does.
  Bpe(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
      const std::string& where);

  void tokenize(std::u32string_view word, std::vector<Token>& out) const override;
  std::optional<std::int32_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  std::optional<std::string> id_to_token(std::int32_t id) const override { return vocab_.token(id); }
  std::size_t vocab_size() const override { return vocab_.size(); }
  const BpeOptions& options() const { return options_; }

 private:
  struct Merge {
    std::uint32_t rank;
    std::int32_t id;
  };
  const Merge* find_merge(std::int32_t a, std::int32_t b) const;

  Vocab vocab_;
  BpeOptions options_;
  std::optional<std::int32_t> unk_id_;
  std::unordered_map<std::uint64_t, Merge> merges_;
};

}  // namespace taskscout::text
