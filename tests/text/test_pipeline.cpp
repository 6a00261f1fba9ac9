// Normalizer, pre-tokenizer and WordPiece on hand-made cases.
#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/text/normalizer.hpp"
#include "taskscout/text/pre_tokenizer.hpp"
#include "taskscout/text/unicode.hpp"
#include "taskscout/text/wordpiece.hpp"

using namespace taskscout::text;

namespace {

std::string normalize(std::string_view s, BertNormalizerOptions o = {}) {
  auto t = NormalizedText::from(decode_utf8(s));
  BertNormalizer(o).normalize(t);
  EXPECT_EQ(t.origin.size(), t.chars.size());
  return encode_utf8(t.chars);
}

std::vector<std::string> words(std::string_view s) {
  auto text = decode_utf8(s);
  std::vector<Span> w{{0, static_cast<std::uint32_t>(text.size())}};
  BertPreTokenizer().split(text, w);
  std::vector<std::string> out;
  for (Span x : w) out.push_back(encode_utf8(std::u32string_view(text).substr(x.begin, x.end - x.begin)));
  return out;
}

WordPiece make_wordpiece(std::size_t max_chars = 100) {
  Vocab v;
  int id = 0;
  for (const char* t : {"[UNK]", "un", "##aff", "##able", "a", "##b", "##c", "abc", "é"}) v.add(t, id++, "");
  WordPieceOptions o;
  o.max_input_chars_per_word = max_chars;
  return WordPiece(std::move(v), o, "");
}

std::vector<std::int32_t> ids(const WordPiece& m, std::string_view word) {
  std::vector<Token> t;
  m.tokenize(decode_utf8(word), t);
  std::vector<std::int32_t> out;
  for (auto& x : t) out.push_back(x.id);
  return out;
}

}  // namespace

TEST(BertNormalizer, CleansText) {
  EXPECT_EQ(normalize("a\tb\nc\r\nd"), "a b c  d");
  EXPECT_EQ(normalize("a\x01"
                      "b\x7f"
                      "c\xC2\x85"
                      "d"),
            "abcd");  // Cc and NEL dropped
  EXPECT_EQ(normalize("a\xE2\x80\x8B"
                      "b\xEF\xBB\xBF"
                      "c"),
            "abc");  // ZWSP, BOM (Cf)
  EXPECT_EQ(normalize(std::string("a\0b", 3)), "ab");
  EXPECT_EQ(normalize("a\xEF\xBF\xBD"
                      "b"),
            "ab");  // U+FFFD
  EXPECT_EQ(normalize("a\xC2\xA0"
                      "b\xE3\x80\x80"
                      "c"),
            "a b c");                        // NBSP, ideographic
  EXPECT_EQ(normalize("\xEE\x80\x80"), "");  // private use
}

TEST(BertNormalizer, ChineseAccentsLowercase) {
  EXPECT_EQ(normalize("ab中文c"), "ab 中  文 c");
  EXPECT_EQ(normalize("Café NAÏVE"), "cafe naive");
  EXPECT_EQ(normalize("İ"), "i");  // i + U+0307 (Mn) → stripped
  EXPECT_EQ(normalize("ﬁ"), "ﬁ");  // no compatibility decomposition
  EXPECT_EQ(normalize("각"), "\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8");
  BertNormalizerOptions keep;
  keep.lowercase = false;  // strip_accents unset follows lowercase
  EXPECT_EQ(normalize("Café", keep), "Café");
  keep.strip_accents = true;
  EXPECT_EQ(normalize("Café", keep), "Cafe");
}

TEST(BertNormalizer, OriginPointsIntoTheInput) {
  auto t = NormalizedText::from(decode_utf8("\xC3\x89t\xE4\xB8\xAD"));  // É t 中
  BertNormalizer().normalize(t);
  EXPECT_EQ(t.chars, U"et \u4e2d ");
  EXPECT_EQ(t.origin, (std::vector<std::uint32_t>{0, 1, 2, 2, 2}));
}

TEST(BertPreTokenizer, SplitsWhitespaceAndPunctuation) {
  EXPECT_EQ(words("Hey friend!  How are you?!?"),
            (std::vector<std::string>{"Hey", "friend", "!", "How", "are", "you", "?", "!", "?"}));
  EXPECT_EQ(words("a$b`c~d"), (std::vector<std::string>{"a", "$", "b", "`", "c", "~", "d"}));
  EXPECT_EQ(words("x—y«z»"), (std::vector<std::string>{"x", "—", "y", "«", "z", "»"}));
  EXPECT_EQ(words("5€ 2+2"), (std::vector<std::string>{"5€", "2", "+", "2"}));  // € is Sc
  EXPECT_EQ(words("  "), (std::vector<std::string>{}));
  EXPECT_TRUE(is_bert_punctuation(0x166D));   // Po in Unicode 8.0
  EXPECT_FALSE(is_bert_punctuation(0x2E5D));  // added in 14.0
}

TEST(WordPiece, GreedyLongestMatch) {
  auto m = make_wordpiece();
  EXPECT_EQ(ids(m, "unaffable"), (std::vector<std::int32_t>{1, 2, 3}));
  EXPECT_EQ(ids(m, "abc"), (std::vector<std::int32_t>{7}));  // whole word beats a ##b ##c
  EXPECT_EQ(ids(m, "ab"), (std::vector<std::int32_t>{4, 5}));
  EXPECT_EQ(ids(m, "abx"), (std::vector<std::int32_t>{0}));  // one bad piece → [UNK]
  EXPECT_EQ(ids(m, "é"), (std::vector<std::int32_t>{8}));
  std::vector<Token> t;
  m.tokenize(U"unaffable", t);
  EXPECT_EQ(t[1].begin, 2u);
  EXPECT_EQ(t[1].end, 5u);
}

TEST(WordPiece, LongWordsAreUnknown) {
  auto m = make_wordpiece(3);
  EXPECT_EQ(ids(m, "abc"), (std::vector<std::int32_t>{7}));
  EXPECT_EQ(ids(m, "abcb"), (std::vector<std::int32_t>{0}));
}

TEST(WordPiece, UnknownTokenMustExist) {
  Vocab v;
  v.add("a", 0, "");
  try {
    WordPiece(std::move(v), {}, "tok.json: model: ");
    FAIL();
  } catch (const taskscout::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tok.json: model: the unknown token \"[UNK]\" is not in"), std::string::npos)
        << e.what();
  }
}
