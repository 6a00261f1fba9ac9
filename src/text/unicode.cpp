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
  auto it = std::upper_bound(runs, runs + n, c, [](char32_t x, const tables::Run& r) { return x < r.first; });
  return static_cast<Category>((it - 1)->category);
}

const tables::Mapping* find_mapping(const tables::Mapping* table, std::size_t n, char32_t c) {
  auto it =
      std::lower_bound(table, table + n, c, [](const tables::Mapping& m, char32_t x) { return m.code_point < x; });
  return it != table + n && it->code_point == c ? it : nullptr;
}

// Hangul syllables decompose algorithmically (Unicode §3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kVCount = 21, kTCount = 28, kSCount = 19 * kVCount * kTCount;

}  // namespace

Category category(char32_t c) { return find_run(tables::category_runs, tables::category_runs_size, c); }

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

Category hf_category(char32_t c) { return find_run(tables::hf_category_runs, tables::hf_category_runs_size, c); }

namespace {

// Membership in a sorted list of [first, last] pairs: the first bound >= c is a "last"
// (odd index) when c is inside a range, or a "first" equal to c.
bool in_ranges(const char32_t* ranges, std::size_t size, char32_t c) {
  const auto* end = ranges + size;
  const auto* it = std::lower_bound(ranges, end, c);
  if (it == end) return false;
  return (it - ranges) % 2 == 1 || *it == c;
}

}  // namespace

bool is_combining_mark(char32_t c) {
  return c >= 0x300 && in_ranges(tables::combining_marks, tables::combining_marks_size, c);
}

bool is_unicode_word(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  return in_ranges(tables::word_chars, tables::word_chars_size, c);
}

bool is_numeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return in_ranges(tables::numeric_chars, tables::numeric_chars_size, c);
}

bool is_white_space(char32_t c) {
  return std::binary_search(tables::white_space, tables::white_space + tables::white_space_size, c);
}

