#include "taskscout/text/normalizer.hpp"

#include <numeric>

#include "taskscout/text/unicode.hpp"

namespace taskscout::text {

NormalizedText NormalizedText::from(std::u32string chars) {
  NormalizedText t{std::move(chars), {}};
  t.origin.resize(t.chars.size());
  std::iota(t.origin.begin(), t.origin.end(), 0u);
  return t;
}

namespace {

// Rebuilds `text` char by char: `f(c, emit)` calls emit(c') for each output char, all of
// which inherit the origin of c.
template <class F>
void rewrite(NormalizedText& text, F f) {
  NormalizedText out;
  out.chars.reserve(text.chars.size());
  out.origin.reserve(text.chars.size());
  for (std::size_t i = 0; i < text.chars.size(); ++i) {
    std::uint32_t from = text.origin[i];
    f(text.chars[i], [&](char32_t c) {
      out.chars.push_back(c);
      out.origin.push_back(from);
    });
  }
  text = std::move(out);
}

void strip_marks(NormalizedText& text) {
  rewrite(text, [](char32_t c, auto emit) {
    if (hf_category(c) != Category::Mn) emit(c);
  });
}

void to_form(NormalizedText& text, NormalForm form) {
  std::vector<CharChange> changes;
  normalize_with_changes(text.chars, form, changes);
  apply_changes(text, changes);
}

void to_lowercase(NormalizedText& text) {
  std::u32string one;
  rewrite(text, [&](char32_t c, auto emit) {
    one.clear();
    append_lowercase(one, c);
    for (char32_t d : one) emit(d);
  });
}

}  // namespace

void apply_changes(NormalizedText& text, std::span<const CharChange> changes) {
  NormalizedText out;
  out.chars.reserve(changes.size());
  out.origin.reserve(changes.size());
  const std::size_t n = text.origin.size();
  std::size_t next = 0;  // the next input char to consume
  for (const CharChange& c : changes) {
    std::uint32_t from = 0;
    if (c.change > 0) {  // inserted: lines up with the last char consumed
      from = next > 0 ? text.origin[std::min(next, n) - 1] : (n ? text.origin[0] : 0);
    } else {
      if (n) from = text.origin[std::min(next, n - 1)];
      next += 1 + static_cast<std::size_t>(-c.change);
    }
    out.chars.push_back(c.c);
    out.origin.push_back(from);
  }
  text = std::move(out);
}

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

void BertNormalizer::normalize(NormalizedText& text) const {
  if (options_.clean_text)
    rewrite(text, [](char32_t c, auto emit) {
      // \t \n \r are Cc but count as whitespace; other Cc (\v, \f, U+0085) are dropped.
      bool tab_or_newline = c == '\t' || c == '\n' || c == '\r';
      if (c == 0 || c == 0xFFFD || (!tab_or_newline && is_other(hf_category(c)))) return;
      emit(tab_or_newline || is_white_space(c) ? U' ' : c);
    });
  if (options_.handle_chinese_chars)
    rewrite(text, [](char32_t c, auto emit) {
      bool cjk = is_chinese_char(c);
      if (cjk) emit(U' ');
      emit(c);
      if (cjk) emit(U' ');
    });
  if (options_.strip_accents.value_or(options_.lowercase)) {
    to_form(text, NormalForm::NFD);
    strip_marks(text);
  }
  if (options_.lowercase) to_lowercase(text);
}

void LowercaseNormalizer::normalize(NormalizedText& text) const { to_lowercase(text); }
void UnicodeNormalizer::normalize(NormalizedText& text) const { to_form(text, form_); }
void StripAccentsNormalizer::normalize(NormalizedText& text) const {
  rewrite(text, [](char32_t c, auto emit) {
    if (!is_combining_mark(c)) emit(c);
  });
}
void ReplaceNormalizer::normalize(NormalizedText& text) const {
  std::vector<Span> matches;
  pattern_.find(text.chars, 0, static_cast<std::uint32_t>(text.chars.size()), matches);
  if (matches.empty()) return;
  NormalizedText out;
  out.chars.reserve(text.chars.size());
  out.origin.reserve(text.chars.size());
  std::uint32_t at = 0;
  for (Span m : matches) {
    out.chars.append(text.chars, at, m.begin - at);
    out.origin.insert(out.origin.end(), text.origin.begin() + at, text.origin.begin() + m.begin);
    out.chars += content_;
    out.origin.insert(out.origin.end(), content_.size(), text.origin[m.end - 1]);
    at = m.end;
  }
  out.chars.append(text.chars, at);
  out.origin.insert(out.origin.end(), text.origin.begin() + at, text.origin.end());
  text = std::move(out);
}

void PrependNormalizer::normalize(NormalizedText& text) const {
  if (text.chars.empty()) return;
  text.chars.insert(0, prefix_);
  text.origin.insert(text.origin.begin(), prefix_.size(), text.origin[0]);
}

void StripNormalizer::normalize(NormalizedText& text) const {
  std::size_t begin = 0, end = text.chars.size();
  while (left_ && begin < end && is_white_space(text.chars[begin])) ++begin;
  while (right_ && end > begin && is_white_space(text.chars[end - 1])) --end;
  text.chars = text.chars.substr(begin, end - begin);
  text.origin = std::vector<std::uint32_t>(text.origin.begin() + begin, text.origin.begin() + end);
}

void SequenceNormalizer::normalize(NormalizedText& text) const {
  for (const auto& step : steps_) step->normalize(text);
}

}  // namespace taskscout::text
