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

void to_nfd(NormalizedText& text) {
  std::u32string one;
  rewrite(text, [&](char32_t c, auto emit) {
    one.clear();
    append_nfd(one, c);
    for (char32_t d : one) emit(d);
  });
  // The marks move, their origins stay in place: HF's NormalizedString aligns the output
  // chars to the input in order (checked on the hard strings' offsets).
  order_marks(text.chars);
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

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
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
    to_nfd(text);
    strip_marks(text);
  }
  if (options_.lowercase) to_lowercase(text);
}

void LowercaseNormalizer::normalize(NormalizedText& text) const { to_lowercase(text); }
void NfdNormalizer::normalize(NormalizedText& text) const { to_nfd(text); }
void StripAccentsNormalizer::normalize(NormalizedText& text) const { strip_marks(text); }
void SequenceNormalizer::normalize(NormalizedText& text) const {
  for (const auto& step : steps_) step->normalize(text);
}

}  // namespace taskscout::text
