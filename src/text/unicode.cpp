#include "taskscout/text/unicode.hpp"

#include <algorithm>

#include "taskscout/core/error.hpp"
#include "taskscout/io/utf8.hpp"
#include "unicode_tables.hpp"

namespace taskscout::text {

std::u32string decode_utf8(std::string_view text, std::string_view what) {
  if (auto bad = find_invalid_utf8(text))
    throw InputError(std::string(what) + ": invalid UTF-8 at byte " + std::to_string(*bad) +
                     "; re-encode the text as UTF-8");
  std::u32string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {  // valid input: the lead byte tells the length
    char32_t c = *p;
    if (c < 0x80) {
      p += 1;
    } else if (c < 0xE0) {
      c = (c & 0x1F) << 6 | (p[1] & 0x3F);
      p += 2;
    } else if (c < 0xF0) {
      c = (c & 0x0F) << 12 | (p[1] & 0x3F) << 6 | (p[2] & 0x3F);
      p += 3;
    } else {
      c = (c & 0x07) << 18 | (p[1] & 0x3F) << 12 | (p[2] & 0x3F) << 6 | (p[3] & 0x3F);
      p += 4;
    }
    out.push_back(c);
  }
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | c >> 6));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | c >> 12));
    out.push_back(static_cast<char>(0x80 | (c >> 6 & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | c >> 18));
    out.push_back(static_cast<char>(0x80 | (c >> 12 & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c >> 6 & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t c : code_points) append_utf8(out, c);
  return out;
}

namespace {

Category find_run(const tables::Run* runs, std::size_t n, char32_t c) {
  if (c > 0x10FFFF) return Category::Cn;
  // The last run starting at or before c.
  auto it = std::upper_bound(runs, runs + n, c,
                             [](char32_t x, const tables::Run& r) { return x < r.first; });
  return static_cast<Category>((it - 1)->category);
}

const tables::Mapping* find_mapping(const tables::Mapping* table, std::size_t n, char32_t c) {
  auto it = std::lower_bound(table, table + n, c,
                             [](const tables::Mapping& m, char32_t x) { return m.code_point < x; });
  return it != table + n && it->code_point == c ? it : nullptr;
}

// Hangul syllables decompose algorithmically (Unicode §3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kVCount = 21, kTCount = 28, kSCount = 19 * kVCount * kTCount;

}  // namespace

Category category(char32_t c) {
  return find_run(tables::category_runs, tables::category_runs_size, c);
}

RegexClass regex_class(char32_t c) {
  if (c < 0x80) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return RegexClass::Letter;
    if (c >= '0' && c <= '9') return RegexClass::Number;
    if (c == ' ' || (c >= 0x09 && c <= 0x0D)) return RegexClass::Space;
    return RegexClass::Other;
  }
  if (is_white_space(c)) return RegexClass::Space;
  switch (find_run(tables::regex_class_runs, tables::regex_class_runs_size, c)) {
    case Category::Lu:
      return RegexClass::Letter;
    case Category::Nd:
      return RegexClass::Number;
    default:
      return RegexClass::Other;
  }
}

Category hf_category(char32_t c) {
  return find_run(tables::hf_category_runs, tables::hf_category_runs_size, c);
}

bool is_white_space(char32_t c) {
  return std::binary_search(tables::white_space, tables::white_space + tables::white_space_size, c);
}

std::uint8_t combining_class(char32_t c) {
  if (c < 0x300) return 0;  // the first non-starter is U+0300
  const auto* end = tables::combining_classes + tables::combining_classes_size;
  auto it = std::lower_bound(
      tables::combining_classes, end, c,
      [](const tables::CombiningClass& k, char32_t x) { return k.code_point < x; });
  return it != end && it->code_point == c ? it->value : 0;
}

void append_nfd(std::u32string& out, char32_t c) {
  if (c >= kSBase && c < kSBase + kSCount) {
    char32_t s = c - kSBase;
    out.push_back(kLBase + s / (kVCount * kTCount));
    out.push_back(kVBase + s % (kVCount * kTCount) / kTCount);
    if (s % kTCount) out.push_back(kTBase + s % kTCount);
    return;
  }
  if (c < 0xC0) {  // nothing below U+00C0 decomposes
    out.push_back(c);
    return;
  }
  if (const auto* m = find_mapping(tables::nfd, tables::nfd_size, c))
    out.append(tables::nfd_data + m->offset, m->length);
  else
    out.push_back(c);
}

void order_marks(std::u32string& s, std::span<std::uint32_t> carry) {
  for (std::size_t i = 0; i < s.size();) {
    if (combining_class(s[i]) == 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && combining_class(s[j]) != 0) ++j;
    for (std::size_t a = i + 1; a < j; ++a)  // insertion sort: runs are short; it is stable
      for (std::size_t b = a; b > i && combining_class(s[b - 1]) > combining_class(s[b]); --b) {
        std::swap(s[b - 1], s[b]);
        if (!carry.empty()) std::swap(carry[b - 1], carry[b]);
      }
    i = j;
  }
}

std::u32string nfd(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) append_nfd(out, c);
  order_marks(out);
  return out;
}

void append_lowercase(std::u32string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  if (const auto* m = find_mapping(tables::lowercase, tables::lowercase_size, c))
    out.append(tables::lowercase_data + m->offset, m->length);
  else
    out.push_back(c);
}

std::u32string lowercase(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) append_lowercase(out, c);
  return out;
}

}  // namespace taskscout::text
