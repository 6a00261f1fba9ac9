// A BERT folder without tokenizer.json: vocab.txt and, optionally, tokenizer_config.json
// (do_lower_case, strip_accents, special tokens), read by Tokenizer::from_folder. The input
// is vocab.txt alone, or, when it holds a NUL byte, tokenizer_config.json before the first
// NUL and vocab.txt after it. A tokenizer that loads must then encode text.
#include <cstring>

#include "exercise_tokenizer.hpp"
#include "fuzz_support.hpp"
#include "taskscout/core/error.hpp"

using namespace taskscout;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto* nul = static_cast<const std::uint8_t*>(std::memchr(data, 0, size));
  const std::filesystem::path folder = fuzz::scratch_dir() / "bert";
  std::filesystem::create_directories(folder);
  std::filesystem::remove(folder / "tokenizer_config.json");
  if (nul) {
    fuzz::scratch_file("bert/tokenizer_config.json", data, static_cast<std::size_t>(nul - data));
    fuzz::scratch_file("bert/vocab.txt", nul + 1, size - static_cast<std::size_t>(nul - data) - 1);
  } else {
    fuzz::scratch_file("bert/vocab.txt", data, size);
  }
  try {
    text::Tokenizer tokenizer = text::Tokenizer::from_folder(folder);
    fuzz::exercise(tokenizer);
  } catch (const Error&) {
  }
  return 0;
}
