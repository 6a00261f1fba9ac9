// Every code point through taskscout's BERT building blocks against what the official
// tokenizers do with it (fixture from scripts/oracles/tokenizers/probe_unicode.js).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "taskscout/text/normalizer.hpp"
#include "taskscout/text/pre_tokenizer.hpp"
#include "taskscout/text/unicode.hpp"
#include "test_support.hpp"

using namespace taskscout::text;
using nlohmann::json;

namespace {

const json& probe() {
  static const json j = [] {
    std::ifstream in(taskscout::testing::fixtures_dir() / "text/hf_unicode.json");
    return json::parse(in);
  }();
  return j;
}

std::vector<bool> set_of(const char* name) {
  std::vector<bool> in(0x110000);
  for (const auto& r : probe()[name])
    for (std::uint32_t c = r[0]; c <= r[1].get<std::uint32_t>(); ++c) in[c] = true;
  return in;
}

std::map<char32_t, std::u32string> map_of(const char* name) {
  std::map<char32_t, std::u32string> m;
  for (const auto& row : probe()[name]) {
    std::u32string to;
    for (std::size_t i = 1; i < row.size(); ++i) to.push_back(row[i].get<char32_t>());
    m[row[0].get<char32_t>()] = to;
  }
  return m;
}

bool surrogate(char32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

// Checks `ours(c) == theirs[c]` everywhere, reporting the first few differences.
template <class F>
void for_all(const char* what, F differs) {
  int count = 0;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (surrogate(c) || !differs(c)) continue;
    if (++count <= 5)
      ADD_FAILURE() << what << " differs at U+" << std::hex << std::uppercase << static_cast<std::uint32_t>(c);
  }
  EXPECT_EQ(count, 0) << what << ": code points that differ from the official tokenizers";
}

}  // namespace

TEST(HfUnicode, CleanText) {
  auto removed = set_of("removed"), spaced = set_of("spaced");
  BertNormalizerOptions o{true, false, false, false};
  BertNormalizer n(o);
  for_all("clean_text", [&](char32_t c) {
    auto t = NormalizedText::from(std::u32string(1, c));
    n.normalize(t);
    std::u32string want = removed[c] ? U"" : spaced[c] ? U" " : std::u32string(1, c);
    return t.chars != want;
  });
}

TEST(HfUnicode, ChineseChars) {
  auto chinese = set_of("chinese");
  for_all("handle_chinese_chars", [&](char32_t c) { return is_chinese_char(c) != chinese[c]; });
}

TEST(HfUnicode, NfdAndNonspacingMarks) {
  auto decomposed = map_of("nfd");
  auto nonspacing = set_of("nonspacing");
  ASSERT_GT(decomposed.size(), 2000u);
  for_all("nfd", [&](char32_t c) {
    if (c >= 0xAC00 && c <= 0xD7A3) return false;  // Hangul: tested in test_unicode
    auto it = decomposed.find(c);
    return nfd(std::u32string(1, c)) != (it == decomposed.end() ? std::u32string(1, c) : it->second);
  });
  for_all("Mn", [&](char32_t c) {
    if (decomposed.count(c)) return false;
    return (hf_category(c) == Category::Mn) != nonspacing[c];
  });
}

TEST(HfUnicode, Lowercase) {
  auto lower = map_of("lowercase");
  ASSERT_GT(lower.size(), 1400u);
  for_all("lowercase", [&](char32_t c) {
    auto it = lower.find(c);
    return lowercase(std::u32string(1, c)) != (it == lower.end() ? std::u32string(1, c) : it->second);
  });
}

TEST(HfUnicode, PunctuationAndWhitespace) {
  auto punct = set_of("punctuation"), space = set_of("whitespace");
  BertPreTokenizer pre;
  for_all("BertPreTokenizer", [&](char32_t c) {
    std::u32string text = {U'a', c, U'b'};
    std::vector<Span> w{{0, 3}};
    pre.split(text, w);
    std::size_t want = punct[c] ? 3 : space[c] ? 2 : 1;
    return w.size() != want;
  });
}
