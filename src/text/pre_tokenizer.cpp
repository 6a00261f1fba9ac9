#include "taskscout/text/pre_tokenizer.hpp"

#include "taskscout/text/unicode.hpp"

namespace taskscout::text {

namespace {

bool is_space(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || is_white_space(c);
}

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

}  // namespace

bool is_bert_punctuation(char32_t c) {
  if (c < 0x80)
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
           (c >= 123 && c <= 126);
  return is_punctuation(hf_category(c));
}

void BertPreTokenizer::split(const std::u32string& text, std::vector<Span>& words) const {
  split_spans(text, words, is_space, is_bert_punctuation);
}

void WhitespaceSplit::split(const std::u32string& text, std::vector<Span>& words) const {
  split_spans(text, words, is_space, [](char32_t) { return false; });
}

void SequencePreTokenizer::split(const std::u32string& text, std::vector<Span>& words) const {
  for (const auto& step : steps_) step->split(text, words);
}

}  // namespace taskscout::text
