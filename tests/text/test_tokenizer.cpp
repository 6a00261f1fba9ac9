// The Tokenizer against the official implementation's ids on the hard strings
// (tests/fixtures/text, made by scripts/oracles/tokenizers/make_fixtures.js), and its
// truncation, padding, pairs and errors.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
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

const Tokenizer& wordpiece() {
  static const Tokenizer t = Tokenizer::from_file(taskscout::testing::text_fixtures() / "wordpiece/tokenizer.json");
  return t;
}

// The oracle's offsets count code points; ours are bytes.
std::vector<std::pair<std::uint32_t, std::uint32_t>> char_offsets(const json& h, const text::Encoding& e) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  const bool pair = h.contains("pair");
  for (std::size_t i = 0; i < e.size(); ++i) {
    const std::string s = (pair && e.type_ids[i] == 1 ? h["pair"] : h["text"]).get<std::string>();
    auto chars = [&](std::uint32_t byte) {
      return static_cast<std::uint32_t>(text::decode_utf8(s.substr(0, byte)).size());
    };
    out.push_back({chars(e.offsets[i].first), chars(e.offsets[i].second)});
  }
  return out;
}

Tokenizer from_json(const json& j) { return Tokenizer::from_json(j.dump(), "tok.json"); }

json small_tokenizer() {
  return json::parse(R"({
    "added_tokens": [{"id": 0, "content": "[UNK]", "normalized": false, "special": true}],
    "normalizer": {"type": "BertNormalizer", "lowercase": true},
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "post_processor": {"type": "BertProcessing", "cls": ["[CLS]", 1], "sep": ["[SEP]", 2]},
    "model": {"type": "WordPiece", "unk_token": "[UNK]",
              "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "[PAD]": 3, "a": 4, "b": 5, "c": 6,
                        "d": 7, "e": 8, "f": 9}}})");
}

