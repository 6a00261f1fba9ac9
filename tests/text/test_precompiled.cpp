// The sentencepiece "Precompiled" normalizer and the single normalizers against the
// official tokenizers (fixtures from scripts/oracles/tokenizers/make_spm_fixtures.js), and
// grapheme clusters against Unicode's conformance cases.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "taskscout/core/error.hpp"
#include "taskscout/text/precompiled.hpp"
#include "taskscout/text/tokenizer.hpp"
#include "taskscout/text/unicode.hpp"
#include "test_support.hpp"
#include "tokenizer_oracle.hpp"

using namespace taskscout;
using nlohmann::json;
using taskscout::testing::encode;
using taskscout::testing::read_jsonl;
using taskscout::testing::text_fixtures;
using text::Tokenizer;

namespace {

using Ids = std::vector<std::int32_t>;
using Offsets = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

std::vector<json> both_corpora() {
  auto all = read_jsonl(text_fixtures() / "hard_strings.jsonl");
  for (auto& h : read_jsonl(text_fixtures() / "hard_strings_unicode.jsonl")) all.push_back(h);
  return all;
}

std::uint32_t chars_before(const std::string& s, std::uint32_t byte) {
  std::uint32_t n = 0;
  for (std::uint32_t b = 0; b < byte && b < s.size(); ++b) n += (static_cast<unsigned char>(s[b]) & 0xC0) != 0x80;
  return n;
}

// The oracle's offsets are in code points; the second text's tokens follow the third
// special token ("<s> A </s> </s> B </s>").
Offsets char_offsets(const json& h, const text::Encoding& e) {
  Offsets out;
  std::size_t specials = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    specials += e.special[i];
    const bool second = h.contains("pair") && specials >= 3;
    const std::string s = (second ? h["pair"] : h["text"]).get<std::string>();
    out.push_back({chars_before(s, e.offsets[i].first), chars_before(s, e.offsets[i].second)});
  }
  return out;
}

const json& spm_json() {
  static const json j = read_json(text_fixtures() / "spm/tokenizer.json");
  return j;
}

// normalizers.json names the charsmap by where it is in spm/tokenizer.json.
json resolve(const json& config) {
  if (config.is_string()) {
    const std::string ref = config;
    if (ref == "spm/tokenizer.json normalizer") return spm_json()["normalizer"];
    if (ref == "spm/tokenizer.json normalizer.normalizers[0]") return spm_json()["normalizer"]["normalizers"][0];
    ADD_FAILURE() << "unknown reference " << ref;
  }
  json out = config;
  if (config.contains("normalizers"))
    for (auto& n : out["normalizers"]) n = resolve(n);
  return out;
}

// Decodes normalizers.json's run-length origins: n, [n, k] or {"span": [s, e]}.
std::vector<std::pair<std::uint32_t, std::uint32_t>> expand(const json& runs) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (const auto& r : runs) {
    if (r.is_number()) {
      out.push_back({r.get<std::uint32_t>(), r.get<std::uint32_t>() + 1});
    } else if (r.is_array()) {
      for (std::uint32_t k = 0; k < r[1].get<std::uint32_t>(); ++k)
        out.push_back({r[0].get<std::uint32_t>() + k, r[0].get<std::uint32_t>() + k + 1});
    } else {
      out.push_back({r["span"][0].get<std::uint32_t>(), r["span"][1].get<std::uint32_t>()});
    }
  }
  return out;
}

}  // namespace

TEST(Precompiled, SentencepieceTokenizerMatchesTheOfficialOneOnTheHardStrings) {
  const auto strings = both_corpora();
  const auto expected = read_jsonl(text_fixtures() / "spm_hard_strings_ids.jsonl");
  ASSERT_EQ(strings.size(), expected.size());
  const Tokenizer spm = Tokenizer::from_file(text_fixtures() / "spm/tokenizer.json");
  const Tokenizer first = Tokenizer::from_file(text_fixtures() / "spm/tokenizer_first.json");
  for (std::size_t i = 0; i < strings.size(); ++i) {
    SCOPED_TRACE("hard string " + std::to_string(i + 1) + ": " + strings[i].dump());
    const json& x = expected[i];
    auto e = encode(spm, strings[i], {.offsets = true});
    EXPECT_EQ(e.ids, x["ids"].get<Ids>());
    EXPECT_EQ(e.type_ids, x["type_ids"].get<Ids>());
    if (e.ids == x["ids"].get<Ids>()) EXPECT_EQ(char_offsets(strings[i], e), x["offsets"].get<Offsets>());
    EXPECT_EQ(encode(first, strings[i]).ids, x["first"].get<Ids>());
  }
}

TEST(Precompiled, OtherTokenizersMatchTheOfficialOnesOnTheUnicodeStrings) {
  const auto strings = read_jsonl(text_fixtures() / "hard_strings_unicode.jsonl");
  const auto expected = read_jsonl(text_fixtures() / "unicode_strings_ids.jsonl");
  ASSERT_EQ(strings.size(), expected.size());
  for (const char* name : {"wordpiece", "bpe", "unigram"}) {
    const Tokenizer t = Tokenizer::from_file(text_fixtures() / name / "tokenizer.json");
    for (std::size_t i = 0; i < strings.size(); ++i)
      EXPECT_EQ(encode(t, strings[i]).ids, expected[i][name].get<Ids>()) << name << " on " << strings[i].dump();
  }
}

