#include <gtest/gtest.h>

#include "taskscout/io/utf8.hpp"

using taskscout::find_invalid_utf8;
using taskscout::is_valid_utf8;

TEST(Utf8, AcceptsValidText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii, long enough for the 8-byte fast path"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9"));                       // é, 2 bytes
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC"));                      // €, 3 bytes
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));                  // 😀, 4 bytes
  EXPECT_TRUE(is_valid_utf8("\xC2\x80\xDF\xBF"));                  // U+0080, U+07FF
  EXPECT_TRUE(is_valid_utf8("\xE0\xA0\x80\xEF\xBF\xBF"));          // U+0800, U+FFFF
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF\xEE\x80\x80"));          // U+D7FF, U+E000 (around surrogates)
  EXPECT_TRUE(is_valid_utf8("\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"));  // U+10000, U+10FFFF
  EXPECT_TRUE(is_valid_utf8(std::string_view("a\0b", 3)));         // NUL is a valid character
}

TEST(Utf8, ReportsTheOffsetOfTheFirstInvalidSequence) {
  struct Case {
    std::string text;
    std::size_t offset;
    const char* why;
  };
  const Case cases[] = {
      {"abc\x80", 3, "lone continuation byte"},
      {"ab\xC0\xAF", 2, "overlong 2-byte (C0)"},
      {"\xC1\xBF", 0, "overlong 2-byte (C1)"},
      {"x\xE0\x80\xAF", 1, "overlong 3-byte"},
      {"\xF0\x80\x80\xAF", 0, "overlong 4-byte"},
      {"ok \xED\xA0\x80", 3, "high surrogate U+D800"},
      {"\xED\xBF\xBF", 0, "low surrogate U+DFFF"},
      {"\xF4\x90\x80\x80", 0, "U+110000"},
      {"\xF5\x80\x80\x80", 0, "F5 lead byte"},
      {"\xFF", 0, "FF byte"},
      {"abcdefgh\xC3", 8, "truncated 2-byte at the end"},
      {"\xE2\x82", 0, "truncated 3-byte"},
      {"\xF0\x9F\x98", 0, "truncated 4-byte"},
      {"\xE2\x82x", 0, "3-byte cut by ASCII"},
      {"\xC3\xA9\xC3(", 2, "second sequence bad"},
      {"0123456789abcdef\xE2\x28\xA1", 16, "bad byte after the fast path"},
  };
  for (const auto& c : cases) {
    auto bad = find_invalid_utf8(c.text);
    ASSERT_TRUE(bad.has_value()) << c.why;
    EXPECT_EQ(*bad, c.offset) << c.why;
  }
}
