#include "taskscout/text/pattern.hpp"

#include <limits>

#include "taskscout/core/error.hpp"
#include "taskscout/text/unicode.hpp"

namespace taskscout::text {

namespace {

constexpr std::uint32_t kUnbounded = std::numeric_limits<std::uint32_t>::max();

// Character classes of the regex subset, as Oniguruma (Unicode 16.0) has them.
enum Class : std::int8_t { kSpace = 1, kDigit, kWord, kLetter, kNumber, kSeparator };

bool in_class(char32_t c, int k) {
  const Category g = category(c);
  switch (k) {
    case kSpace:
      return is_white_space(c);
    case kDigit:  // Nd of Unicode 16.0: 15.0's plus the new decimal digits Rust also knows
      return g == Category::Nd || (g == Category::Cn && c > 0x10000 && is_numeric(c) &&
                                   !(c >= 0x16FF4 && c <= 0x16FF6) && !(c >= 0x11DE0 && c <= 0x11DE9));
    case kWord:  // Oniguruma's: the Latin-1 digits and fractions, not the join controls
      if (c == 0xB2 || c == 0xB3 || c == 0xB9 || (c >= 0xBC && c <= 0xBE)) return true;
      return c != 0x200C && c != 0x200D && is_unicode_word(c);
    case kLetter:
      return regex_class(c) == RegexClass::Letter;
    case kNumber:
      return regex_class(c) == RegexClass::Number;
    case kSeparator:
      return is_separator(g);
  }
  return false;
}

bool matches(const Pattern::Atom& a, char32_t c) {
  switch (a.kind) {
    case Pattern::Atom::Kind::Char:
      return c == a.c;
    case Pattern::Atom::Kind::Any:
      return c != U'\n';
    case Pattern::Atom::Kind::Set:
      break;
  }
  bool in = false;
  for (auto [lo, hi] : a.ranges) in = in || (c >= lo && c <= hi);
  for (int k : a.classes) in = in || (k > 0 ? in_class(c, k) : !in_class(c, -k));
  return in != a.negated;
}

struct Parser {
  std::u32string s;
  std::size_t i = 0;
  const std::string& where;
  std::string source;

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(where + "regex \"" + source + "\": " + what +
                     "; supported: literal chars, . \\s \\d \\w \\p{L|N|Z}, [...] sets "
                     "and the quantifiers ? * + {n,m}");
  }
  bool done() const { return i >= s.size(); }

  // An escape after '\': a class (returned as its id, negative when negated) or a char.
  std::int8_t escape(char32_t& c) {
    if (done()) fail("ends with a lone backslash");
    const char32_t e = s[i++];
    switch (e) {
      case U's':
        return kSpace;
      case U'S':
        return -kSpace;
      case U'd':
        return kDigit;
      case U'D':
        return -kDigit;
      case U'w':
        return kWord;
      case U'W':
        return -kWord;
      case U'n':
        c = U'\n';
        return 0;
      case U't':
        c = U'\t';
        return 0;
      case U'r':
        c = U'\r';
        return 0;
      case U'p':
      case U'P': {
        if (i + 2 >= s.size() || s[i] != U'{' || s[i + 2] != U'}') fail("expected \\p{X} with a one-letter category");
        const char32_t k = s[i + 1];
        i += 3;
        // P, S and M gained characters in 16.0 that taskscout's 15.0 data lacks.
        const std::int8_t id = k == U'L' ? kLetter : k == U'N' ? kNumber : k == U'Z' ? kSeparator : 0;
        if (!id) fail("unsupported category \\p{" + encode_utf8(std::u32string(1, k)) + "}");
        return e == U'p' ? id : static_cast<std::int8_t>(-id);
      }
      default:
        if ((e >= U'a' && e <= U'z') || (e >= U'A' && e <= U'Z') || (e >= U'0' && e <= U'9'))
          fail(std::string("unsupported escape \\") + static_cast<char>(e));
        c = e;  // an escaped metacharacter or other punctuation
        return 0;
    }
  }

  void set(Pattern::Atom& a) {
    a.kind = Pattern::Atom::Kind::Set;
    if (!done() && s[i] == U'^') {
      a.negated = true;
      ++i;
    }
    bool first = true;
    while (true) {
      if (done()) fail("unterminated [");
      char32_t c = s[i++];
      if (c == U']' && !first) break;
      first = false;
      if (c == U'[') fail("nested sets are not supported");
      if (c == U'\\') {
        if (auto k = escape(c)) {
          a.classes.push_back(k);
          continue;
        }
      }
      char32_t hi = c;
      if (i + 1 < s.size() && s[i] == U'-' && s[i + 1] != U']') {
        ++i;
        hi = s[i++];
        if (hi == U'\\' && (escape(hi) != 0)) fail("a class cannot end a range");
        if (hi < c) fail("a range runs backwards");
      }
      a.ranges.push_back({c, hi});
    }
  }