std::uint8_t combining_class(char32_t c) {
  if (c < 0x300) return 0;  // the first non-starter is U+0300
  const auto* end = tables::combining_classes + tables::combining_classes_size;
  auto it = std::lower_bound(tables::combining_classes, end, c,
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

void append_nfkd(std::u32string& out, char32_t c) {
  if (c >= 0xA0)
    if (const auto* m = find_mapping(tables::nfkd, tables::nfkd_size, c)) {
      out.append(tables::nfkd_data + m->offset, m->length);
      return;
    }
  append_nfd(out, c);
}

char32_t compose_pair(char32_t a, char32_t b) {
  constexpr char32_t kLCount = 19;
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
    return a + (b - kTBase);
  const auto* end = tables::compositions + tables::compositions_size;
  auto it = std::lower_bound(tables::compositions, end, std::pair{a, b},
                             [](const tables::Composition& k, std::pair<char32_t, char32_t> x) {
                               return k.first != x.first ? k.first < x.first : k.second < x.second;
                             });
  return it != end && it->first == a && it->second == b ? it->composite : 0;
}

namespace {

// Decomposition as the crate's Decompositions iterator: the first char of each
// decomposition replaces its source (0), the others are inserted (+1); each run of marks
// is stably sorted by combining class when a starter (or the end) closes it.
void decompose(std::u32string_view text, bool compatible, std::vector<CharChange>& out) {
  std::u32string one;
  std::size_t pending = out.size();  // first char of the run not yet sorted
  auto sort_pending = [&] {
    std::stable_sort(
        out.begin() + static_cast<std::ptrdiff_t>(pending), out.end(),
        [](const CharChange& x, const CharChange& y) { return combining_class(x.c) < combining_class(y.c); });
  };
  for (char32_t c : text) {
    one.clear();
    if (compatible)
      append_nfkd(one, c);
    else
      append_nfd(one, c);
    for (std::size_t k = 0; k < one.size(); ++k) {
      if (combining_class(one[k]) == 0) {
        sort_pending();
        pending = out.size();
      }
      out.push_back({one[k], k == 0 ? 0 : 1});
    }
  }
  sort_pending();
}

// Canonical composition as the crate's Recompositions iterator (a state machine over the
// decomposed chars: the starter being composed, the marks it could not absorb, and the
// class of the last of them, which blocks marks of the same or a lower class).
void recompose(std::vector<CharChange>& chars) {
  std::vector<CharChange> out, buffer;
  out.reserve(chars.size());
  bool have_composee = false;
  CharChange composee{};
  int last_class = -1;  // -1: no mark since the composee
  for (const CharChange& ch : chars) {
    const int cls = combining_class(ch.c);
    if (!have_composee) {
      if (cls != 0) {
        out.push_back(ch);
      } else {
        composee = ch;
        have_composee = true;
      }
      continue;
    }
    if (last_class >= cls) {  // blocked (only possible after a mark)
      if (cls == 0) {
        out.push_back(composee);
        out.insert(out.end(), buffer.begin(), buffer.end());
        buffer.clear();
        composee = ch;
        last_class = -1;
      } else {
        buffer.push_back(ch);
        last_class = cls;
      }
      continue;
    }
    if (char32_t r = compose_pair(composee.c, ch.c)) {
      composee = {r, composee.change + ch.change - 1};
      continue;
    }
    if (cls == 0) {  // last_class is -1 here: an unrelated starter follows
      out.push_back(composee);
      composee = ch;
      continue;
    }
    buffer.push_back(ch);
    last_class = cls;
  }
  if (have_composee) out.push_back(composee);
  out.insert(out.end(), buffer.begin(), buffer.end());
  chars = std::move(out);
}

}  // namespace

void normalize_with_changes(std::u32string_view text, NormalForm form, std::vector<CharChange>& out) {
  out.clear();
  out.reserve(text.size());
  const bool compatible = form == NormalForm::NFKD || form == NormalForm::NFKC;
  decompose(text, compatible, out);
  if (form == NormalForm::NFC || form == NormalForm::NFKC) recompose(out);
}

std::u32string normalize(std::u32string_view text, NormalForm form) {
  std::vector<CharChange> changes;
  normalize_with_changes(text, form, changes);
  std::u32string out;
  out.reserve(changes.size());
  for (const CharChange& c : changes) out.push_back(c.c);
  return out;
}

namespace {

// Grapheme_Cluster_Break values as the generated table numbers them, plus flags.
// clang-format off
enum Gcb : std::uint8_t {
  kOther, kCR, kLF, kControl, kExtend, kZWJ, kRegionalIndicator, kPrepend, kSpacingMark,
  kL, kV, kT, kLV, kLVT
};
constexpr std::uint8_t kPictographic = 0x10, kIncbMask = 0x60, kLinker = 0x20,
                       kConsonant = 0x40, kIncbExtend = 0x60;
// clang-format on

std::uint8_t grapheme_props(char32_t c) {
  if (c < 0x80) return c == '\r' ? kCR : c == '\n' ? kLF : c < 0x20 || c == 0x7F ? kControl : kOther;
  return static_cast<std::uint8_t>(find_run(tables::grapheme_runs, tables::grapheme_runs_size, c));
}

}  // namespace

std::size_t grapheme_end(std::u32string_view t, std::size_t i) {
  const std::size_t n = t.size();
  if (i >= n) return n;
  std::uint8_t p = grapheme_props(t[i]);
  // An odd run of regional indicators ends here (GB12/13); emoji 1: ExtPict Extend*, 2: and a
  // ZWJ (GB11); conjunct 1: Consonant [Extend Linker]*, 2: with a Linker among them (GB9c).
  bool ri_odd = (p & 0xF) == kRegionalIndicator;
  int emoji = p & kPictographic ? 1 : 0;
  int conjunct = (p & kIncbMask) == kConsonant ? 1 : 0;
  std::size_t j = i + 1;
  for (; j < n; ++j) {
    const std::uint8_t q = grapheme_props(t[j]);
    const int a = p & 0xF, b = q & 0xF;
    bool join;
    // clang-format off
    if (a == kCR && b == kLF) join = true;                                           // GB3
    else if (a == kCR || a == kLF || a == kControl) join = false;                    // GB4
    else if (b == kCR || b == kLF || b == kControl) join = false;                    // GB5
    else if (a == kL && (b == kL || b == kV || b == kLV || b == kLVT)) join = true;  // GB6
    else if ((a == kLV || a == kV) && (b == kV || b == kT)) join = true;             // GB7
    else if ((a == kLVT || a == kT) && b == kT) join = true;                         // GB8
    else if (b == kExtend || b == kZWJ || b == kSpacingMark) join = true;            // GB9, 9a
    else if (a == kPrepend) join = true;                                             // GB9b
    else if (conjunct == 2 && (q & kIncbMask) == kConsonant) join = true;            // GB9c
    else if (emoji == 2 && (q & kPictographic)) join = true;                         // GB11
    else if (a == kRegionalIndicator && b == kRegionalIndicator) join = ri_odd;      // GB12, 13
    else join = false;                                                               // GB999
    // clang-format on
    if (!join) break;
    ri_odd = b == kRegionalIndicator && !(a == kRegionalIndicator && ri_odd);
    if (q & kPictographic)
      emoji = 1;
    else if (emoji == 1 && b == kZWJ)
      emoji = 2;
    else if (!(emoji == 1 && b == kExtend))
      emoji = 0;
    const int incb = q & kIncbMask;
    if (incb == kConsonant)
      conjunct = 1;
    else if (conjunct && incb == kLinker)
      conjunct = 2;
    else if (!(conjunct && incb == kIncbExtend))
      conjunct = 0;
    p = q;
  }
  return j;
}

}  // namespace taskscout::text
