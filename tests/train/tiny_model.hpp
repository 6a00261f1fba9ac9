#pragma once
// Tiny models and tasks for the training tests: a BERT or DistilBERT of 2 layers and
// hidden size 16 over a word-level vocabulary, with seeded random weights, written as a
// model folder with vocab.txt; and a synthetic sentiment task it can learn in seconds.
#include <ATen/ATen.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "taskscout/model/config.hpp"
#include "taskscout/model/model_writer.hpp"
#include "taskscout/model/parameter_names.hpp"
#include "test_support.hpp"

namespace taskscout::testing {

inline const std::vector<std::string>& tiny_words() {
  static const std::vector<std::string> words{"good", "great", "fine", "bad",  "awful", "poor", "the",   "movie",
                                              "film", "was",   "is",   "very", "plot",  "cast", "story", "and"};
  return words;
}

inline EncoderConfig tiny_config(Architecture a = Architecture::Bert) {
  EncoderConfig c;
  c.architecture = a;
  c.model_type = a == Architecture::DistilBert ? "distilbert" : "bert";
  c.vocab_size = 5 + static_cast<std::int64_t>(tiny_words().size());
  c.hidden_size = 16;
  c.num_layers = 2;
  c.num_heads = 2;
  c.intermediate_size = 32;
  c.max_position_embeddings = 32;
  c.type_vocab_size = a == Architecture::DistilBert ? 0 : 2;
  c.pad_token_id = 0;
  return c;
}

// Random parameters as BERT initializes them: N(0, 0.02²) weights, unit norms, zero biases.
inline ParameterMap tiny_parameters(const EncoderConfig& c, std::uint64_t seed, at::ScalarType dtype = at::kFloat) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  ParameterMap p;
  for (const ParameterSpec& s : parameter_specs(c)) {
    const bool norm = s.name.find("LayerNorm") != std::string::npos || s.name.find("layer_norm") != std::string::npos;
    const bool bias = s.name.size() > 5 && s.name.compare(s.name.size() - 5, 5, ".bias") == 0;
    if (norm && !bias)
      p[s.name] = at::ones(s.shape, dtype);
    else if (bias)
      p[s.name] = at::zeros(s.shape, dtype);
    else
      p[s.name] = at::normal(0.0, 0.2, s.shape, generator).to(dtype);  // larger than BERT's: a tiny model learns faster
  }
  return p;
}

// A base model folder (config.json, model.safetensors, vocab.txt) at `folder`.
inline std::filesystem::path write_tiny_base(const std::filesystem::path& folder, Architecture a = Architecture::Bert,
                                             std::uint64_t seed = 1) {
  const EncoderConfig c = tiny_config(a);
  std::filesystem::create_directories(folder.parent_path());
  const std::filesystem::path vocab_dir = folder.parent_path() / (folder.filename().string() + "-vocab");
  std::filesystem::create_directories(vocab_dir);
  std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  for (const std::string& w : tiny_words()) vocab += w + "\n";
  write_text(vocab_dir / "vocab.txt", vocab);
  write_model_folder(folder, {c, tiny_parameters(c, seed), {}, vocab_dir});
  return folder;
}

// Sentiment by word: positive when the text has more of good/great/fine than of
// bad/awful/poor (ties are avoided). Filler words make the texts differ in length.
inline std::string tiny_task_csv(std::size_t rows, std::uint64_t seed, bool regression = false) {
  std::mt19937_64 rng(seed);
  const std::vector<std::string> positive{"good", "great", "fine"}, negative{"bad", "awful", "poor"},
      filler{"the", "movie", "film", "was", "is", "very", "plot", "cast", "story", "and"};
  std::string csv = "text,label\n";
  for (std::size_t r = 0; r < rows; ++r) {
    const bool label = rng() % 2 == 1;
    const std::size_t strong = 1 + rng() % 2, weak = rng() % strong;
    std::vector<std::string> words;
    for (std::size_t k = 0; k < strong; ++k) words.push_back((label ? positive : negative)[rng() % 3]);
    for (std::size_t k = 0; k < weak; ++k) words.push_back((label ? negative : positive)[rng() % 3]);
    for (std::size_t k = 0, n = 1 + rng() % 4; k < n; ++k) words.push_back(filler[rng() % filler.size()]);
    std::shuffle(words.begin(), words.end(), rng);
    std::string text;
    for (const std::string& w : words) text += (text.empty() ? "" : " ") + w;
    const double score = static_cast<double>(strong) - static_cast<double>(weak);
    csv += text + "," + (regression ? std::to_string(label ? score : -score) : (label ? "pos" : "neg")) + "\n";
  }
  return csv;
}

}  // namespace taskscout::testing
