// The splitting pre-tokenizers (Whitespace, WhitespaceSplit, Punctuation, Digits, Split,
// CharDelimiterSplit, Sequence) against the official tokenizers: their char classes over the
// whole code space and their words on both hard-string corpora (hf_pre_tokenizers.json from
// scripts/oracles/tokenizers/probe_pre_tokenizers.js).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/text/pattern.hpp"
#include "taskscout/text/pre_tokenizer.hpp"
#include "taskscout/text/tokenizer.hpp"
#include "taskscout/text/unicode.hpp"
#include "tokenizer_oracle.hpp"

using namespace taskscout;
using namespace taskscout::text;
using nlohmann::json;
using taskscout::testing::read_jsonl;
using taskscout::testing::text_fixtures;

namespace {

const json& probe() {
  static const json j = [] {
    std::ifstream in(text_fixtures() / "hf_pre_tokenizers.json");
    return json::parse(in);
  }();
  return j;
}

template <class F>
void expect_class(const std::string& name, F in_class, const json& ranges) {
  std::vector<bool> want(0x110000);
  for (const auto& r : ranges)
    for (std::uint32_t c = r[0]; c <= r[1].get<std::uint32_t>(); ++c) want[c] = true;
  std::size_t wrong = 0;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    if (in_class(c) != want[c] && ++wrong <= 5)
      ADD_FAILURE() << name << ": U+" << std::hex << static_cast<std::uint32_t>(c)
                    << (want[c] ? " is in the official class" : " is not in the official class");
  }
  EXPECT_EQ(wrong, 0u) << name;
}

std::vector<Span> split_all(const PreTokenizer& p, const std::u32string& text) {
  std::vector<Span> words{{0, static_cast<std::uint32_t>(text.size())}};
  if (text.empty()) words.clear();
  p.split(text, words);
  return words;
}

}  // namespace

TEST(PreTokenizers, CharClassesOverTheWholeCodeSpace) {
  expect_class("word", is_unicode_word, probe()["word"]);
  expect_class("numeric", is_numeric, probe()["numeric"]);
  expect_class("punctuation", is_bert_punctuation, probe()["punctuation"]);
  // The classes of Split regexes (Oniguruma's): one-class patterns, every code point.
  for (const auto& [regex, ranges] : probe()["regex"].items()) {
    const Pattern p = Pattern::regex(regex, "test: ");
    std::u32string one(1, 0);
    std::vector<Span> m;
    expect_class(
        "regex " + regex,
        [&](char32_t c) {
          one[0] = c;
          m.clear();
          p.find(one, 0, 1, m);
          return !m.empty();
        },
        ranges);
  }
}

TEST(PreTokenizers, WordsOfTheHardStringsAsTheOfficialOnes) {
  std::vector<std::string> texts;
  for (const char* corpus : {"hard_strings.jsonl", "hard_strings_unicode.jsonl"})
    for (const auto& h : read_jsonl(text_fixtures() / corpus)) {
      texts.push_back(h["text"]);
      if (h.contains("pair")) texts.push_back(h["pair"]);
    }
  const json& words = probe()["words"];
  ASSERT_EQ(texts.size(), words.size());
  ASSERT_GE(probe()["pre_tokenizers"].size(), 15u);
  for (const auto& [name, config] : probe()["pre_tokenizers"].items()) {
    const auto p = pre_tokenizer_from_json(config.dump(), name);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      std::vector<std::pair<std::uint32_t, std::uint32_t>> got;
      for (Span s : split_all(*p, decode_utf8(texts[i]))) got.push_back({s.begin, s.end});
      const auto want = words[i][name].get<std::vector<std::pair<std::uint32_t, std::uint32_t>>>();
      if (got != want && ++wrong <= 3)
        ADD_FAILURE() << name << " on " << json(texts[i]).dump() << ": got " << json(got).dump() << ", official "
                      << json(want).dump();
    }
    EXPECT_EQ(wrong, 0u) << name;
  }
}

TEST(PreTokenizers, BehaviorsOnAHandExample) {
  // "a,,b" with ',' as the delimiter, each behaviour as HF documents it.
  const std::u32string t = U"a,,b";
  auto words = [&](SplitBehavior b) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
    for (Span s : split_all(PunctuationPreTokenizer(b), t)) out.push_back({s.begin, s.end});
    return out;
  };
  using W = std::vector<std::pair<std::uint32_t, std::uint32_t>>;
  EXPECT_EQ(words(SplitBehavior::Removed), (W{{0, 1}, {3, 4}}));
  EXPECT_EQ(words(SplitBehavior::Isolated), (W{{0, 1}, {1, 2}, {2, 3}, {3, 4}}));
  EXPECT_EQ(words(SplitBehavior::MergedWithPrevious), (W{{0, 2}, {2, 3}, {3, 4}}));
  EXPECT_EQ(words(SplitBehavior::MergedWithNext), (W{{0, 1}, {1, 2}, {2, 4}}));
  EXPECT_EQ(words(SplitBehavior::Contiguous), (W{{0, 1}, {1, 3}, {3, 4}}));
}

TEST(PreTokenizers, UnsupportedRegexesAreInputErrors) {
  auto error = [](const std::string& regex) {
    try {
      Pattern::regex(regex, "tok.json: pre_tokenizer.pattern.Regex: ");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(" {2,}"), "no error");
  EXPECT_EQ(error("[^\\s\\p{L}]+"), "no error");
  EXPECT_NE(error("(a|b)").find("groups are not supported"), std::string::npos);
  EXPECT_NE(error("a|b").find("alternation is not supported"), std::string::npos);
  EXPECT_NE(error("a*").find("can match the empty string"), std::string::npos);
  EXPECT_NE(error("a+?").find("lazy"), std::string::npos);
  EXPECT_EQ(error("(").substr(0, 47), "tok.json: pre_tokenizer.pattern.Regex: regex \"(");
  std::vector<Span> m;
  Pattern::regex("ab+c?", "x: ").find(U"abbbd abc ac", 0, 12, m);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].begin, 0u);
  EXPECT_EQ(m[0].end, 4u);
  EXPECT_EQ(m[1].begin, 6u);
  EXPECT_EQ(m[1].end, 9u);
}

TEST(PreTokenizers, BadSettingsNameTheirPath) {
  auto error = [](const std::string& j) {
    try {
      pre_tokenizer_from_json(j, "tok.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(R"({"type": "Punctuation", "behavior": "Merged"})"),
            "tok.json: pre_tokenizer.behavior: expected Removed, Isolated, MergedWithPrevious, "
            "MergedWithNext or Contiguous, got \"Merged\"");
  EXPECT_EQ(error(R"({"type": "CharDelimiterSplit", "delimiter": "ab"})"),
            "tok.json: pre_tokenizer.delimiter: expected one character");
  EXPECT_EQ(error(R"({"type": "Split", "pattern": {"Glob": "*"}, "behavior": "Removed"})"),
            "tok.json: pre_tokenizer.pattern: expected {\"String\": …} or {\"Regex\": …}");
  EXPECT_EQ(error(R"({"type": "Split", "pattern": {"String": " "}})"), "tok.json: pre_tokenizer: missing \"behavior\"");
  try {
    normalizer_from_json(R"j({"type": "Replace", "pattern": {"Regex": "(x)"}, "content": ""})j", "tok.json");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind("tok.json: normalizer.pattern.Regex: regex \"(x)\": groups are not supported", 0),
        0u);
  }
}
