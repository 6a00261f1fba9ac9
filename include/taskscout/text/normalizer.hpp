#pragma once
// Normalizers: text → text, before splitting into words. Each output code point keeps the
// index of the input code point it came from, so token offsets point into the raw text.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace taskscout::text {

struct NormalizedText {
  std::u32string chars;
  std::vector<std::uint32_t> origin;  // per char: the index of its source code point

  static NormalizedText from(std::u32string chars);
};

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

// The single steps, for tokenizer.json "Lowercase", "NFD", "StripAccents", "Sequence".
class LowercaseNormalizer : public Normalizer {
 public:
  void normalize(NormalizedText& text) const override;
};
class NfdNormalizer : public Normalizer {
 public:
  void normalize(NormalizedText& text) const override;
};
class StripAccentsNormalizer : public Normalizer {  // drops Mn (expects NFD input)
 public:
  void normalize(NormalizedText& text) const override;
};
class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps)
      : steps_(std::move(steps)) {}
  void normalize(NormalizedText& text) const override;

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace taskscout::text
