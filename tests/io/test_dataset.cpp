#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/io/dataset.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::TempDir;
using taskscout::testing::write_text;

namespace {

Dataset load(const TempDir& dir, const std::string& text, const DatasetOptions& options = {},
             const std::string& name = "d.csv") {
  write_text(dir / name, text);
  return load_dataset(dir / name, options);
}

template <class E = InputError>
std::string error_of(const TempDir& dir, const std::string& text, const DatasetOptions& options = {}) {
  write_text(dir / "d.csv", text);
  try {
    load_dataset(dir / "d.csv", options);
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

}  // namespace

TEST(Dataset, StringLabelsAreOrderedByteWise) {
  TempDir dir;
  Dataset d = load(dir, "text,label\na,positive\nb,negative\nc,Neutral\nd,positive\n\xC3\xA9,\xC3\xA9t\xC3\xA9\n");
  EXPECT_EQ(d.kind, LabelKind::Classification);
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"Neutral", "negative", "positive", "\xC3\xA9t\xC3\xA9"}));
  EXPECT_EQ(d.label_ids, (std::vector<std::int64_t>{2, 1, 0, 2, 3}));
  EXPECT_EQ(d.texts, (std::vector<std::string>{"a", "b", "c", "d", "\xC3\xA9"}));
  EXPECT_TRUE(d.text_pairs.empty());
  EXPECT_EQ(d.size(), 5u);
}

TEST(Dataset, IntegerLabelsAreOrderedNumerically) {
  TempDir dir;
  Dataset d = load(dir, "text,label\na,10\nb,2\nc,-1\nd,2\ne,+3\n");
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"-1", "2", "+3", "10"}));
  EXPECT_EQ(d.label_ids, (std::vector<std::int64_t>{3, 1, 0, 1, 2}));
}

TEST(Dataset, MixedLabelsFallBackToStringOrder) {
  TempDir dir;
  Dataset d = load(dir, "text,label\na,10\nb,2\nc,x\n");
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"10", "2", "x"}));
}

TEST(Dataset, IdsDoNotDependOnRowOrder) {
  TempDir dir;
  Dataset a = load(dir, "text,label\na,cat\nb,dog\nc,bird\n", {}, "a.csv");
  Dataset b = load(dir, "text,label\nc,bird\nb,dog\na,cat\n", {}, "b.csv");
  EXPECT_EQ(a.label_names, b.label_names);
  EXPECT_EQ(a.label_ids, (std::vector<std::int64_t>{1, 2, 0}));
  EXPECT_EQ(b.label_ids, (std::vector<std::int64_t>{0, 2, 1}));
}

TEST(Dataset, LabelsAreTrimmed) {
  TempDir dir;
  Dataset d = load(dir, "text,label\na, pos\nb,pos \nc,\"\tneg\"\n");
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"neg", "pos"}));
}

TEST(Dataset, FixedLabelNamesKeepTheirOrder) {
  TempDir dir;
  DatasetOptions o;
  o.label_names = {"positive", "negative", "unused"};
  Dataset d = load(dir, "text,label\na,negative\nb,positive\n", o);
  EXPECT_EQ(d.label_names, o.label_names);
  EXPECT_EQ(d.label_ids, (std::vector<std::int64_t>{1, 0}));
}

TEST(Dataset, UnknownLabelNamesLineLabelAndKnownLabels) {
  TempDir dir;
  DatasetOptions o;
  o.label_names = {"negative", "positive"};
  const auto msg = error_of(dir, "text,label\na,negative\n\"multi\nline\",positive\nc,neutral\n", o);
  EXPECT_NE(msg.find("d.csv:5:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"neutral\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"negative\", \"positive\""), std::string::npos) << msg;
}

TEST(Dataset, EmptyLabelIsAnErrorEmptyTextIsNot) {
  TempDir dir;
  Dataset d = load(dir, "text,label\n,1\n\"\",0\n");
  EXPECT_EQ(d.texts, (std::vector<std::string>{"", ""}));
  const auto msg = error_of(dir, "text,label\na,1\nb,  \n");
  EXPECT_NE(msg.find("d.csv:3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
}

TEST(Dataset, Regression) {
  TempDir dir;
  DatasetOptions o;
  o.kind = LabelKind::Regression;
  Dataset d = load(dir, "text,label\na,1.5\nb,-2\nc,+3e2\nd, 0.25 \n", o);
  EXPECT_EQ(d.kind, LabelKind::Regression);
  EXPECT_EQ(d.values, (std::vector<double>{1.5, -2, 300, 0.25}));
  EXPECT_TRUE(d.label_ids.empty());
  EXPECT_TRUE(d.label_names.empty());
  for (const char* bad : {"abc", "nan", "inf", "-infinity", "1.5x", "1e999", "0x10"}) {
    const auto msg = error_of(dir, std::string("text,label\na,1\nb,") + bad + "\n", o);
    EXPECT_NE(msg.find("d.csv:3:"), std::string::npos) << bad << ": " << msg;
    EXPECT_NE(msg.find("finite number"), std::string::npos) << msg;
  }
  o.label_names = {"a"};
  error_of<UsageError>(dir, "text,label\na,1\n", o);
}

TEST(Dataset, ColumnsPairsAndUnlabelled) {
  TempDir dir;
  DatasetOptions o;
  o.text_column = "premise";
  o.text_pair_column = "hypothesis";
  o.label_column = "gold";
  Dataset d = load(dir,
                   "{\"premise\": \"p1\", \"hypothesis\": \"h1\", \"gold\": 1}\n"
                   "{\"premise\": \"p2\", \"hypothesis\": \"h2\", \"gold\": 0}\n",
                   o, "pairs.jsonl");
  EXPECT_EQ(d.texts, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(d.text_pairs, (std::vector<std::string>{"h1", "h2"}));
  EXPECT_EQ(d.label_ids, (std::vector<std::int64_t>{1, 0}));

  DatasetOptions unlabelled;
  unlabelled.label_column = "";
  Dataset u = load(dir, "text\nonly\ntexts\n", unlabelled);
  EXPECT_EQ(u.texts.size(), 2u);
  EXPECT_TRUE(u.label_ids.empty());
}

TEST(Dataset, MissingColumnListsAvailableColumns) {
  TempDir dir;
  const auto msg = error_of(dir, "sentence,label\na,1\n");
  EXPECT_NE(msg.find("\"text\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"sentence\", \"label\""), std::string::npos) << msg;
}

TEST(Dataset, NoRowsIsAnError) {
  TempDir dir;
  const auto msg = error_of(dir, "text,label\n");
  EXPECT_NE(msg.find("no rows"), std::string::npos) << msg;
}