std::string error_of(const json& j) {
  try {
    from_json(j);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Tokenizer, HardStringsMatchTheOfficialTokenizer) {
  const auto strings = read_jsonl(taskscout::testing::text_fixtures() / "hard_strings.jsonl");
  const auto expected = read_jsonl(taskscout::testing::text_fixtures() / "hard_strings_ids.jsonl");
  ASSERT_EQ(strings.size(), expected.size());
  ASSERT_GT(strings.size(), 50u);
  Tokenizer truncating = Tokenizer::from_file(taskscout::testing::text_fixtures() / "wordpiece/tokenizer.json");
  truncating.set_truncation(text::TruncationOptions{16});
  const Tokenizer cased = Tokenizer::from_file(taskscout::testing::text_fixtures() / "wordpiece/tokenizer_cased.json");
  const Tokenizer added = Tokenizer::from_file(taskscout::testing::text_fixtures() / "wordpiece/tokenizer_added.json");
  // make_fixtures.js TRUNCATIONS, max_length 12.
  using S = text::TruncationOptions::Strategy;
  const text::TruncationOptions truncations[] = {{12, S::OnlyFirst, text::Side::Right},
                                                 {12, S::OnlySecond, text::Side::Right},
                                                 {12, S::LongestFirst, text::Side::Left},
                                                 {12, S::OnlySecond, text::Side::Left}};
  for (std::size_t i = 0; i < strings.size(); ++i) {
    SCOPED_TRACE("hard_strings.jsonl line " + std::to_string(i + 1) + ": " + strings[i].dump());
    auto e = encode(wordpiece(), strings[i], {.offsets = true});
    EXPECT_EQ(e.ids, expected[i]["ids"].get<std::vector<std::int32_t>>());
    EXPECT_EQ(e.type_ids, expected[i]["type_ids"].get<std::vector<std::int32_t>>());
    auto offsets = expected[i]["offsets"].get<std::vector<std::pair<std::uint32_t, std::uint32_t>>>();
    if (e.ids == expected[i]["ids"].get<std::vector<std::int32_t>>()) {
      EXPECT_EQ(char_offsets(strings[i], e), offsets);
    }
    EXPECT_EQ(encode(truncating, strings[i]).ids, expected[i]["truncated_16"].get<std::vector<std::int32_t>>());
    EXPECT_EQ(encode(cased, strings[i]).ids, expected[i]["cased"].get<std::vector<std::int32_t>>());
    EXPECT_EQ(encode(added, strings[i]).ids, expected[i]["added"].get<std::vector<std::int32_t>>());
    for (std::size_t k = 0; k < std::size(truncations); ++k) {
      truncating.set_truncation(truncations[k]);
      const json& want = expected[i]["truncations"][k];
      if (want == "error")
        EXPECT_THROW(encode(truncating, strings[i]), Error) << "truncation " << k;
      else
        EXPECT_EQ(encode(truncating, strings[i]).ids, want.get<std::vector<std::int32_t>>()) << "truncation " << k;
    }
    truncating.set_truncation(text::TruncationOptions{16});
  }
}

TEST(Tokenizer, TemplateProcessingEqualsBertProcessing) {
  auto t = Tokenizer::from_file(taskscout::testing::text_fixtures() / "wordpiece/tokenizer_template.json");
  for (const auto& h : read_jsonl(taskscout::testing::text_fixtures() / "hard_strings.jsonl")) {
    auto a = encode(t, h), b = encode(wordpiece(), h);
    EXPECT_EQ(a.ids, b.ids);
    EXPECT_EQ(a.type_ids, b.type_ids);
  }
}

TEST(Tokenizer, SpecialTokensAndPairs) {
  const auto& t = wordpiece();
  auto cls = *t.token_to_id("[CLS]"), sep = *t.token_to_id("[SEP]");
  auto e = t.encode("");
  EXPECT_EQ(e.ids, (std::vector<std::int32_t>{cls, sep}));
  EXPECT_EQ(e.special, (std::vector<std::uint8_t>{1, 1}));
  auto p = t.encode_pair("a", "b");
  EXPECT_EQ(p.ids.front(), cls);
  EXPECT_EQ(p.type_ids, (std::vector<std::int32_t>{0, 0, 0, 1, 1}));
  auto raw = t.encode("a b", {.add_special_tokens = false});
  EXPECT_EQ(raw.size(), 2u);
  EXPECT_EQ(*t.id_to_token(cls), "[CLS]");
  EXPECT_EQ(t.vocab_size(), 8000u);
}

TEST(Tokenizer, TruncationLongestFirst) {
  auto t = from_json(small_tokenizer());
  t.set_truncation(text::TruncationOptions{9});  // 6 tokens left for the texts
  auto e = t.encode_pair("a b c d e f", "a b");
  EXPECT_EQ(e.ids, (std::vector<std::int32_t>{1, 4, 5, 6, 7, 2, 4, 5, 2}));
  EXPECT_EQ(e.truncated, 2u);
  e = t.encode_pair("a b c d", "a b c d e");  // both cut: 3 and 3
  EXPECT_EQ(e.ids, (std::vector<std::int32_t>{1, 4, 5, 6, 2, 4, 5, 6, 2}));
  t.set_truncation(text::TruncationOptions{4, text::TruncationOptions::Strategy::LongestFirst, text::Side::Left});
  EXPECT_EQ(t.encode("a b c d").ids, (std::vector<std::int32_t>{1, 6, 7, 2}));
  t.set_truncation(text::TruncationOptions{2});
  EXPECT_EQ(t.encode("a b").ids, (std::vector<std::int32_t>{1, 2}));
  t.set_truncation(text::TruncationOptions{1});
  EXPECT_THROW(t.encode("a"), UsageError);
}

TEST(Tokenizer, PaddingBatches) {
  auto t = from_json(small_tokenizer());
  std::vector<std::string> texts = {"a", "a b c", ""};
  auto b = t.encode_batch(texts);
  EXPECT_EQ(b.rows, 3u);
  EXPECT_EQ(b.length, 5u);
  EXPECT_EQ(b.input_ids, (std::vector<std::int64_t>{1, 4, 2, 0, 0, 1, 4, 5, 6, 2, 1, 2, 0, 0, 0}));
  EXPECT_EQ(b.attention_mask, (std::vector<std::int64_t>{1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(b.lengths, (std::vector<std::uint32_t>{3, 5, 2}));
  text::PaddingOptions fixed;
  fixed.strategy = text::PaddingOptions::Strategy::Fixed;
  fixed.length = 4;
  fixed.pad_id = 3;
  fixed.side = text::Side::Left;
  std::vector<text::Encoding> e = {t.encode("a"), t.encode("")};
  auto p = text::pad(e, fixed);
  EXPECT_EQ(p.input_ids, (std::vector<std::int64_t>{3, 1, 4, 2, 3, 3, 1, 2}));
  EXPECT_EQ(p.token_type_ids, (std::vector<std::int64_t>{0, 0, 0, 0, 0, 0, 0, 0}));
  fixed.length = 2;
  EXPECT_THROW(text::pad(e, fixed), UsageError);
  t.set_truncation(text::TruncationOptions{3});
  EXPECT_EQ(t.encode_batch(texts).truncated_texts, 1u);
}

TEST(Tokenizer, BucketsByLength) {
  auto t = from_json(small_tokenizer());
  std::vector<text::Encoding> e = {t.encode("a b c"), t.encode("a"), t.encode("b c"), t.encode("c")};
  auto order = text::order_by_length(e);
  EXPECT_EQ(order, (std::vector<std::size_t>{1, 3, 2, 0}));
  std::vector<const text::Encoding*> bucket = {&e[order[0]], &e[order[1]]};
  auto b = text::pad(bucket, {});
  EXPECT_EQ(b.length, 3u);
  EXPECT_EQ(b.input_ids, (std::vector<std::int64_t>{1, 4, 2, 1, 6, 2}));
}

TEST(Tokenizer, ReadsTruncationAndPaddingSections) {
  auto j = small_tokenizer();
  j["truncation"] = {{"max_length", 4}, {"strategy", "LongestFirst"}, {"direction", "Right"}, {"stride", 0}};
  j["padding"] = {{"strategy", {{"Fixed", 6}}}, {"direction", "Right"}, {"pad_id", 3},
                  {"pad_type_id", 0},           {"pad_token", "[PAD]"}, {"pad_to_multiple_of", nullptr}};
  auto t = from_json(j);
  std::vector<std::string> texts = {"a b c d"};
  auto b = t.encode_batch(texts);
  EXPECT_EQ(b.input_ids, (std::vector<std::int64_t>{1, 4, 5, 2, 3, 3}));
  EXPECT_EQ(b.truncated_texts, 1u);
}

TEST(Tokenizer, ErrorsNameFilePathAndSupportedTypes) {
  auto j = small_tokenizer();
  j["model"]["type"] = "WordLevel";
  EXPECT_EQ(error_of(j),
            "tok.json: model.type: unsupported type \"WordLevel\"; supported: WordPiece, BPE, "
            "Unigram");
  j = small_tokenizer();
  j["normalizer"] = {{"type", "Precompiled"}};
  EXPECT_EQ(error_of(j), "tok.json: normalizer: missing \"precompiled_charsmap\"");
  j["normalizer"] = {{"type", "Nmt"}};
  EXPECT_EQ(error_of(j),
            "tok.json: normalizer.type: unsupported type \"Nmt\"; supported: "
            "BertNormalizer, Precompiled, NFD, NFC, NFKD, NFKC, Lowercase, StripAccents, "
            "Replace, Prepend, Strip, Sequence");
  j = small_tokenizer();
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "UnicodeScripts"}}}}};
  EXPECT_EQ(error_of(j),
            "tok.json: pre_tokenizer.pretokenizers[0].type: unsupported type "
            "\"UnicodeScripts\"; supported: BertPreTokenizer, Whitespace, WhitespaceSplit, "
            "ByteLevel, Metaspace, Split, Punctuation, Digits, CharDelimiterSplit, Sequence");
  j = small_tokenizer();
  j["post_processor"] = {{"type", "Sequence"}};
  EXPECT_EQ(error_of(j),
            "tok.json: post_processor.type: unsupported type \"Sequence\"; supported: "
            "BertProcessing, RobertaProcessing, ByteLevel, TemplateProcessing");
  j = small_tokenizer();
  j["model"]["vocab"]["b"] = "five";
  EXPECT_EQ(error_of(j), "tok.json: model.vocab[\"b\"]: expected an integer");
  j = small_tokenizer();
  j["model"].erase("type");
  EXPECT_EQ(error_of(j), "tok.json: model: missing \"type\"; supported: WordPiece, BPE, Unigram");
  j["model"]["continuing_subword_prefix"] = "##";  // an old file: recognised as WordPiece
  EXPECT_EQ(from_json(j).encode("a").ids, (std::vector<std::int32_t>{1, 4, 2}));
  j = small_tokenizer();
  j["model"].erase("vocab");
  EXPECT_EQ(error_of(j), "tok.json: model: missing \"vocab\"");
  j = small_tokenizer();
  j["model"]["unk_token"] = "<unk>";
  EXPECT_NE(error_of(j).find("the unknown token \"<unk>\" is not in the vocabulary"), std::string::npos);
  EXPECT_THROW(Tokenizer::from_json("{not json", "tok.json"), InputError);
  EXPECT_THROW(Tokenizer::from_file("/nonexistent/tokenizer.json"), IoError);
  EXPECT_THROW(Tokenizer::from_folder("/nonexistent"), IoError);
}

