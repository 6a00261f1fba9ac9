#include "taskscout/text/added_tokens.hpp"

#include <algorithm>

#include "taskscout/text/unicode.hpp"

namespace taskscout::text {

namespace {

// Rust regex's Unicode \w, by category: letters, marks, decimal and letter numbers,
// connector punctuation, and the two join controls.
bool is_word_char(char32_t c) {
  Category k = category(c);
  return is_letter(k) || is_mark(k) || k == Category::Nd || k == Category::Nl || k == Category::Pc || c == 0x200C ||
         c == 0x200D;
}

bool is_space(char32_t c) { return c == '\t' || c == '\n' || c == '\r' || is_white_space(c); }

}  // namespace

namespace {

void longest_first(std::vector<AddedTokens::Pattern>& list) {
  std::stable_sort(list.begin(), list.end(),
                   [](const auto& a, const auto& b) { return a.chars.size() > b.chars.size(); });
}

}  // namespace

void AddedTokens::add(const AddedToken& token) {
  tokens_.push_back(token);
  auto& list = token.normalized ? normal_ : raw_;
  list.push_back({decode_utf8(token.content, "added token"), token});
  longest_first(list);
}

void AddedTokens::normalize_patterns(const Normalizer& normalizer) {
  for (auto& p : normal_) {
    auto t = NormalizedText::from(decode_utf8(p.token.content, "added token"));
    normalizer.normalize(t);
    p.chars = std::move(t.chars);
  }
  longest_first(normal_);
}

void AddedTokens::split(const std::u32string& text, Span span, bool normalized, std::vector<Segment>& out) const {
  const auto& patterns = normalized ? normal_ : raw_;
  std::uint32_t start = span.begin;  // of the ordinary text not yet emitted
  for (std::uint32_t i = span.begin; i < span.end;) {
    // The longest pattern starting at i (leftmost-longest, as HF's Aho-Corasick).
    const Pattern* hit = nullptr;
    for (const auto& p : patterns)
      if (!p.chars.empty() && p.chars.size() <= span.end - i &&
          std::u32string_view(text).substr(i, p.chars.size()) == p.chars) {
        hit = &p;
        break;
      }
    if (!hit) {
      ++i;
      continue;
    }
    std::uint32_t b = i, e = i + static_cast<std::uint32_t>(hit->chars.size());
    i = e;  // a discarded match is still consumed: HF searches on after it
    if (hit->token.single_word &&
        ((b > span.begin && is_word_char(text[b - 1])) || (e < span.end && is_word_char(text[e]))))
      continue;
    if (hit->token.lstrip)
      while (b > start && is_space(text[b - 1])) --b;
    if (hit->token.rstrip)
      while (e < span.end && is_space(text[e])) ++e;
    if (start < b) out.push_back({{start, b}, -1});
    out.push_back({{b, e}, hit->token.id});
    start = i = e;
  }
  if (start < span.end) out.push_back({{start, span.end}, -1});
}

}  // namespace taskscout::text
