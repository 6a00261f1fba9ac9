#pragma once
// Pre-tokenizers split normalized text into words; the model then tokenizes each word.
// A word is a half-open range of code points of the normalized text.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace taskscout::text {

struct Span {
  std::uint32_t begin = 0, end = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces each span of `words` (ranges of `text`) by its parts.
  virtual void split(const std::u32string& text, std::vector<Span>& words) const = 0;
};

// HF BertPreTokenizer: whitespace (White_Space, \t \n \r) separates words and is dropped;
// every punctuation char (ASCII 33–47, 58–64, 91–96, 123–126, or category P* as the
// unicode_categories crate has it) becomes a word of its own.
class BertPreTokenizer : public PreTokenizer {
 public:
  void split(const std::u32string& text, std::vector<Span>& words) const override;
};

// HF WhitespaceSplit: whitespace separates words and is dropped.
class WhitespaceSplit : public PreTokenizer {
 public:
  void split(const std::u32string& text, std::vector<Span>& words) const override;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps)
      : steps_(std::move(steps)) {}
  void split(const std::u32string& text, std::vector<Span>& words) const override;

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

bool is_bert_punctuation(char32_t c);

}  // namespace taskscout::text