TEST(Tokenizer, InvalidUtf8IsNamed) {
  try {
    wordpiece().encode("ok \xFF", {}, "data.csv:3");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("data.csv:3: invalid UTF-8 at byte 3"), std::string::npos);
  }
}

TEST(Tokenizer, BertFolderFromVocabTxt) {
  taskscout::testing::TempDir dir;
  // The same vocabulary as the fixture tokenizer.json, as vocab.txt.
  std::ifstream in(taskscout::testing::text_fixtures() / "wordpiece/tokenizer.json");
  auto j = json::parse(in);
  std::vector<std::string> tokens(j["model"]["vocab"].size());
  for (auto& [tok, id] : j["model"]["vocab"].items()) tokens[id.get<std::size_t>()] = tok;
  std::string vocab;
  for (auto& t : tokens) vocab += t + "\n";
  taskscout::testing::write_text(dir / "vocab.txt", vocab);
  taskscout::testing::write_text(dir / "tokenizer_config.json", R"({"do_lower_case": true, "model_max_length": 512})");
  auto t = Tokenizer::from_folder(dir.path());
  for (const auto& h : read_jsonl(taskscout::testing::text_fixtures() / "hard_strings.jsonl"))
    EXPECT_EQ(encode(t, h).ids, encode(wordpiece(), h).ids) << h.dump();
  EXPECT_EQ(t.padding()->pad_id, *t.token_to_id("[PAD]"));

  taskscout::testing::write_text(dir / "tokenizer_config.json", R"({"do_lower_case": false})");
  auto cased = Tokenizer::from_folder(dir.path());
  EXPECT_NE(cased.encode("Hello").ids, t.encode("Hello").ids);

  taskscout::testing::write_text(dir / "vocab.txt", "[UNK]\n[CLS]\n[SEP]\n\n[PAD]\n[MASK]\nab\n##c\nab\r\n");
  auto odd = Tokenizer::from_vocab(dir / "vocab.txt");
  EXPECT_EQ(odd.encode("abc").ids, (std::vector<std::int32_t>{1, 8, 7, 2}));  // last "ab" wins
  EXPECT_EQ(*odd.id_to_token(6), "ab");
  taskscout::testing::write_text(dir / "vocab.txt", "a\nb\n");
  try {
    Tokenizer::from_vocab(dir / "vocab.txt");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("the special token \"[PAD]\" is not in the vocabulary"), std::string::npos)
        << e.what();
  }
}
