#pragma once
// The "Precompiled" normalizer of sentencepiece-converted tokenizers (XLM-R, T5, ALBERT):
// sentencepiece's normalization spec, `precompiled_charsmap`, is a Darts-clone double-array
// trie over UTF-8 keys whose values are offsets into a blob of NUL-terminated replacement
// strings (for nmt_nfkc: NFKC plus whitespace and control-character rules).
//
// It is applied as the tokenizers crate applies it (spm_precompiled): the text is cut into
// extended grapheme clusters; a cluster shorter than 6 UTF-8 bytes is looked up whole, else
// (or when that finds nothing) each of its code points is. A lookup takes the SHORTEST key
// that prefixes the bytes and replaces ALL of them, so "Ａ\u0301" becomes "A": the mark is
// lost, as the crate does it (its source says as much; ids must match it, not sentencepiece).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "taskscout/text/normalizer.hpp"

namespace taskscout::text {

class PrecompiledCharsmap {
 public:
  // The raw (base64-decoded) charsmap: u32 trie byte size, the trie's u32 units (little-
  // endian), then the replacement strings. Malformed → InputError starting with `where`.
  PrecompiledCharsmap(std::string_view blob, const std::string& where);

  // The replacement of the shortest key that prefixes `bytes` (stopping at a NUL byte);
  // InputError when the trie points outside the replacement strings.
  std::optional<std::string_view> transform(std::string_view bytes) const;

 private:
  std::optional<std::uint32_t> first_value(std::string_view bytes) const;

  std::vector<std::uint32_t> units_;
  std::string normalized_;
  std::string where_;  // names the charsmap in errors
};

class PrecompiledNormalizer : public Normalizer {
 public:
  explicit PrecompiledNormalizer(PrecompiledCharsmap map) : map_(std::move(map)) {}
  void normalize(NormalizedText& text) const override;
  const PrecompiledCharsmap& charsmap() const { return map_; }

 private:
  PrecompiledCharsmap map_;
};

}  // namespace taskscout::text
