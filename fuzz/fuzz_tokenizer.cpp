// tokenizer.json (text/tokenizer.hpp): the Hugging Face tokenizers format — normalizers,
// pre-tokenizers, WordPiece, BPE and Unigram models, post-processors, added tokens. A
// tokenizer that loads must then encode text (single texts and pairs, with truncation).
#include "fuzz_support.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/text/tokenizer.hpp"

using namespace taskscout;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  try {
    text::Tokenizer tokenizer = text::Tokenizer::from_json(json, "tokenizer.json");
    for (std::string_view t : {"Hello, world! It's 2026.", "naïve café — 東京 🙂 \xce\x91\xcc\x81", "", "   ",
                               "unaffable [MASK] [CLS] the the the"})
      (void)tokenizer.encode(t, {}, "text");
    (void)tokenizer.encode_pair("a question?", "an answer.", {}, "pair");
    text::TruncationOptions truncation;
    truncation.max_length = 5;
    tokenizer.set_truncation(truncation);
    (void)tokenizer.encode_pair("one two three four five six", "seven eight nine", {}, "pair");
  } catch (const Error&) {
  }
  return 0;
}
