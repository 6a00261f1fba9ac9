#pragma once
// The Unicode operations the tokenizers need: UTF-8 to code points and back, general
// categories, canonical decomposition (NFD) and lowercasing.
//
// Versions: category() is Unicode 15.0. The Hugging Face tokenizers crate sees older data
// for some operations, and ids only match when we do the same: hf_category() is Unicode
// 8.0 (the unicode_categories crate), the normalization forms are Unicode 9.0 (the
// unicode-normalization-alignments crate), lowercase() is Rust's char::to_lowercase
// (Unicode 16.0), grapheme clusters are UAX #29 over 15.0 data (unicode-segmentation).
// scripts/gen_unicode_tables.py explains and builds the tables.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace taskscout::text {

// The code points of valid UTF-8 text; throws InputError naming the byte offset of the
// first invalid sequence (`what` names the text, e.g. "data.csv:12: text").
std::u32string decode_utf8(std::string_view text, std::string_view what = "text");
void append_utf8(std::string& out, char32_t code_point);
std::string encode_utf8(std::u32string_view code_points);

// clang-format off
enum class Category : std::uint8_t {
  Cn, Lu, Ll, Lt, Lm, Lo, Mn, Mc, Me, Nd, Nl, No, Pc, Pd, Ps, Pe, Pi, Pf, Po,
  Sm, Sc, Sk, So, Zs, Zl, Zp, Cc, Cf, Cs, Co
};
// clang-format on

Category category(char32_t c);     // Unicode 15.0; unassigned → Cn
Category hf_category(char32_t c);  // as the unicode_categories crate (Unicode 8.0) has it

inline bool is_letter(Category k) { return k >= Category::Lu && k <= Category::Lo; }
inline bool is_mark(Category k) { return k >= Category::Mn && k <= Category::Me; }
inline bool is_number(Category k) { return k >= Category::Nd && k <= Category::No; }
inline bool is_punctuation(Category k) { return k >= Category::Pc && k <= Category::Po; }
inline bool is_symbol(Category k) { return k >= Category::Sm && k <= Category::So; }
inline bool is_separator(Category k) { return k >= Category::Zs && k <= Category::Zp; }
// Control, format or private use (Cn and Cs excluded): unicode_categories' is_other.
inline bool is_other(Category k) { return k == Category::Cc || k == Category::Cf || k == Category::Co; }

// The classes of the GPT-2 regex of the ByteLevel pre-tokenizer as Oniguruma sees them:
// \p{L} and \p{N} of Unicode 16.0, \s = White_Space (probe_bytelevel.js verified all).
enum class RegexClass : std::uint8_t { Other, Letter, Number, Space };
RegexClass regex_class(char32_t c);

// General category M (Mn, Mc, Me) as the normalization crate (Unicode 9.0) has it: what
// HF's StripAccents removes (BertNormalizer's strip_accents removes only Mn, hf_category).
bool is_combining_mark(char32_t c);

// The Unicode word chars of UTS #18 (Alphabetic, marks, Nd, Pc, Join_Control; Unicode 16.0):
// \w of the Rust regex crate, which the Whitespace pre-tokenizer's \w+|[^\w\s]+ uses.
bool is_unicode_word(char32_t c);
// Rust's char::is_numeric (general category N), as the Digits pre-tokenizer uses it.
bool is_numeric(char32_t c);

// The White_Space property, as Rust's char::is_whitespace.
bool is_white_space(char32_t c);

// Canonical decomposition with canonical ordering of combining marks.
void append_nfd(std::u32string& out, char32_t c);  // one code point, not reordered
std::u32string nfd(std::u32string_view text);
std::uint8_t combining_class(char32_t c);
// Canonical ordering: each run of non-starters stably sorted by combining class;
// `carry` (empty, or one value per char) is permuted along with the chars.
void order_marks(std::u32string& chars, std::span<std::uint32_t> carry = {});

// The four normalization forms of Unicode 9.0, as HF's normalizers compute them.
enum class NormalForm : std::uint8_t { NFD, NFC, NFKD, NFKC };
void append_nfkd(std::u32string& out, char32_t c);  // one code point, not reordered
// The canonical composite of a + b (Hangul included), or 0.
char32_t compose_pair(char32_t a, char32_t b);
std::u32string normalize(std::u32string_view text, NormalForm form);

// One output char of a text transformation and how it lines up with the input, in the
// convention of HF's NormalizedString::transform (which the alignments crate follows):
// change 0 replaces the next input char, -n replaces the next n + 1 input chars, and a
// positive change is a char inserted after the last input char consumed.
struct CharChange {
  char32_t c;
  std::int32_t change;
};
// `text` in `form`, each char with its change, exactly as unicode-normalization-alignments
// reports them (marks reordered with their changes; a composite carries the changes of
// its parts minus one per part absorbed).
void normalize_with_changes(std::u32string_view text, NormalForm form, std::vector<CharChange>& out);

// The end of the extended grapheme cluster (UAX #29, as the unicode-segmentation crate)
// that starts at `begin` < text.size().
std::size_t grapheme_end(std::u32string_view text, std::size_t begin);

// Rust's char::to_lowercase: simple mappings plus unconditional SpecialCasing
// (U+0130 İ → "i̇"); no final-sigma rule.
void append_lowercase(std::u32string& out, char32_t c);
std::u32string lowercase(std::u32string_view text);

}  // namespace taskscout::text
