// tokenizer.json (text/tokenizer.hpp): the Hugging Face tokenizers format — normalizers,
// pre-tokenizers, WordPiece, BPE and Unigram models, post-processors, added tokens. A
// tokenizer that loads must then encode text (single texts and pairs, with truncation).
#include "exercise_tokenizer.hpp"
#include "fuzz_support.hpp"
#include "taskscout/core/error.hpp"

using namespace taskscout;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  try {
    text::Tokenizer tokenizer = text::Tokenizer::from_json(json, "tokenizer.json");
    fuzz::exercise(tokenizer);
  } catch (const Error&) {
  }
  return 0;
}
