#pragma once
// Training a WordPiece vocabulary from raw text, as the Hugging Face tokenizers crate's
// WordPieceTrainer does (a BpeTrainer with continuing_subword_prefix, whose vocabulary
// becomes the WordPiece model's):
//   1. every text is normalized (BertNormalizer) and split (BertPreTokenizer); words are
//      counted;
//   2. the vocabulary starts with the special tokens, then the alphabet (every char of
//      every word, or the limit_alphabet most frequent ones, plus initial_alphabet) in
//      code point order, then "##c" for every kept char c seen inside a word;
//   3. words become sequences of those units (chars outside the alphabet are dropped);
//      the most frequent adjacent pair (ties: the smallest pair of ids) is merged into a
//      new unit "ab" ("a" + "##b" → "ab", "##a" + "##b" → "##ab"), and again, until the
//      vocabulary has vocab_size tokens, no pair is left, or the best pair is rarer than
//      min_frequency.
// The crate numbers the "##c" units in hash-map order, which changes from run to run and
// decides ties between pairs; here they are numbered in code point order (one of the
// crate's possible orders) unless subword_alphabet_order gives another, so a run of the
// crate can be reproduced exactly (scripts/oracles/tokenizers/train_wordpiece.js).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "taskscout/text/normalizer.hpp"

namespace taskscout::text {

struct WordPieceTrainerOptions {
  std::size_t vocab_size = 30000;   // special tokens included
  std::uint64_t min_frequency = 0;  // a pair seen fewer times is never merged
  std::vector<std::string> special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  // Keep only this many chars (the most frequent; ties: the smaller code point stays).
  std::optional<std::size_t> limit_alphabet;
  std::u32string initial_alphabet;  // chars kept even when unseen (they count as most frequent)
  std::string continuing_subword_prefix = "##";
  BertNormalizerOptions normalizer;
  // The order in which chars get their "##c" unit (chars not listed follow in code point
  // order); empty = code point order. Only to reproduce a given run of the crate.
  std::u32string subword_alphabet_order;
};

class WordPieceTrainer {
 public:
  explicit WordPieceTrainer(WordPieceTrainerOptions options = {});

  // Counts the words of one text (valid UTF-8; InputError naming `what` otherwise).
  void feed(std::string_view text, std::string_view what = "text");
  // Adds `count` occurrences of an already normalized and split word.
  void add_word(const std::string& word, std::uint64_t count = 1);

  // The vocabulary, tokens in id order. Deterministic: it depends only on the word
  // counts and the options, not on the order texts were fed in.
  std::vector<std::string> train() const;

  const std::unordered_map<std::string, std::uint64_t>& word_counts() const { return words_; }
  const WordPieceTrainerOptions& options() const { return options_; }

 private:
  WordPieceTrainerOptions options_;
  BertNormalizer normalizer_;
  std::unordered_map<std::string, std::uint64_t> words_;
};

}  // namespace taskscout::text
