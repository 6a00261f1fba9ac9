#pragma once
// Pre-tokenizers split normalized text into words; the model then tokenizes each word.
// A word is a half-open range of code points of the normalized text.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
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
  // The char put before every piece of text (between added tokens) that does not already
  // start with it, or 0: ByteLevel's add_prefix_space (' '). It maps to the piece's first
  // char, as HF's NormalizedString::prepend has it; an empty piece gets none.
  virtual char32_t prefix() const { return 0; }
  // Only for the piece at the start of the text (Metaspace prepend_scheme "first").
  virtual bool prefix_first_only() const { return false; }
  // The char every ' ' of a piece becomes before prefixing and splitting, or 0 (Metaspace).
  virtual char32_t space_replacement() const { return 0; }
  // True when the model must see each word's UTF-8 bytes as the byte-level alphabet.
  virtual bool byte_level() const { return false; }
};

// HF ByteLevel (GPT-2, RoBERTa): optionally a prefix space, then words as the GPT-2 regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// finds them (matched by hand over code points with Oniguruma's classes, regex_class());
// the bytes → characters mapping happens in the model (BPE with byte_level).
// Its trim_offsets only matters in the ByteLevel post-processor (TemplateProcessing::byte_level).
struct ByteLevelOptions {
  bool add_prefix_space = true;
  bool trim_offsets = true;
  bool use_regex = true;
};
class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  explicit ByteLevelPreTokenizer(ByteLevelOptions options = {}) : options_(options) {}
  void split(const std::u32string& text, std::vector<Span>& words) const override;
  char32_t prefix() const override { return options_.add_prefix_space ? U' ' : 0; }
  bool byte_level() const override { return true; }
  const ByteLevelOptions& options() const { return options_; }

 private:
  ByteLevelOptions options_;
};

// HF Metaspace (sentencepiece, XLM-R): every ' ' becomes `replacement` (▁), which is put
// before a piece not starting with it (prepend_scheme always, or first: only the piece at
// the start of the text; never), then with split each ▁ starts a new word.
struct MetaspaceOptions {
  char32_t replacement = U'\u2581';
  enum class Prepend { Always, First, Never } prepend = Prepend::Always;
  bool split = true;
};
class MetaspacePreTokenizer : public PreTokenizer {
 public:
  explicit MetaspacePreTokenizer(MetaspaceOptions options = {}) : options_(options) {}
  void split(const std::u32string& text, std::vector<Span>& words) const override;
  char32_t prefix() const override {
    return options_.prepend == MetaspaceOptions::Prepend::Never ? 0 : options_.replacement;
  }
  bool prefix_first_only() const override { return options_.prepend == MetaspaceOptions::Prepend::First; }
  char32_t space_replacement() const override { return options_.replacement; }

 private:
  MetaspaceOptions options_;
};

// The length of the GPT-2 regex match at `i` of `text` (never 0 when i < text.size()).
std::size_t gpt2_match(std::u32string_view text, std::size_t i);

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

// What a splitting pre-tokenizer does with the pieces its pattern matches (HF
// SplitDelimiterBehavior): drop them, keep them as words of their own, glue each to the
// word before or after it, or glue runs of them together (and runs of the rest).
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// HF Split: the matches of a String or Regex pattern (pattern.hpp), or with invert the text
// between them, are the delimiters handled as `behavior` says.
class Pattern;
class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(std::shared_ptr<const Pattern> pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void split(const std::u32string& text, std::vector<Span>& words) const override;

 private:
  std::shared_ptr<const Pattern> pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

// HF Punctuation: each punctuation char (is_bert_punctuation) is a delimiter.
class PunctuationPreTokenizer : public PreTokenizer {
 public:
  explicit PunctuationPreTokenizer(SplitBehavior behavior = SplitBehavior::Isolated) : behavior_(behavior) {}
  void split(const std::u32string& text, std::vector<Span>& words) const override;

 private:
  SplitBehavior behavior_;
};

// HF Digits: numeric chars (is_numeric) become words, each alone (individual_digits) or in
// runs.
class DigitsPreTokenizer : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual_digits) : individual_(individual_digits) {}
  void split(const std::u32string& text, std::vector<Span>& words) const override;

 private:
  bool individual_;
};

// HF Whitespace: the words of the regex \w+|[^\w\s]+ (runs of word chars, runs of other
// non-space chars); whitespace is dropped.
class WhitespacePreTokenizer : public PreTokenizer {
 public:
  void split(const std::u32string& text, std::vector<Span>& words) const override;
};

// HF CharDelimiterSplit: `delimiter` separates words and is dropped.
class CharDelimiterSplit : public PreTokenizer {
 public:
  explicit CharDelimiterSplit(char32_t delimiter) : delimiter_(delimiter) {}
  void split(const std::u32string& text, std::vector<Span>& words) const override;

 private:
  char32_t delimiter_;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void split(const std::u32string& text, std::vector<Span>& words) const override;
  char32_t prefix() const override;
  bool prefix_first_only() const override;
  char32_t space_replacement() const override;
  bool byte_level() const override;

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

bool is_bert_punctuation(char32_t c);

}  // namespace taskscout::text
