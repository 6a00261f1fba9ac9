#include "taskscout/text/pre_tokenizer.hpp"

#include "taskscout/text/unicode.hpp"

namespace taskscout::text {

namespace {

bool is_space(char32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || is_white_space(c); }

// Splits every span at chars where `drop(c)` (removed) or `isolate(c)` (a word alone).
template <class Drop, class Isolate>
void split_spans(const std::u32string& text, std::vector<Span>& words, Drop drop, Isolate isolate) {
  std::vector<Span> out;
  out.reserve(words.size());
  for (Span w : words) {
    std::uint32_t start = w.begin;
    for (std::uint32_t i = w.begin; i < w.end; ++i) {
      char32_t c = text[i];
      bool d = drop(c);
      if (!d && !isolate(c)) continue;
      if (start < i) out.push_back({start, i});
      if (!d) out.push_back({i, i + 1});
      start = i + 1;
    }
    if (start < w.end) out.push_back({start, w.end});
  }
  words = std::move(out);
}

// Each `delimiter` starts a new word (HF SplitDelimiterBehavior::MergedWithNext).
void split_merged_with_next(const std::u32string& text, std::vector<Span>& words, char32_t delimiter) {
  std::vector<Span> out;
  out.reserve(words.size() * 2);
  for (Span w : words) {
    std::uint32_t start = w.begin;
    for (std::uint32_t i = w.begin + 1; i < w.end; ++i) {
      if (text[i] != delimiter) continue;
      out.push_back({start, i});
      start = i;
    }
    if (start < w.end) out.push_back({start, w.end});
  }
  words = std::move(out);
}

}  // namespace

bool is_bert_punctuation(char32_t c) {
  if (c < 0x80) return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  return is_punctuation(hf_category(c));
}

void BertPreTokenizer::split(const std::u32string& text, std::vector<Span>& words) const {
  split_spans(text, words, is_space, is_bert_punctuation);
}

void WhitespaceSplit::split(const std::u32string& text, std::vector<Span>& words) const {
  split_spans(text, words, is_space, [](char32_t) { return false; });
}

std::size_t gpt2_match(std::u32string_view t, std::size_t i) {
  const std::size_t n = t.size();
  auto cls = [&](std::size_t k) { return regex_class(t[k]); };
  // 's|'t|'re|'ve|'m|'ll|'d
  if (t[i] == U'\'' && i + 1 < n) {
    char32_t a = t[i + 1];
    if (a == U's' || a == U't' || a == U'm' || a == U'd') return 2;
    if (i + 2 < n) {
      char32_t b = t[i + 2];
      if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) return 3;
    }
  }
  //  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+
  for (RegexClass k : {RegexClass::Letter, RegexClass::Number, RegexClass::Other}) {
    std::size_t j = i;
    if (t[j] == U' ' && j + 1 < n && cls(j + 1) == k) ++j;
    if (cls(j) != k) continue;
    while (j < n && cls(j) == k) ++j;
    return j - i;
  }
  // \s+(?!\S) | \s+   (t[i] is whitespace here)
  std::size_t j = i;
  while (j < n && cls(j) == RegexClass::Space) ++j;
  if (j == n || j - i == 1) return j - i;
  return j - 1 - i;  // give back the last space, which then prefixes the next word
}

void ByteLevelPreTokenizer::split(const std::u32string& text, std::vector<Span>& words) const {
  if (!options_.use_regex) return;
  std::vector<Span> out;
  out.reserve(words.size() * 4);
  std::u32string_view view(text);
  for (Span w : words) {
    std::u32string_view piece = view.substr(0, w.end);
    for (std::size_t i = w.begin; i < w.end;) {
      std::size_t len = gpt2_match(piece, i);
      out.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i + len)});
      i += len;
    }
  }
  words = std::move(out);
}

void MetaspacePreTokenizer::split(const std::u32string& text, std::vector<Span>& words) const {
  if (!options_.split) return;
  split_merged_with_next(text, words, options_.replacement);
}

bool SequencePreTokenizer::prefix_first_only() const {
  for (const auto& step : steps_)
    if (step->prefix()) return step->prefix_first_only();
  return false;
}

char32_t SequencePreTokenizer::space_replacement() const {
  for (const auto& step : steps_)
    if (char32_t c = step->space_replacement()) return c;
  return 0;
}

char32_t SequencePreTokenizer::prefix() const {
  for (const auto& step : steps_)
    if (char32_t c = step->prefix()) return c;
  return 0;
}

bool SequencePreTokenizer::byte_level() const {
  for (const auto& step : steps_)
    if (step->byte_level()) return true;
  return false;
}

void SequencePreTokenizer::split(const std::u32string& text, std::vector<Span>& words) const {
  for (const auto& step : steps_) step->split(text, words);
}

}  // namespace taskscout::text
