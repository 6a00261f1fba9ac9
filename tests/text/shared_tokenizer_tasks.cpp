// Every text of every split of every shared task, tokenized by taskscout, hashed as the
// oracle (scripts/oracles/tokenizers/make_fixtures.js) hashed the official tokenizer's ids.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sha256.hpp"
#include "taskscout/io/table.hpp"
#include "taskscout/text/tokenizer.hpp"
#include "test_support.hpp"

using namespace taskscout;

namespace {

// Compares every task text against one oracle hash file (task_hashes.json for WordPiece,
// bpe_task_hashes.json for byte-level BPE, unigram_task_hashes.json for Unigram,
// spm_task_hashes.json for the sentencepiece tokenizer with the Precompiled normalizer).
void check_tasks(const char* hashes) {
  const auto fixtures = taskscout::testing::fixtures_dir() / "text";
  std::ifstream in(fixtures / hashes);
  ASSERT_TRUE(in) << "missing fixture " << hashes;
  const auto oracle = nlohmann::json::parse(in);
  const auto tok = text::Tokenizer::from_file(fixtures / oracle["tokenizer"].get<std::string>());
  const std::size_t chunk = oracle["chunk"];
  std::size_t compared = 0, identical = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [task, splits] : oracle["tasks"].items()) {
    for (const auto& [split, expect] : splits.items()) {
      const auto file = taskscout::testing::shared_dir() / "data/tasks" / task / (split + ".csv");
      const Table table = read_table(file);
      const std::size_t col = table.require_column("text");
      ASSERT_EQ(table.rows.size(), expect["texts"].get<std::size_t>()) << task << "/" << split;
      taskscout::testing::Sha256 whole;
      std::size_t tokens = 0, mismatched_chunks = 0;
      for (std::size_t c = 0; c * chunk < table.rows.size(); ++c) {
        taskscout::testing::Sha256 h;
        for (std::size_t r = c * chunk; r < std::min(table.rows.size(), (c + 1) * chunk); ++r) {
          auto e = tok.encode(table.rows[r][col], {}, file.string() + ":" + std::to_string(table.lines[r]));
          tokens += e.size();
          h.update_ids(e.ids);
          whole.update_ids(e.ids);
        }
        const std::size_t n = std::min(chunk, table.rows.size() - c * chunk);
        compared += n;
        if (h.hex() == expect["chunks"][c].get<std::string>()) {
          identical += n;
        } else {
          ++mismatched_chunks;
          ADD_FAILURE() << task << "/" << split << ": chunk " << c << " (texts " << c * chunk + 1 << ".."
                        << c * chunk + n << ", lines from " << table.lines[c * chunk]
                        << ") differs from the official tokenizer";
        }
      }
      EXPECT_EQ(tokens, expect["tokens"].get<std::size_t>()) << task << "/" << split;
      if (mismatched_chunks == 0) {
        EXPECT_EQ(whole.hex(), expect["sha256"].get<std::string>()) << task << "/" << split;
      }
    }
  }
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
  std::cerr << oracle["tokenizer"].get<std::string>() << ": " << compared << " texts in " << seconds.count()
            << " s (with reading and hashing)\n";
  std::cerr << "tokenizer agreement: " << identical << " of " << compared << " texts in identical chunks\n";
  EXPECT_GT(compared, 0u);
}

}  // namespace

TEST(SharedTokenizer, EveryTaskTextMatchesTheOfficialTokenizer) {
  TASKSCOUT_REQUIRE_SHARED();
  check_tasks("task_hashes.json");
}

TEST(SharedTokenizer, EveryTaskTextMatchesTheOfficialByteLevelBpe) {
  TASKSCOUT_REQUIRE_SHARED();
  check_tasks("bpe_task_hashes.json");
}

TEST(SharedTokenizer, EveryTaskTextMatchesTheOfficialUnigram) {
  TASKSCOUT_REQUIRE_SHARED();
  check_tasks("unigram_task_hashes.json");
}

TEST(SharedTokenizer, EveryTaskTextMatchesTheOfficialSentencepieceTokenizer) {
  TASKSCOUT_REQUIRE_SHARED();
  check_tasks("spm_task_hashes.json");
}
