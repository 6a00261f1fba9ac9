#pragma once
// The generated tables (unicode_tables.cpp, from scripts/gen_unicode_tables.py); unicode.cpp
// is their only user.
#include <cstddef>
#include <cstdint>

namespace taskscout::text::tables {

struct Run {  // a run of code points with one category, up to the next run's first
  char32_t first;
  std::uint8_t category;
};
struct Mapping {  // code point → data[offset, offset + length)
  char32_t code_point;
  std::uint16_t offset;
  std::uint8_t length;
};
struct CombiningClass {
  char32_t code_point;
  std::uint8_t value;
};

extern const Run category_runs[], hf_category_runs[], regex_class_runs[];
extern const std::size_t category_runs_size, hf_category_runs_size, regex_class_runs_size;
extern const char32_t nfd_data[], lowercase_data[];
extern const char32_t nfkd_data[];
extern const Mapping nfd[], nfkd[], lowercase[];
extern const std::size_t nfd_size, nfkd_size, lowercase_size;
extern const Run grapheme_runs[];
extern const std::size_t grapheme_runs_size;
struct Composition {  // first + second → composite (canonical composition)
  char32_t first, second, composite;
};

extern const Composition compositions[];
extern const std::size_t compositions_size;
extern const CombiningClass combining_classes[];
extern const std::size_t combining_classes_size;
extern const char32_t combining_marks[], word_chars[], numeric_chars[];  // [first, last] pairs
extern const std::size_t combining_marks_size, word_chars_size, numeric_chars_size;
extern const char32_t white_space[];
extern const std::size_t white_space_size;

}  // namespace taskscout::text::tables
