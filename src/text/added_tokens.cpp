#include "taskscout/text/added_tokens.hpp"

#include <algorithm>

#include "taskscout/text/unicode.hpp"

namespace taskscout::text {

namespace {

bool is_word_char(char32_t c) {
  Category k = category(c);
  return c == '_' || is_letter(k) || is_number(k);
}

bool is_space(char32_t c) { return c == '\t' || c == '\n' || c == '\r' || is_white_space(c); }

}  // namespace

void AddedTokens::add(const AddedToken& token) {
  tokens_.push_back(token);
  auto& list = token.normalized ? normal_ : raw_;
  list.push_back({decode_utf8(token.content, "added token"), token});
  std::stable_sort(list.begin(), list.end(), [](const Pattern& a, const Pattern& b) {
    return a.chars.size() > b.chars.size();
  });
}

void AddedTokens::split(const std::u32string& text, Span span, bool normalized,
                        std::vector<Segment>& out) const {
  const auto& patterns = normalized ? normal_ : raw_;
  std::uint32_t start = span.begin;  // of the ordinary text not yet emitted
  for (std::uint32_t i = span.begin; i < span.end;) {
    const Pattern* hit = nullptr;
    for (const auto& p : patterns) {
      if (p.chars.empty() || p.chars.size() > span.end - i) continue;
      if (std::u32string_view(text).substr(i, p.chars.size()) != p.chars) continue;
      const std::uint32_t e = i + static_cast<std::uint32_t>(p.chars.size());
      if (p.token.single_word && ((i > span.begin && is_word_char(text[i - 1])) ||
                                  (e < span.end && is_word_char(text[e]))))
        continue;
      hit = &p;
      break;
    }
    if (!hit) {
      ++i;
      continue;
    }
    std::uint32_t b = i, e = i + static_cast<std::uint32_t>(hit->chars.size());
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
