// Byte-level BPE (RoBERTa-like) against the official tokenizers: the GPT-2 regex classes over every
// code point (hf_bytelevel.json from probe_bytelevel.js) and the hard strings
// (bpe_hard_strings_ids.jsonl from make_bpe_fixtures.js).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/text/bpe.hpp"
#include "taskscout/text/pre_tokenizer.hpp"
#include "taskscout/text/tokenizer.hpp"
#include "taskscout/text/unicode.hpp"
#include "test_support.hpp"
#include "tokenizer_oracle.hpp"

using namespace taskscout;
using nlohmann::json;
using taskscout::testing::encode;
using taskscout::testing::read_jsonl;
using text::Tokenizer;

namespace {

// Ours are byte offsets, the oracle's count code points. RobertaProcessing gives every token type
// id 0: the second text's tokens are those after the third special token.
std::vector<std::pair<std::uint32_t, std::uint32_t>> char_offsets(const json& h, const text::Encoding& e,
                                                                  bool by_type_id = false) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  std::size_t specials = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    specials += e.special[i];
    const bool second = h.contains("pair") && (by_type_id ? e.type_ids[i] == 1 : specials >= 3);
    const std::string s = (second ? h["pair"] : h["text"]).get<std::string>();
    // The index of the character holding `byte` (trimming may cut inside one), as the npm binding
    // converts them.
    auto chars = [&](std::uint32_t byte) {
      std::uint32_t n = 0;
      for (std::uint32_t b = 0; b <= byte && b < s.size(); ++b) n += (static_cast<unsigned char>(s[b]) & 0xC0) != 0x80;
      return byte < s.size() ? n - 1 : n;
    };
    out.push_back({chars(e.offsets[i].first), chars(e.offsets[i].second)});
  }
  return out;
}

using Offsets = std::vector<std::pair<std::uint32_t, std::uint32_t>>;
using Ids = std::vector<std::int32_t>;

}  // namespace

TEST(ByteLevel, RegexClassesOfEveryCodePointMatchOniguruma) {
  std::ifstream in(taskscout::testing::text_fixtures() / "hf_bytelevel.json");
  ASSERT_TRUE(in);
  const json probe = json::parse(in);
  std::vector<text::RegexClass> want(0x110000, text::RegexClass::Other);
  const std::pair<const char*, text::RegexClass> sets[] = {
      {"letter", text::RegexClass::Letter}, {"number", text::RegexClass::Number}, {"space", text::RegexClass::Space}};
  for (auto [name, k] : sets)
    for (const auto& r : probe[name])
      for (std::uint32_t c = r[0]; c <= r[1].get<std::uint32_t>(); ++c) want[c] = k;
  int wrong = 0;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    if (text::regex_class(c) != want[c] && ++wrong <= 5)
      ADD_FAILURE() << "U+" << std::hex << static_cast<std::uint32_t>(c);
  }
  EXPECT_EQ(wrong, 0);
}

TEST(ByteLevel, Gpt2RegexSplits) {
  const std::u32string t = U"Hello  world, it's 123 ok   \n";
  std::vector<std::u32string> words;
  for (std::size_t i = 0; i < t.size();) {
    auto n = text::gpt2_match(t, i);
    ASSERT_GT(n, 0u);
    words.push_back(t.substr(i, n));
    i += n;
  }
  EXPECT_EQ(words,
            (std::vector<std::u32string>{U"Hello", U" ", U" world", U",", U" it", U"'s", U" 123", U" ok", U"   \n"}));
  EXPECT_EQ(text::byte_level_char(' '), U'\u0120');
  EXPECT_EQ(text::byte_level_char('a'), U'a');
  EXPECT_EQ(text::byte_level_char(0xAD), U'\u0143');
}

TEST(Bpe, HardStringsMatchTheOfficialTokenizer) {
  const auto strings = read_jsonl(taskscout::testing::text_fixtures() / "hard_strings.jsonl");
  const auto expected = read_jsonl(taskscout::testing::text_fixtures() / "bpe_hard_strings_ids.jsonl");
  ASSERT_EQ(strings.size(), expected.size());
  ASSERT_GT(strings.size(), 50u);
  const Tokenizer bpe = Tokenizer::from_file(taskscout::testing::text_fixtures() / "bpe/tokenizer.json");
  const Tokenizer merges_str =
      Tokenizer::from_file(taskscout::testing::text_fixtures() / "bpe/tokenizer_merges_str.json");
  const Tokenizer prefix = Tokenizer::from_file(taskscout::testing::text_fixtures() / "bpe/tokenizer_prefix.json");
  const Tokenizer suffix = Tokenizer::from_file(taskscout::testing::text_fixtures() / "bpe/tokenizer_suffix.json");
  const Tokenizer gpt2 = Tokenizer::from_file(taskscout::testing::text_fixtures() / "bpe/tokenizer_gpt2.json");
  for (std::size_t i = 0; i < strings.size(); ++i) {
    SCOPED_TRACE("hard_strings.jsonl line " + std::to_string(i + 1) + ": " + strings[i].dump());
    const json& x = expected[i];
    auto e = encode(bpe, strings[i], {.offsets = true});
    EXPECT_EQ(e.ids, x["ids"].get<Ids>());
    EXPECT_EQ(e.type_ids, x["type_ids"].get<Ids>());
    if (e.ids == x["ids"].get<Ids>()) EXPECT_EQ(char_offsets(strings[i], e), x["offsets"].get<Offsets>());
    EXPECT_EQ(encode(merges_str, strings[i]).ids, x["ids"].get<Ids>());
    auto p = encode(prefix, strings[i], {.offsets = true});
    EXPECT_EQ(p.ids, x["prefix"].get<Ids>());
    if (p.ids == x["prefix"].get<Ids>()) EXPECT_EQ(char_offsets(strings[i], p), x["prefix_offsets"].get<Offsets>());
    EXPECT_EQ(encode(suffix, strings[i]).ids, x["suffix"].get<Ids>());
    auto g = encode(gpt2, strings[i], {.offsets = true});
    EXPECT_EQ(g.ids, x["gpt2"].get<Ids>());
    EXPECT_EQ(g.type_ids, x["gpt2_type_ids"].get<Ids>());
    if (g.ids == x["gpt2"].get<Ids>()) EXPECT_EQ(char_offsets(strings[i], g, true), x["gpt2_offsets"].get<Offsets>());
  }
}

TEST(Bpe, Errors) {
  json j = json::parse(R"({
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
    "model": {"type": "BPE", "dropout": null, "vocab": {"a": 0, "b": 1, "ab": 2},
              "merges": ["a b"]}})");
  EXPECT_EQ(taskscout::testing::load_error(j), "no error");
  EXPECT_EQ(Tokenizer::from_json(j.dump(), "tok.json").encode("ab").ids, (Ids{2}));
  j["model"]["merges"] = {"a c"};
  EXPECT_EQ(taskscout::testing::load_error(j),
            "tok.json: model.merges: merge 0 (\"a\" \"c\"): \"c\" "
            "is not in the vocabulary; "
            "the merges must only use vocabulary tokens");
  j["model"]["merges"] = {"a b c"};
  EXPECT_NE(taskscout::testing::load_error(j).find("tok.json: model.merges[0]: expected \"a b\""), std::string::npos);
  j["model"]["merges"] = json::array({json::array({"a", "b"})});
  EXPECT_EQ(taskscout::testing::load_error(j), "no error");
  j["model"]["dropout"] = 0.1;
  EXPECT_NE(taskscout::testing::load_error(j).find("tok.json: model.dropout: BPE dropout is not supported"),
            std::string::npos);
}
