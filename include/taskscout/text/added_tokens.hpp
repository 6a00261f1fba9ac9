#pragma once
// Added tokens (tokenizer.json "added_tokens"): strings such as "[CLS]" that are matched in
// the text before the model sees it and map straight to their id. Tokens with
// normalized=false are found in the raw text, the others (in their normalized form) in the
// normalized text. The leftmost match wins, the longest among those (HF: Aho-Corasick,
// leftmost-longest); a single_word match inside a word is dropped, not retried shorter.
#include <cstdint>
#include <string>
#include <vector>

#include "taskscout/text/normalizer.hpp"
#include "taskscout/text/pre_tokenizer.hpp"

namespace taskscout::text {

struct AddedToken {
  std::string content;
  std::int32_t id = 0;
  bool single_word = false;  // only match when not inside a word
  bool lstrip = false;       // also swallow whitespace on the left
  bool rstrip = false;       // ... and on the right
  bool normalized = true;
  bool special = false;
};

struct Segment {
  Span span;
  std::int32_t id = -1;  // the added token's id, or -1 for ordinary text
};

class AddedTokens {
 public:
  void add(const AddedToken& token);
  const std::vector<AddedToken>& tokens() const { return tokens_; }  // in order added
  // Puts the normalized=true tokens through `normalizer`, as they are matched normalized.
  void normalize_patterns(const Normalizer& normalizer);
  // Splits text[span] into ordinary text and added tokens.
  void split(const std::u32string& text, Span span, bool normalized, std::vector<Segment>& out) const;

  struct Pattern {
    std::u32string chars;
    AddedToken token;
  };

 private:
  std::vector<Pattern> raw_, normal_;  // each sorted longest first
  std::vector<AddedToken> tokens_;
};

}  // namespace taskscout::text
