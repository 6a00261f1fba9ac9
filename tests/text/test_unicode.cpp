#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/text/unicode.hpp"

using namespace taskscout::text;

TEST(Unicode, Utf8RoundTrip) {
  std::string s = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80";  // a é 中 😀
  auto cps = decode_utf8(s);
  EXPECT_EQ(cps, (std::u32string{U'a', 0xE9, 0x4E2D, 0x1F600}));
  EXPECT_EQ(encode_utf8(cps), s);
  EXPECT_EQ(decode_utf8(""), U"");
}

TEST(Unicode, InvalidUtf8NamesTheByte) {
  try {
    decode_utf8("ab\xC3", "data.csv:7");
    FAIL();
  } catch (const taskscout::InputError& e) {
    EXPECT_STREQ(e.what(), "data.csv:7: invalid UTF-8 at byte 2; re-encode the text as UTF-8");
  }
}

TEST(Unicode, Categories) {
  EXPECT_EQ(category(U'A'), Category::Lu);
  EXPECT_EQ(category(0xE9), Category::Ll);
  EXPECT_EQ(category(0x4E2D), Category::Lo);  // inside a First/Last range
  EXPECT_EQ(category(0x0301), Category::Mn);
  EXPECT_EQ(category(U'7'), Category::Nd);
  EXPECT_EQ(category(U'!'), Category::Po);
  EXPECT_EQ(category(0x2014), Category::Pd);
  EXPECT_EQ(category(0x20AC), Category::Sc);
  EXPECT_EQ(category(U' '), Category::Zs);
  EXPECT_EQ(category(0x2028), Category::Zl);
  EXPECT_EQ(category(0x0007), Category::Cc);
  EXPECT_EQ(category(0x200B), Category::Cf);
  EXPECT_EQ(category(0xE123), Category::Co);
  EXPECT_EQ(category(0x0378), Category::Cn);  // unassigned
  EXPECT_EQ(category(0x10FFFF), Category::Cn);
  EXPECT_EQ(category(0x110000), Category::Cn);
  EXPECT_EQ(category(0x1F970), Category::So);  // 🥰, Unicode 11
  EXPECT_TRUE(is_punctuation(category(0xBF)));
  EXPECT_TRUE(is_symbol(category(0x221E)));
}

TEST(Unicode, HfCategoriesAreUnicode8) {
  EXPECT_EQ(hf_category(0x1F970), Category::Cn);  // not yet assigned in 8.0
  EXPECT_EQ(hf_category(0x166D), Category::Po);   // So since 12.0
  EXPECT_EQ(hf_category(0x1734), Category::Mn);   // Mc since 14.0
  EXPECT_EQ(hf_category(0x1885), Category::Lo);   // Mn since 9.0
  EXPECT_EQ(hf_category(0x0301), Category::Mn);
  EXPECT_EQ(hf_category(U'!'), Category::Po);
}

TEST(Unicode, WhiteSpace) {
  for (char32_t c :
       {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000})
    EXPECT_TRUE(is_white_space(c)) << std::hex << static_cast<std::uint32_t>(c);
  for (char32_t c : {0x200B, 0x180E, 0xFEFF, 0x41})
    EXPECT_FALSE(is_white_space(c)) << std::hex << static_cast<std::uint32_t>(c);
}

TEST(Unicode, Nfd) {
  EXPECT_EQ(nfd(U"\u00e9"), U"e\u0301");
  EXPECT_EQ(nfd(U"\u212b"), U"A\u030a");               // Å angstrom sign, two steps
  EXPECT_EQ(nfd(U"\u1ec7"), U"e\u0323\u0302");         // ệ recursive, reordered
  EXPECT_EQ(nfd(U"\uac01"), U"\u1100\u1161\u11a8");    // 각 Hangul LVT
  EXPECT_EQ(nfd(U"\uac00"), U"\u1100\u1161");          // 가 LV
  EXPECT_EQ(nfd(U"a\u0301\u0323"), U"a\u0323\u0301");  // canonical order (220 before 230)
  EXPECT_EQ(nfd(U"\ufb01"), U"\ufb01");                // ﬁ: compatibility only
  EXPECT_EQ(nfd(U"\U00011938"), U"\U00011938");        // added in 13.0: the HF crate lacks it
  EXPECT_EQ(combining_class(0x0301), 230);
  EXPECT_EQ(combining_class(U'a'), 0);
}

TEST(Unicode, Lowercase) {
  EXPECT_EQ(lowercase(U"ABC xyz"), U"abc xyz");
  EXPECT_EQ(lowercase(U"\u0130"), U"i\u0307");             // İ → i + combining dot
  EXPECT_EQ(lowercase(U"I"), U"i");                        // no Turkish rule
  EXPECT_EQ(lowercase(U"\u03a3\u03a3"), U"\u03c3\u03c3");  // no final sigma
  EXPECT_EQ(lowercase(U"\u1e9e"), U"\u00df");              // ẞ → ß
  EXPECT_EQ(lowercase(U"\u01c5"), U"\u01c6");              // ǅ titlecase
  EXPECT_EQ(lowercase(U"\U00010d50"), U"\U00010d70");      // Unicode 16.0 (Rust's std)
  EXPECT_EQ(lowercase(U"\ufb01"), U"\ufb01");
}
