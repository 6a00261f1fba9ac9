// The pre-tokenizers that split at delimiters (HF NormalizedString::split with a
// SplitDelimiterBehavior): Split, Punctuation, Digits, Whitespace, CharDelimiterSplit.
#include <algorithm>

#include "taskscout/text/pattern.hpp"
#include "taskscout/text/pre_tokenizer.hpp"
#include "taskscout/text/unicode.hpp"

namespace taskscout::text {

namespace {

struct Piece {
  Span span;
  bool match;
};

// The pieces of one word as HF's split turns them into words: `pieces` cover the word in
// order; empty results are dropped.
void apply(std::vector<Piece>& pieces, SplitBehavior behavior, bool invert, std::vector<Span>& out) {
  if (invert)
    for (auto& p : pieces) p.match = !p.match;
  std::vector<Span> kept;
  bool previous = false;
  switch (behavior) {
    case SplitBehavior::Removed:
      for (const auto& p : pieces)
        if (!p.match) kept.push_back(p.span);
      break;
    case SplitBehavior::Isolated:
      for (const auto& p : pieces) kept.push_back(p.span);
      break;
    case SplitBehavior::MergedWithPrevious:
      for (const auto& p : pieces) {
        if (p.match && !previous && !kept.empty())
          kept.back().end = p.span.end;
        else
          kept.push_back(p.span);
        previous = p.match;
      }
      break;
    case SplitBehavior::MergedWithNext:
      for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
        if (it->match && !previous && !kept.empty())
          kept.back().begin = it->span.begin;
        else
          kept.push_back(it->span);
        previous = it->match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
    case SplitBehavior::Contiguous:
      for (const auto& p : pieces) {
        if (p.match == previous && !kept.empty())
          kept.back().end = p.span.end;
        else
          kept.push_back(p.span);
        previous = p.match;
      }
      break;
  }
  for (Span s : kept)
    if (s.begin < s.end) out.push_back(s);
}

// Pieces from matches (sorted, non-overlapping) inside `w`.
void pieces_from_matches(Span w, const std::vector<Span>& matches, std::vector<Piece>& pieces) {
  pieces.clear();
  std::uint32_t at = w.begin;
  for (Span m : matches) {
    if (at < m.begin) pieces.push_back({{at, m.begin}, false});
    pieces.push_back({m, true});
    at = m.end;
  }
  if (at < w.end) pieces.push_back({{at, w.end}, false});
}

// Splits every word at the chars where `is_delimiter` holds (each such char is one match).
template <class F>
void split_chars(const std::u32string& text, std::vector<Span>& words, SplitBehavior behavior, F is_delimiter) {
  std::vector<Span> out, matches;
  std::vector<Piece> pieces;
  out.reserve(words.size());
  for (Span w : words) {
    matches.clear();
    for (std::uint32_t i = w.begin; i < w.end; ++i)
      if (is_delimiter(text[i])) matches.push_back({i, i + 1});
    pieces_from_matches(w, matches, pieces);
    apply(pieces, behavior, false, out);
  }
  words = std::move(out);
}

}  // namespace

void SplitPreTokenizer::split(const std::u32string& text, std::vector<Span>& words) const {
  std::vector<Span> out, matches;
  std::vector<Piece> pieces;
  for (Span w : words) {
    matches.clear();
    pattern_->find(text, w.begin, w.end, matches);
    pieces_from_matches(w, matches, pieces);
    apply(pieces, behavior_, invert_, out);
  }
  words = std::move(out);
}

void PunctuationPreTokenizer::split(const std::u32string& text, std::vector<Span>& words) const {
  split_chars(text, words, behavior_, is_bert_punctuation);
}

void DigitsPreTokenizer::split(const std::u32string& text, std::vector<Span>& words) const {
  split_chars(text, words, individual_ ? SplitBehavior::Isolated : SplitBehavior::Contiguous, is_numeric);
}

void CharDelimiterSplit::split(const std::u32string& text, std::vector<Span>& words) const {
  split_chars(text, words, SplitBehavior::Removed, [&](char32_t c) { return c == delimiter_; });
}

void WhitespacePreTokenizer::split(const std::u32string& text, std::vector<Span>& words) const {
  std::vector<Span> out;
  out.reserve(words.size() * 2);
  for (Span w : words) {
    for (std::uint32_t i = w.begin; i < w.end;) {
      if (is_white_space(text[i])) {
        ++i;
        continue;
      }
      const bool word = is_unicode_word(text[i]);
      std::uint32_t j = i + 1;
      while (j < w.end && !is_white_space(text[j]) && is_unicode_word(text[j]) == word) ++j;
      out.push_back({i, j});
      i = j;
    }
  }
  words = std::move(out);
}

}  // namespace taskscout::text