  std::uint32_t number() {
    std::uint32_t n = 0;
    bool any = false;
    while (!done() && s[i] >= U'0' && s[i] <= U'9') {
      n = n * 10 + (s[i++] - U'0');
      any = true;
    }
    if (!any) fail("expected a number in {}");
    return n;
  }

  void quantifier(Pattern::Atom& a) {
    if (done()) return;
    const char32_t q = s[i];
    if (q == U'?')
      a.min = 0, a.max = 1;
    else if (q == U'*')
      a.min = 0, a.max = kUnbounded;
    else if (q == U'+')
      a.min = 1, a.max = kUnbounded;
    else if (q == U'{') {
      ++i;
      a.min = a.max = number();
      if (!done() && s[i] == U',') {
        ++i;
        a.max = !done() && s[i] == U'}' ? kUnbounded : number();
      }
      if (done() || s[i] != U'}') fail("expected } after {n,m");
      if (a.max < a.min) fail("{n,m} with m < n");
    } else {
      return;
    }
    ++i;
    if (!done() && (s[i] == U'?' || s[i] == U'+')) fail("lazy and possessive quantifiers are not supported");
    if (!done() && (s[i] == U'*' || s[i] == U'{')) fail("a quantifier follows a quantifier");
  }

  std::vector<Pattern::Atom> parse() {
    std::vector<Pattern::Atom> atoms;
    while (!done()) {
      Pattern::Atom a;
      char32_t c = s[i++];
      switch (c) {
        case U'(':
        case U')':
          fail("groups are not supported");
        case U'|':
          fail("alternation is not supported");
        case U'^':
        case U'$':
          fail("anchors are not supported");
        case U'?':
        case U'*':
        case U'+':
        case U'{':
          fail("a quantifier has nothing to repeat");
        case U'.':
          a.kind = Pattern::Atom::Kind::Any;
          break;
        case U'[':
          set(a);
          break;
        case U'\\':
          if (auto k = escape(c)) {
            a.kind = Pattern::Atom::Kind::Set;
            a.classes.push_back(k);
          } else {
            a.c = c;
          }
          break;
        default:
          a.c = c;
      }
      quantifier(a);
      atoms.push_back(std::move(a));
    }
    std::uint32_t least = 0;
    for (const auto& a : atoms) least += a.min;
    if (least == 0) fail("it can match the empty string");
    return atoms;
  }
};

// The end of the greedy, backtracking match of atoms[k..] at text[i], or -1.
std::int64_t match_at(const std::vector<Pattern::Atom>& atoms, std::size_t k, std::u32string_view t, std::size_t i) {
  if (k == atoms.size()) return static_cast<std::int64_t>(i);
  const Pattern::Atom& a = atoms[k];
  std::size_t n = 0;  // how many chars the atom can take here
  while (n < a.max && i + n < t.size() && matches(a, t[i + n])) ++n;
  if (n < a.min) return -1;
  for (std::size_t take = n + 1; take-- > a.min;) {  // longest first
    const auto end = match_at(atoms, k + 1, t, i + take);
    if (end >= 0) return end;
  }
  return -1;
}

}  // namespace

Pattern Pattern::literal(std::u32string text) {
  Pattern p;
  p.literal_ = std::move(text);
  return p;
}

Pattern Pattern::regex(std::string_view source, const std::string& where) {
  Parser parser{decode_utf8(source, where + "regex"), 0, where, std::string(source)};
  Pattern p;
  p.is_regex_ = true;
  p.atoms_ = parser.parse();
  return p;
}

void Pattern::find(std::u32string_view text, std::uint32_t begin, std::uint32_t end, std::vector<Span>& out) const {
  const std::u32string_view t = text.substr(0, end);
  if (!is_regex_) {
    if (literal_.empty()) return;
    for (std::size_t i = t.find(literal_, begin); i != std::u32string_view::npos;
         i = t.find(literal_, i + literal_.size()))
      out.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i + literal_.size())});
    return;
  }
  for (std::size_t i = begin; i < t.size();) {
    const auto e = match_at(atoms_, 0, t, i);
    if (e < 0) {
      ++i;
      continue;
    }
    out.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(e)});
    i = static_cast<std::size_t>(e);  // e > i: empty matches are ruled out
  }
}

}  // namespace taskscout::text
