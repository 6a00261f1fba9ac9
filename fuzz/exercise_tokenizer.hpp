#pragma once
// What the tokenizer harnesses do with a tokenizer that loads: encode single texts, a pair,
// and a truncated pair.
#include <string_view>

#include "taskscout/text/tokenizer.hpp"

namespace taskscout::fuzz {

inline void exercise(text::Tokenizer& tokenizer) {
  for (std::string_view t : {"Hello, world! It's 2026.", "naïve café — 東京 🙂 \xce\x91\xcc\x81", "", "   ",
                             "unaffable [MASK] [CLS] the the the"})
    (void)tokenizer.encode(t, {}, "text");
  (void)tokenizer.encode_pair("a question?", "an answer.", {}, "pair");
  text::TruncationOptions truncation;
  truncation.max_length = 5;
  tokenizer.set_truncation(truncation);
  (void)tokenizer.encode_pair("one two three four five six", "seven eight nine", {}, "pair");
}

}  // namespace taskscout::fuzz
