#pragma once
// The patterns of tokenizer.json's Replace normalizer and Split pre-tokenizer:
// {"String": "..."} (a literal) or {"Regex": "..."} (Oniguruma syntax in HF).
//
// Regexes are matched by a small backtracking matcher over code points that covers what
// converted tokenizers use: a sequence of atoms — literal chars (metacharacters escaped),
// `.`, \s \S \d \D \w \W, \p{L} \p{N} \p{Z} (and \P{..}), and [...] sets of
// those and ranges, negated with ^ — each with an optional greedy quantifier ? * + {n}
// {n,} {n,m}. Anything else (groups, alternation, anchors, lookaround, lazy quantifiers)
// and patterns that can match the empty string are an InputError naming the pattern.
// Classes follow Oniguruma on Unicode text (16.0; each probed over the whole code space
// against npm tokenizers): \s is White_Space, \d is Nd, \w is is_unicode_word without the
// join controls and with ²³¹¼½¾, \p{L} and \p{N} as the GPT-2 regex sees them, \p{Z} the
// separators.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "taskscout/text/pre_tokenizer.hpp"

namespace taskscout::text {

class Pattern {
 public:
  static Pattern literal(std::u32string text);
  // `where` prefixes the InputError for an unsupported or malformed regex.
  static Pattern regex(std::string_view source, const std::string& where);

  // Leftmost non-overlapping matches in text[begin, end), in order (none for an empty
  // literal).
  void find(std::u32string_view text, std::uint32_t begin, std::uint32_t end, std::vector<Span>& matches) const;

  struct Atom;  // one element of a regex with its repetition bounds

 private:
  bool is_regex_ = false;
  std::u32string literal_;
  std::vector<Atom> atoms_;
};

struct Pattern::Atom {
  enum class Kind : std::uint8_t { Char, Any, Set } kind = Kind::Char;
  char32_t c = 0;
  bool negated = false;  // Set: [^...]
  // Set members: ranges and classes (class ids as in pattern.cpp).
  std::vector<std::pair<char32_t, char32_t>> ranges;
  std::vector<std::int8_t> classes;  // > 0 a class, < 0 its complement
  std::uint32_t min = 1, max = 1;    // max UINT32_MAX = unbounded
};

}  // namespace taskscout::text
