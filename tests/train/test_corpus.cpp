// The corpus reader: plain text and tables, blank lines, CRLF and BOM, and the errors for
// invalid UTF-8, missing columns and files.
#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/train/corpus.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::TempDir;
using taskscout::testing::write_text;

namespace {

// The message of the error `f` throws, or "no error".
template <typename E, typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Corpus, PlainTextOneTextPerLineBlankLinesSkipped) {
  TempDir dir;
  write_text(dir / "a.txt",
             "\xEF\xBB\xBF"
             "first line\r\n\r\n   \nsecond, with \"quotes\"\n\tthird\n");
  write_text(dir / "b", "no newline at the end");
  const Corpus c = read_corpus({dir / "a.txt", dir / "b"});
  EXPECT_EQ(c.texts,
            (std::vector<std::string>{"first line", "second, with \"quotes\"", "\tthird", "no newline at the end"}));
  ASSERT_EQ(c.files.size(), 2u);
  EXPECT_EQ(c.files[0].texts, 3u);
  EXPECT_EQ(c.files[0].skipped, 2u);
  EXPECT_EQ(c.files[1].texts, 1u);
  std::uint64_t bytes = 0;
  for (const auto& t : c.texts) bytes += t.size();
  EXPECT_EQ(c.bytes, bytes);
}

TEST(Corpus, TablesByTheirTextColumn) {
  TempDir dir;
  write_text(dir / "d.csv", "label,text\n1,\"a, quoted\ntext\"\n0,\n2,plain\n");
  write_text(dir / "d.jsonl", "{\"body\": \"x y\", \"n\": 1}\n{\"body\": \"z\", \"n\": 2}\n");
  write_text(dir / "d.tsv", "text\tlabel\ntab\tseparated\n");
  const Corpus c = read_corpus({dir / "d.csv", dir / "d.tsv"});
  EXPECT_EQ(c.texts, (std::vector<std::string>{"a, quoted\ntext", "plain", "tab"}));
  EXPECT_EQ(c.files[0].skipped, 1u);
  CorpusOptions o;
  o.text_column = "body";
  EXPECT_EQ(read_corpus({dir / "d.jsonl"}, o).texts, (std::vector<std::string>{"x y", "z"}));
  const std::string e = error_of<InputError>([&] { read_corpus({dir / "d.csv"}, o); });
  EXPECT_NE(e.find("d.csv"), std::string::npos) << e;
  EXPECT_NE(e.find("body"), std::string::npos) << e;
}

TEST(Corpus, InvalidUtf8NamesFileLineAndColumn) {
  TempDir dir;
  write_text(dir / "bad.txt", "fine\nalso fine\ncaf\xC3 au lait\n");
  const std::string e = error_of<InputError>([&] { read_corpus({dir / "bad.txt"}); });
  EXPECT_NE(e.find("bad.txt:3:4"), std::string::npos) << e;
  EXPECT_NE(e.find("UTF-8"), std::string::npos) << e;
  write_text(dir / "bad.csv", "text\nok\n\"\xFF\"\n");
  const std::string t = error_of<InputError>([&] { read_corpus({dir / "bad.csv"}); });
  EXPECT_NE(t.find("bad.csv:3"), std::string::npos) << t;
}

TEST(Corpus, MissingFilesFoldersAndEmptyCorporaAreErrors) {
  TempDir dir;
  const std::string missing = error_of<IoError>([&] { read_corpus({dir / "nope.txt"}); });
  EXPECT_NE(missing.find("nope.txt"), std::string::npos) << missing;
  EXPECT_NE(error_of<IoError>([&] { read_corpus({dir.path()}); }).find("not a regular file"), std::string::npos);
  write_text(dir / "blank.txt", "\n  \n\n");
  EXPECT_NE(error_of<InputError>([&] { read_corpus({dir / "blank.txt"}); }).find("holds no text"), std::string::npos);
  EXPECT_THROW(read_corpus({}), UsageError);
}

TEST(Corpus, FingerprintFollowsTheTexts) {
  Corpus a, b;
  a.texts = {"ab", "c"};
  b.texts = {"a", "bc"};  // same bytes, other split: another corpus
  EXPECT_NE(a.fingerprint(), b.fingerprint());
  b.texts = {"ab", "c"};
  EXPECT_EQ(a.fingerprint(), b.fingerprint());
}
