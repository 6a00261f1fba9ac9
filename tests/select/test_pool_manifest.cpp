// The pool manifest of `register --pool`: task folders and files, paths relative to the
// manifest, each row's options over the defaults, and bad rows kept with their reason (so
// the others still run) while a file that is no manifest is refused.
#include <gtest/gtest.h>

#include <filesystem>

#include "taskscout/core/error.hpp"
#include "taskscout/select/pool_registration.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_text;

class PoolManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(tmp / "pools" / "tasks" / "a" / "train.csv", "text,label\nx,1\n");
    write_text(tmp / "pools" / "tasks" / "a" / "dev.csv", "text,label\nx,1\n");
    write_text(tmp / "pools" / "tasks" / "b" / "train.jsonl", "{\"text\": \"x\", \"label\": 1}\n");
    write_text(tmp / "pools" / "tasks" / "empty" / "README", "no data here\n");
    write_text(tmp / "pools" / "c.tsv", "text\tlabel\nx\t1\n");
    write_text(tmp / "pools" / "c_dev.csv", "text,label\nx,1\n");
    write_text(tmp / "pools" / "notes.txt", "not data\n");
  }
  PoolManifest read(const std::string& text, const std::string& file = "pool.csv") {
    write_text(tmp / "pools" / file, text);
    return read_pool_manifest(tmp / "pools" / file);
  }
  TempDir tmp;
};

TEST_F(PoolManifestTest, ReadsTaskFoldersAndFilesRelativeToTheManifest) {
  const PoolManifest m = read(
      "name,dataset,method,dev,options\n"
      "a,tasks/a,adapter,,epochs=2; learning_rate=1e-3\n"
      "b,tasks/b,lora,,\n"
      "c,c.tsv,full,c_dev.csv,seed=7;batch_size=4;max_length=32;max_train_examples=10\n");
  ASSERT_EQ(m.sources.size(), 3u);
  for (const auto& s : m.sources) EXPECT_EQ(s.problem, "") << s.name;
  const fs::path pools = fs::absolute(tmp / "pools");
  EXPECT_EQ(m.sources[0].dataset, pools / "tasks" / "a" / "train.csv");
  EXPECT_EQ(m.sources[0].dev, pools / "tasks" / "a" / "dev.csv");  // the folder's dev file
  EXPECT_EQ(m.sources[1].dataset, pools / "tasks" / "b" / "train.jsonl");
  EXPECT_EQ(m.sources[1].dev, fs::path());  // held out of the source
  EXPECT_EQ(m.sources[2].dataset, pools / "c.tsv");
  EXPECT_EQ(m.sources[2].dev, pools / "c_dev.csv");
  EXPECT_EQ(m.sources[2].line, 4);

  // A row changes only what it names; the rest are the command's defaults.
  SourceRegistrationOptions defaults;
  defaults.fine_tune.epochs = 5;
  defaults.fine_tune.learning_rate = 0.5;
  defaults.max_texts = 77;
  auto a = pool_source_options(defaults, m.sources[0], "");
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.fine_tune.method, FineTuneMethod::Adapter);
  EXPECT_EQ(a.fine_tune.epochs, 2);
  EXPECT_DOUBLE_EQ(a.fine_tune.learning_rate, 1e-3);
  EXPECT_EQ(a.max_texts, 77u);
  auto b = pool_source_options(defaults, m.sources[1], "");
  EXPECT_EQ(b.fine_tune.method, FineTuneMethod::Lora);
  EXPECT_EQ(b.fine_tune.epochs, 5);
  auto c = pool_source_options(defaults, m.sources[2], "");
  EXPECT_EQ(c.fine_tune.method, FineTuneMethod::Full);
  EXPECT_EQ(c.fine_tune.seed, 7u);
  EXPECT_EQ(c.esm.seed, 7u);
  EXPECT_EQ(c.fine_tune.batch_size, 4u);
  EXPECT_EQ(c.fine_tune.max_length, 32u);
  EXPECT_EQ(c.fine_tune.max_train_examples, 10u);
}

TEST_F(PoolManifestTest, KeepsBadRowsWithTheirReasonNamingFileAndLine) {
  const PoolManifest m = read(
      "name,dataset,method,options\n"
      "ok,tasks/a,lora,\n"
      "missing,tasks/nowhere,lora,\n"
      "no_train,tasks/empty,lora,\n"
      "not_data,notes.txt,lora,\n"
      "bad_method,tasks/a,fusion,\n"
      "bad_key,tasks/a,lora,epochs=1;dropout=0.2\n"
      "bad_value,tasks/a,lora,epochs=two\n"
      "no_equals,tasks/a,lora,epochs\n"
      "ok,tasks/b,lora,\n"
      "123,tasks/a,lora,\n"
      "-dash,tasks/a,lora,\n");
  ASSERT_EQ(m.sources.size(), 11u);
  auto problem = [&](std::size_t i) { return m.sources.at(i).problem; };
  EXPECT_EQ(problem(0), "");
  const std::vector<std::pair<std::size_t, std::string>> expected{
      {1, "does not exist"},
      {2, "holds no train.csv"},
      {3, "notes.txt"},
      {4, "unknown method \"fusion\"; choose full"},
      {5, "unknown option \"dropout\"; a row's options are"},
      {6, "epochs=two is not a number"},
      {7, "is not key=value"},
      {8, "also on line 2"},
      {9, "123"},
      {10, "-dash"}};
  for (const auto& [i, words] : expected) {
    EXPECT_NE(problem(i).find(words), std::string::npos) << i << ": " << problem(i);
    // Each names the manifest, the row's line and the source.
    const std::string where = "pool.csv:" + std::to_string(i + 2) + ": source \"" + m.sources[i].name + "\": ";
    EXPECT_NE(problem(i).find(where), std::string::npos) << problem(i);
  }
}

TEST_F(PoolManifestTest, RefusesAFileThatIsNoManifest) {
  EXPECT_THROW(read("name,data,method\na,tasks/a,lora\n"), InputError);  // no dataset column
  EXPECT_THROW(read("name,dataset,method\n"), InputError);               // no rows
  EXPECT_THROW(read_pool_manifest(tmp / "nowhere.csv"), IoError);
  try {
    read("name,dataset\na,tasks/a\n");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("method"), std::string::npos) << e.what();
  }
  // JSON Lines too.
  const PoolManifest m = read(R"({"name": "a", "dataset": "tasks/a", "method": "full"})"
                              "\n",
                              "pool.jsonl");
  ASSERT_EQ(m.sources.size(), 1u);
  EXPECT_EQ(m.sources[0].problem, "");
}

}  // namespace
}  // namespace taskscout