TEST(Precompiled, EveryNormalizerGivesTheOfficialTextAndAlignment) {
  const json fixture = read_json(text_fixtures() / "normalizers.json");
  std::vector<std::string> texts;
  for (const auto& h : both_corpora()) {
    texts.push_back(h["text"]);
    if (h.contains("pair")) texts.push_back(h["pair"]);
  }
  ASSERT_EQ(texts.size(), fixture["outputs"].size());
  ASSERT_GE(fixture["normalizers"].size(), 15u);
  for (const auto& [name, config] : fixture["normalizers"].items()) {
    const auto normalizer = text::normalizer_from_json(resolve(config).dump(), name);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const json& want = fixture["outputs"][i][name];
      auto t = text::NormalizedText::from(text::decode_utf8(texts[i]));
      normalizer->normalize(t);
      const std::string got = text::encode_utf8(t.chars);
      std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;
      for (auto o : t.origin) spans.push_back({o, o + 1});
      if (got != want[0].get<std::string>() || spans != expand(want[1])) {
        if (++differ <= 3)
          ADD_FAILURE() << name << " on " << json(texts[i]).dump() << ": got " << json(got).dump() << ", official "
                        << want[0].dump() << (got == want[0] ? " (alignment differs)" : "");
      }
    }
    EXPECT_EQ(differ, 0u) << name;
  }
}

TEST(Precompiled, ShortestKeyWinsAndTakesTheWholeCluster) {
  const auto n = text::normalizer_from_json(spm_json()["normalizer"]["normalizers"][0].dump(), "spm");
  const auto& map = dynamic_cast<const text::PrecompiledNormalizer&>(*n).charsmap();
  EXPECT_EQ(map.transform("\xEF\xAC\x81"), "fi");             // ﬁ
  EXPECT_EQ(map.transform("\xEF\xBC\xA1\xCC\x81"), "A");      // Ａ + U+0301: the mark is lost
  EXPECT_EQ(map.transform("A\xCC\x81\xCC\x82"), "\xC3\x81");  // A◌́◌̂ → Á, ◌̂ lost
  EXPECT_EQ(map.transform("abc"), std::nullopt);
  auto norm = [&](std::u32string s) {
    auto t = text::NormalizedText::from(std::move(s));
    n->normalize(t);
    return t.chars;
  };
  EXPECT_EQ(norm(U"x\uFF21\u0301y"), U"xAy");         // a 5-byte cluster, looked up whole
  EXPECT_EQ(norm(U"\uFF76\uFF9E"), U"\u30AB\u3099");  // ｶﾞ: 6 bytes, char by char
  EXPECT_EQ(norm(U"a\u200Bb"), U"a b");
}

TEST(Precompiled, MalformedCharsmapsAreInputErrors) {
  auto error = [](std::string_view blob) {
    try {
      text::PrecompiledCharsmap(blob, "tok.json: normalizer: ");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error("ab").find("too few for its header"), std::string::npos);
  EXPECT_NE(error(std::string("\x08\0\0\0\0\0\0\0", 8)).find("does not fit"), std::string::npos);
  // One unit whose child offset points far outside the trie is harmless (no keys) ...
  EXPECT_EQ(error(std::string("\x04\0\0\0\0\0\0\0", 8)), "no error");
  // ... but replacement strings that are not UTF-8 are not.
  EXPECT_NE(error(std::string("\x04\0\0\0\0\0\0\0\xFF", 9)).find("not valid UTF-8"), std::string::npos);
  json j = spm_json();
  j["normalizer"]["normalizers"][0]["precompiled_charsmap"] = "AAA*";
  EXPECT_EQ(taskscout::testing::load_error(j),
            "tok.json: normalizer.normalizers[0].precompiled_charsmap: not base64: character 3 is '*'");
}

TEST(Graphemes, UnicodeConformanceCases) {
  std::ifstream in(text_fixtures() / "grapheme_break_test.txt");
  ASSERT_TRUE(in);
  std::size_t cases = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::u32string chars;
    std::vector<std::size_t> breaks;
    std::istringstream words(line);
    for (std::string w; words >> w;) {
      if (w == "\xC3\xB7")
        breaks.push_back(chars.size());  // ÷
      else if (w != "\xC3\x97")
        chars.push_back(static_cast<char32_t>(std::stoul(w, nullptr, 16)));
    }
    std::vector<std::size_t> got{0};
    for (std::size_t i = 0; i < chars.size();) got.push_back(i = text::grapheme_end(chars, i));
    EXPECT_EQ(got, breaks) << line;
    ++cases;
  }
  EXPECT_GT(cases, 600u);
}

TEST(Graphemes, IndicConjunctsStayTogether) {         // GB9c (Unicode 15.1)
  const std::u32string ksha = U"\u0915\u094D\u0937";  // क्ष
  EXPECT_EQ(text::grapheme_end(ksha, 0), 3u);
  EXPECT_EQ(text::grapheme_end(U"\u0915\u094D\u200D\u0937", 0), 4u);
  EXPECT_EQ(text::grapheme_end(U"\u0915\u093F\u0937", 0), 2u);  // a vowel sign is no linker
}

TEST(Precompiled, UnigramScoresAreReadAsTheCrateReadsThem) {
  // serde_json reads -10.430802345275879 one unit in the last place low; that bit decides
  // the exact tie between "__ __ __ <16>" and "__ __ <16> __" for 22 underscores, and the
  // official tokenizer (loading this file) gives the latter.
  const std::string j = R"({"pre_tokenizer": {"type": "Metaspace", "replacement": "▁"},
    "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0],
      ["▁", -4.21852970123291], ["_", -7.61046838760376], ["__", -10.430802345275879],
      ["________________", -11.319631576538086]]}})";
  const Tokenizer t = Tokenizer::from_json(j, "tok.json");
  EXPECT_EQ(t.encode(std::string(22, '_')).ids, (Ids{1, 3, 3, 4, 3}));
}
