#pragma once
// Word-level text tasks for the end-to-end tests: texts of one sentiment word and one topic
// word among fillers, labelled by one of the two factors, and a base model folder (the small
// BERT checkpoint of tests/fixtures/model/bert) with a vocabulary of those words.
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace taskscout::testing {

inline const std::vector<std::string> kPositive{"good", "great", "fine"}, kNegative{"bad", "awful", "poor"},
    kSport{"ball", "team", "goal"}, kMusic{"song", "band", "drum"},
    kFiller{"the", "movie", "was", "is", "very", "and", "a", "it"};

inline std::string word_vocab() {
  std::string v = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  int n = 5;
  for (const auto* list : {&kPositive, &kNegative, &kSport, &kMusic, &kFiller})
    for (const std::string& w : *list) v += w + "\n", ++n;
  for (; n < 120; ++n) v += "[unused" + std::to_string(n) + "]\n";
  return v;
}

// `by_topic` picks which of the two factors the label follows.
inline std::string word_task_csv(std::size_t rows, std::uint64_t seed, bool by_topic) {
  std::mt19937_64 rng(seed);
  std::string csv = "text,label\n";
  for (std::size_t r = 0; r < rows; ++r) {
    const bool positive = rng() % 2, sport = rng() % 2;
    std::vector<std::string> words{(positive ? kPositive : kNegative)[rng() % 3], (sport ? kSport : kMusic)[rng() % 3]};
    for (std::size_t k = 0, m = 1 + rng() % 3; k < m; ++k) words.push_back(kFiller[rng() % kFiller.size()]);
    std::shuffle(words.begin(), words.end(), rng);
    std::string text;
    for (const std::string& w : words) text += (text.empty() ? "" : " ") + w;
    csv += text + "," + (by_topic ? (sport ? "sport" : "music") : (positive ? "pos" : "neg")) + "\n";
  }
  return csv;
}

// The small BERT with the word vocabulary, as a model folder at `folder`.
inline void write_word_base(const std::filesystem::path& folder) {
  std::filesystem::create_directories(folder);
  for (const char* f : {"config.json", "model.safetensors"})
    std::filesystem::copy_file(fixtures_dir() / "model" / "bert" / f, folder / f);
  write_text(folder / "vocab.txt", word_vocab());
}

}  // namespace taskscout::testing
