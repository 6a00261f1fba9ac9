#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/io/table.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::TempDir;
using taskscout::testing::write_text;

namespace {

using Rows = std::vector<std::vector<std::string>>;

Table table_from(const TempDir& dir, const std::string& name, const std::string& text) {
  write_text(dir / name, text);
  return read_table(dir / name);
}

// Reads `text` from `name` and returns the error message, failing unless an InputError
// is thrown whose message starts with "<path>:<line>:".
std::string input_error(const TempDir& dir, const std::string& name, const std::string& text, long line) {
  write_text(dir / name, text);
  const std::string path = (dir / name).string();
  try {
    read_table(dir / name);
  } catch (const InputError& e) {
    const std::string prefix = path + ":" + std::to_string(line) + ":";
    EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << "expected the prefix " << prefix << " in: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no InputError for " << name;
  return "";
}

}  // namespace

TEST(Csv, ReadsHeaderRowsAndLines) {
  TempDir dir;
  Table t = table_from(dir, "a.csv", "text,label\nhello,1\nworld,0\n");
  EXPECT_EQ(t.path, (dir / "a.csv").string());
  EXPECT_EQ(t.columns, (std::vector<std::string>{"text", "label"}));
  EXPECT_EQ(t.rows, (Rows{{"hello", "1"}, {"world", "0"}}));
  EXPECT_EQ(t.lines, (std::vector<long>{2, 3}));
}

TEST(Csv, QuotedFieldsWithCommasQuotesAndNewlines) {
  TempDir dir;
  Table t = table_from(dir, "q.csv",
                       "text,label\n"
                       "\"a, b\",x\n"
                       "\"she said \"\"hi\"\"\",y\n"
                       "\"two\nlines\",z\n"
                       "\"\",empty\n"
                       "after,w\n");
  EXPECT_EQ(t.rows,
            (Rows{{"a, b", "x"}, {"she said \"hi\"", "y"}, {"two\nlines", "z"}, {"", "empty"}, {"after", "w"}}));
  EXPECT_EQ(t.lines, (std::vector<long>{2, 3, 4, 6, 7}));  // the row after a 2-line field starts on line 6
}

TEST(Csv, CrlfLineEndsIncludingInsideQuotes) {
  TempDir dir;
  Table t = table_from(dir, "crlf.csv", "text,label\r\n\"x\r\ny\",1\r\nplain,2\r\n");
  EXPECT_EQ(t.rows, (Rows{{"x\r\ny", "1"}, {"plain", "2"}}));
  EXPECT_EQ(t.lines, (std::vector<long>{2, 4}));
}

TEST(Csv, LastLineWithoutNewline) {
  TempDir dir;
  EXPECT_EQ(table_from(dir, "a.csv", "a,b\n1,2").rows, (Rows{{"1", "2"}}));
  EXPECT_EQ(table_from(dir, "b.csv", "a,b\n1,\"2\"").rows, (Rows{{"1", "2"}}));
  EXPECT_EQ(table_from(dir, "c.csv", "a,b\r\n1,2\r").rows, (Rows{{"1", "2"}}));
}

TEST(Csv, EmptyFields) {
  TempDir dir;
  Table t = table_from(dir, "e.csv", "a,b,c\n,,\n1,,\n,,3");
  EXPECT_EQ(t.rows, (Rows{{"", "", ""}, {"1", "", ""}, {"", "", "3"}}));
}

TEST(Csv, BomIsSkippedAndUtf8Kept) {
  TempDir dir;
  Table t = table_from(dir, "bom.csv", "\xEF\xBB\xBFtext,label\ncaf\xC3\xA9,1\n");
  EXPECT_EQ(t.columns[0], "text");
  EXPECT_EQ(t.rows[0][0], "caf\xC3\xA9");
}

TEST(Csv, BlankLinesAreSkipped) {
  TempDir dir;
  Table t = table_from(dir, "blank.csv", "\na,b\n\n1,2\n\r\n3,4\n\n");
  EXPECT_EQ(t.rows, (Rows{{"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(t.lines, (std::vector<long>{4, 6}));
}

TEST(Csv, QuoteInsideUnquotedFieldIsLiteral) {
  TempDir dir;
  EXPECT_EQ(table_from(dir, "a.csv", "a,b\na 5\" screen,1\n").rows, (Rows{{"a 5\" screen", "1"}}));
}

TEST(Csv, HeaderOnlyGivesNoRows) {
  TempDir dir;
  Table t = table_from(dir, "h.csv", "text,label\n");
  EXPECT_EQ(t.columns.size(), 2u);
  EXPECT_TRUE(t.rows.empty());
}

TEST(Csv, WrongFieldCountNamesLineAndColumns) {
  TempDir dir;
  const auto msg = input_error(dir, "bad.csv", "text,label\nok,1\nnot, ok,1\n", 3);
  EXPECT_NE(msg.find("3 fields"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"text\", \"label\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("double quotes"), std::string::npos) << msg;
  input_error(dir, "few.csv", "a,b,c\n1,2\n", 2);
}

TEST(Csv, UnterminatedQuoteNamesTheLineWhereItOpened) {
  TempDir dir;
  const auto msg = input_error(dir, "open.csv", "text,label\nfine,1\n\"never closed,1\nmore,2\nrows,3\n", 3);
  EXPECT_NE(msg.find("closing quote is missing"), std::string::npos) << msg;
}

TEST(Csv, TextAfterClosingQuote) {
  TempDir dir;
  const auto msg = input_error(dir, "after.csv", "text,label\n\"quoted\" tail,1\n", 2);
  EXPECT_NE(msg.find("after the closing quote"), std::string::npos) << msg;
  // Reported on the line where the quote closes, after an embedded newline.
  input_error(dir, "after2.csv", "text,label\n\"a\nb\"x,1\n", 3);
}

TEST(Csv, InvalidUtf8NamesLineAndColumn) {
  TempDir dir;
  // Column counts characters: "é" is one, so the bad byte is column 4.
  const auto msg = input_error(dir, "bad8.csv",
                               "text,label\n\xC3\xA9"
                               "ab\xFF,1\n",
                               2);
  EXPECT_NE(msg.find("bad8.csv:2:4:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("UTF-8"), std::string::npos) << msg;
  const auto lat = input_error(dir, "latin1.csv", "text,label\nok,1\ncaf\xE9,2\n", 3);
  EXPECT_NE(lat.find("latin1.csv:3:4:"), std::string::npos) << lat;
}

TEST(Csv, DuplicateHeaderColumns) {
  TempDir dir;
  const auto msg = input_error(dir, "dup.csv", "text,label,text\n1,2,3\n", 1);
  EXPECT_NE(msg.find("appears twice"), std::string::npos) << msg;
}

TEST(Csv, EmptyFileIsAnInputError) {
  TempDir dir;
  write_text(dir / "empty.csv", "");
  EXPECT_THROW(read_table(dir / "empty.csv"), InputError);
  write_text(dir / "blank.csv", "\n\r\n\n");
  try {
    read_table(dir / "blank.csv");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("header"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("blank.csv"), std::string::npos) << e.what();
  }
}

TEST(Csv, MissingFileIsAnIoErrorNamingThePath) {
  TempDir dir;
  try {
    read_table(dir / "nope.csv");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "nope.csv").string()), std::string::npos) << e.what();
  }
}

TEST(Csv, LargeFileParsesEveryRow) {
  TempDir dir;
  std::string text = "text,label\n";
  for (int i = 0; i < 50000; ++i) text += "\"row, number " + std::to_string(i) + "\"," + std::to_string(i % 3) + "\n";
  Table t = table_from(dir, "big.csv", text);
  ASSERT_EQ(t.rows.size(), 50000u);
  EXPECT_EQ(t.rows[49999][0], "row, number 49999");
  EXPECT_EQ(t.lines[49999], 50001);
}

TEST(Table, ColumnLookup) {
  TempDir dir;
  Table t = table_from(dir, "a.csv", "text,label\nx,1\n");
  EXPECT_EQ(t.column_index("label"), 1u);
  EXPECT_FALSE(t.column_index("sentence").has_value());
  EXPECT_EQ(t.require_column("text"), 0u);
  try {
    t.require_column("sentence");
    FAIL();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("a.csv"), std::string::npos) << msg;
    EXPECT_NE(msg.find("\"sentence\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("\"text\", \"label\""), std::string::npos) << msg;
  }
}

TEST(Table, FormatByExtension) {
  EXPECT_EQ(table_format("x.csv"), TableFormat::Csv);
  EXPECT_EQ(table_format("x.CSV"), TableFormat::Csv);
  EXPECT_EQ(table_format("x.tsv"), TableFormat::Tsv);
  EXPECT_EQ(table_format("x.jsonl"), TableFormat::Jsonl);
  EXPECT_EQ(table_format("x.ndjson"), TableFormat::Jsonl);
  EXPECT_THROW(table_format("x.xlsx"), UsageError);
  EXPECT_THROW(table_format("noext"), UsageError);
}

TEST(TableTsv, TabsSeparateAndQuotesWork) {
  TempDir dir;
  Table t = table_from(dir, "a.tsv", "text\tlabel\na, b\t1\n\"tab\there\"\t2\n\t3\n");
  EXPECT_EQ(t.rows, (Rows{{"a, b", "1"}, {"tab\there", "2"}, {"", "3"}}));
  const auto msg = input_error(dir, "bad.tsv", "text\tlabel\na\tb\tc\n", 2);
  EXPECT_NE(msg.find("tab"), std::string::npos) << msg;
}

TEST(TableJsonl, ObjectsBecomeRows) {
  TempDir dir;
  Table t = table_from(dir, "a.jsonl",
                       "{\"text\": \"hi \\\"you\\\"\", \"label\": 1, \"ok\": true}\n"
                       "\n"
                       "{\"ok\": false, \"label\": 2.5, \"text\": \"caf\\u00e9\", \"extra\": null}\r\n"
                       "  \n"
                       "{\"text\": \"\", \"label\": -3, \"ok\": true}");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"text", "label", "ok"}));  // file order, not sorted
  EXPECT_EQ(t.rows, (Rows{{"hi \"you\"", "1", "true"}, {"caf\xC3\xA9", "2.5", "false"}, {"", "-3", "true"}}));
  EXPECT_EQ(t.lines, (std::vector<long>{1, 3, 5}));
  EXPECT_EQ(table_from(dir, "b.ndjson", "{\"a\": \"x\"}\n").rows, (Rows{{"x"}}));
}

TEST(TableJsonl, MissingKeyNamesLineAndKey) {
  TempDir dir;
  const auto msg = input_error(dir, "m.jsonl", "{\"text\": \"a\", \"label\": 1}\n\n{\"text\": \"b\"}\n", 3);
  EXPECT_NE(msg.find("\"label\""), std::string::npos) << msg;
}

TEST(TableJsonl, InvalidJsonNamesLine) {
  TempDir dir;
  const auto msg = input_error(dir, "bad.jsonl", "{\"text\": \"a\"}\n{\"text\": tru}\n", 2);
  EXPECT_NE(msg.find("invalid JSON"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("json.exception"), std::string::npos) << msg;
  input_error(dir, "trunc.jsonl", "{\"text\": \"a\"}\n{\"text\": \"b\"\n", 2);
  input_error(dir, "two.jsonl", "{\"text\": \"a\"} {\"text\": \"b\"}\n", 1);
}

TEST(TableJsonl, NonObjectsAndNestedValuesAreErrors) {
  TempDir dir;
  auto msg = input_error(dir, "arr.jsonl", "{\"a\": 1}\n[1, 2]\n", 2);
  EXPECT_NE(msg.find("object"), std::string::npos) << msg;
  msg = input_error(dir, "nested.jsonl", "{\"a\": 1}\n{\"a\": {\"b\": 2}}\n", 2);
  EXPECT_NE(msg.find("\"a\" is an object"), std::string::npos) << msg;
  msg = input_error(dir, "null.jsonl", "{\"a\": null}\n", 1);
  EXPECT_NE(msg.find("null"), std::string::npos) << msg;
}

TEST(TableJsonl, InvalidUtf8AndEmptyFile) {
  TempDir dir;
  input_error(dir, "bad8.jsonl", "{\"a\": \"x\"}\n{\"a\": \"\xC0\xAF\"}\n", 2);
  write_text(dir / "empty.jsonl", "\n\n");
  EXPECT_THROW(read_table(dir / "empty.jsonl"), InputError);
}

// Found by fuzz_dataset: a number too large for a double ("1e426") made nlohmann's parser
// throw out_of_range, not parse_error, which escaped as an internal error (exit 3).
TEST(Jsonl, ANumberTooLargeForADoubleIsOneInputErrorWithItsLine) {
  TempDir dir;
  const std::string what = input_error(dir, "t.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"text\": 1e426}\n", 2);
  EXPECT_NE(what.find("invalid JSON"), std::string::npos) << what;
  EXPECT_EQ(what.find("[json.exception"), std::string::npos) << what;
}
