#pragma once
// Reading the tokenizer oracle's fixtures (tests/fixtures/text, written by
// scripts/oracles/tokenizers with npm tokenizers), for the tokenizer tests.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "taskscout/core/error.hpp"
#include "taskscout/text/tokenizer.hpp"
#include "test_support.hpp"

namespace taskscout::testing {

inline std::filesystem::path text_fixtures() { return fixtures_dir() / "text"; }

// One JSON value per non-empty line.
inline std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

// A hard-strings entry {"text": …, optional "pair": …} encoded with `t`.
inline text::Encoding encode(const text::Tokenizer& t, const nlohmann::json& h, const text::EncodeOptions& o = {}) {
  if (h.contains("pair")) return t.encode_pair(h["text"].get<std::string>(), h["pair"].get<std::string>(), o);
  return t.encode(h["text"].get<std::string>(), o);
}

// The InputError message of loading `j` as tokenizer.json (named "tok.json"), or "no error".
inline std::string load_error(const nlohmann::json& j) {
  try {
    text::Tokenizer::from_json(j.dump(), "tok.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace taskscout::testing
