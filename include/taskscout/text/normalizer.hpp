#pragma once
// Normalizers: text → text, before splitting into words. Each output code point keeps the
// index of the input code point it came from, so token offsets point into the raw text.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "taskscout/text/pattern.hpp"
#include "taskscout/text/unicode.hpp"

namespace taskscout::text {

struct NormalizedText {
  std::u32string chars;
  std::vector<std::uint32_t> origin;  // per char: the index of its source code point

  static NormalizedText from(std::u32string chars);
};

// Replaces `text` by `changes` (one per output char), each output char taking the origin
// HF's NormalizedString::transform gives it (see CharChange).
void apply_changes(NormalizedText& text, std::span<const CharChange> changes);

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormalizedText& text) const = 0;
};

// The Hugging Face BertNormalizer (tokenizers crate, normalizers/bert.rs), in its order:
//   clean_text            drop U+0000, U+FFFD and control/format/private-use characters
//                         (not \t \n \r); map every White_Space character to ' '
//   handle_chinese_chars  put spaces around CJK ideographs (the crate's 8 ranges)
//   strip_accents         NFD, then drop non-spacing marks (Mn); unset = follow lowercase
//   lowercase             char::to_lowercase
struct BertNormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  std::optional<bool> strip_accents;
  bool lowercase = true;
};

class BertNormalizer : public Normalizer {
 public:
  explicit BertNormalizer(BertNormalizerOptions options = {}) : options_(options) {}
  void normalize(NormalizedText& text) const override;
  const BertNormalizerOptions& options() const { return options_; }

 private:
  BertNormalizerOptions options_;
};

bool is_chinese_char(char32_t c);  // the CJK ranges BertNormalizer spaces out

// The single steps, for tokenizer.json "Lowercase", "NFD", "NFC", "NFKD", "NFKC",
// "StripAccents", "Sequence".
class LowercaseNormalizer : public Normalizer {
 public:
  void normalize(NormalizedText& text) const override;
};
class UnicodeNormalizer : public Normalizer {  // one normalization form (Unicode 9.0)
 public:
  explicit UnicodeNormalizer(NormalForm form) : form_(form) {}
  void normalize(NormalizedText& text) const override;
  NormalForm form() const { return form_; }

 private:
  NormalForm form_;
};
class NfdNormalizer : public UnicodeNormalizer {
 public:
  NfdNormalizer() : UnicodeNormalizer(NormalForm::NFD) {}
};
// HF StripAccents: drops every combining mark, Mn, Mc and Me (is_combining_mark), unlike
// BertNormalizer's strip_accents (Mn only); expects NFD/NFKD input to strip accents.
class StripAccentsNormalizer : public Normalizer {
 public:
  void normalize(NormalizedText& text) const override;
};
// HF Replace: every leftmost non-overlapping match of `pattern` becomes `content`; the new
// chars take the origin of the match's last char.
class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(Pattern pattern, std::u32string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(NormalizedText& text) const override;

 private:
  Pattern pattern_;
  std::u32string content_;
};

// HF Prepend: `prefix` before a non-empty text (its chars take the first char's origin).
class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::u32string prefix) : prefix_(std::move(prefix)) {}
  void normalize(NormalizedText& text) const override;

 private:
  std::u32string prefix_;
};

// HF Strip: drops leading (left) and/or trailing (right) White_Space.
class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(NormalizedText& text) const override;

 private:
  bool left_, right_;
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void normalize(NormalizedText& text) const override;

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace taskscout::text
