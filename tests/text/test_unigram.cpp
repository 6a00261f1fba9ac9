// Unigram with Metaspace (laid out as XLM-R) against the official tokenizers on the hard
// strings (unigram_hard_strings_ids.jsonl from make_unigram_fixtures.js), and its pieces.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/text/pre_tokenizer.hpp"
#include "taskscout/text/tokenizer.hpp"
#include "taskscout/text/unigram.hpp"
#include "test_support.hpp"
#include "tokenizer_oracle.hpp"

using namespace taskscout;
using nlohmann::json;
using taskscout::testing::encode;
using taskscout::testing::read_jsonl;
using text::Tokenizer;

namespace {

using Offsets = std::vector<std::pair<std::uint32_t, std::uint32_t>>;
using Ids = std::vector<std::int32_t>;

// Byte offsets → the oracle's code point offsets; the template gives every token type id 0,
// so the second text's tokens are those after the third special token.
Offsets char_offsets(const json& h, const text::Encoding& e) {
  Offsets out;
  std::size_t specials = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    specials += e.special[i];
    const bool second = h.contains("pair") && specials >= 3;
    const std::string s = (second ? h["pair"] : h["text"]).get<std::string>();
    auto chars = [&](std::uint32_t byte) {
      std::uint32_t n = 0;
      for (std::uint32_t b = 0; b < byte && b < s.size(); ++b) n += (static_cast<unsigned char>(s[b]) & 0xC0) != 0x80;
      return n;
    };
    out.push_back({chars(e.offsets[i].first), chars(e.offsets[i].second)});
  }
  return out;
}

}  // namespace

TEST(Unigram, HardStringsMatchTheOfficialTokenizer) {
  const auto strings = read_jsonl(taskscout::testing::text_fixtures() / "hard_strings.jsonl");
  const auto expected = read_jsonl(taskscout::testing::text_fixtures() / "unigram_hard_strings_ids.jsonl");
  ASSERT_EQ(strings.size(), expected.size());
  ASSERT_GT(strings.size(), 50u);
  const Tokenizer unigram = Tokenizer::from_file(taskscout::testing::text_fixtures() / "unigram/tokenizer.json");
  const Tokenizer first = Tokenizer::from_file(taskscout::testing::text_fixtures() / "unigram/tokenizer_first.json");
  for (std::size_t i = 0; i < strings.size(); ++i) {
    SCOPED_TRACE("hard_strings.jsonl line " + std::to_string(i + 1) + ": " + strings[i].dump());
    const json& x = expected[i];
    auto e = encode(unigram, strings[i], {.offsets = true});
    EXPECT_EQ(e.ids, x["ids"].get<Ids>());
    EXPECT_EQ(e.type_ids, x["type_ids"].get<Ids>());
    if (e.ids == x["ids"].get<Ids>()) EXPECT_EQ(char_offsets(strings[i], e), x["offsets"].get<Offsets>());
    EXPECT_EQ(encode(first, strings[i]).ids, x["first"].get<Ids>());
  }
}

TEST(Unigram, ViterbiScoresTiesAndUnknowns) {
  // "ab" (−1) beats "a" + "b" (−1.5); on a tie the shorter piece found first wins; runs of
  // unknown characters are one <unk>.
  text::Unigram m({{"<unk>", 0.0}, {"a", -0.5}, {"b", -1.0}, {"ab", -1.0}, {"c", -1.0}, {"bc", -2.0}}, {.unk_id = 0},
                  "test: ");
  std::vector<text::Token> out;
  m.tokenize(U"abxyc", out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].id, 3);
  EXPECT_EQ(out[1].id, 0);
  EXPECT_EQ(out[1].begin, 2u);
  EXPECT_EQ(out[1].end, 4u);
  EXPECT_EQ(out[2].id, 4);
}

// Found by fuzz_tokenizer: every prefix of a piece is indexed, so a 60 KB piece took 2 GB
// of memory; a piece longer than 1,024 bytes is refused, naming it.
TEST(Unigram, APieceLongerThanTheLimitIsRefused) {
  EXPECT_NO_THROW(text::Unigram({{"<unk>", 0.0}, {std::string(1024, 'a'), -1.0}}, {.unk_id = 0}, "test: "));
  try {
    text::Unigram({{"<unk>", 0.0}, {std::string(60000, 'a'), -1.0}}, {.unk_id = 0}, "t.json: ");
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("t.json: piece 1 is 60000 bytes long"), std::string::npos) << e.what();
  }
}

TEST(Metaspace, ReplacesPrependsAndSplits) {
  const json j = json::parse(R"({
    "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always",
                      "split": true},
    "model": {"type": "Unigram", "unk_id": 0,
              "vocab": [["<unk>", 0.0], ["▁a", -1.0], ["▁", -2.0], ["b", -3.0]]}})");
  const Tokenizer t = Tokenizer::from_json(j.dump(), "tok.json");
  EXPECT_EQ(t.encode("a  b").ids, (Ids{1, 2, 2, 3}));
  json old = j;
  old["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "▁"}, {"add_prefix_space", false}};
  EXPECT_EQ(Tokenizer::from_json(old.dump(), "tok.json").encode("a b").ids, (Ids{0, 2, 3}));
  json bad = j;
  bad["pre_tokenizer"]["prepend_scheme"] = "sometimes";
  EXPECT_EQ(taskscout::testing::load_error(bad),
            "tok.json: pre_tokenizer.prepend_scheme: expected \"always\", \"first\" or "
            "\"never\", got \"sometimes\"");
  bad = j;
  bad["model"]["unk_id"] = 9;
  EXPECT_NE(taskscout::testing::load_error(bad).find("unk_id 9 is not an id of the vocabulary"), std::string::npos);
}
