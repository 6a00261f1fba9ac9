// NFC, NFD, NFKC, NFKD against Python's unicodedata on NormalizationTest-style cases
// (normalization_cases.txt, make_normalization_cases.py; npm tokenizers agrees on all of
// them, check_normalization.js) and against the official tokenizers on every single code
// point (hf_normalization.json: block hashes from check_normalization.js).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sha256.hpp"
#include "taskscout/text/normalizer.hpp"
#include "taskscout/text/unicode.hpp"
#include "tokenizer_oracle.hpp"

using namespace taskscout::text;
using taskscout::testing::text_fixtures;

namespace {

constexpr std::pair<const char*, NormalForm> kForms[] = {
    {"NFC", NormalForm::NFC}, {"NFD", NormalForm::NFD}, {"NFKC", NormalForm::NFKC}, {"NFKD", NormalForm::NFKD}};

std::u32string from_hex(const std::string& field) {
  std::u32string out;
  std::istringstream in(field);
  for (std::string x; in >> x;) out.push_back(static_cast<char32_t>(std::stoul(x, nullptr, 16)));
  return out;
}

std::string to_hex(const std::u32string& s) {
  std::string out;
  char buf[16];
  for (char32_t c : s) {
    std::snprintf(buf, sizeof buf, "%s%04X", out.empty() ? "" : " ", static_cast<unsigned>(c));
    out += buf;
  }
  return out;
}

}  // namespace

TEST(Normalization, CasesMatchPythonUnicodedata) {
  std::ifstream in(text_fixtures() / "normalization_cases.txt");
  ASSERT_TRUE(in);
  std::size_t cases = 0, wrong = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string x; std::getline(fields, x, ';');) f.push_back(x);
    f.resize(5);
    const std::u32string source = from_hex(f[0]);
    std::u32string want[4];
    want[0] = f[1].empty() ? source : from_hex(f[1]);
    want[1] = from_hex(f[2]);
    want[2] = f[3].empty() ? want[0] : from_hex(f[3]);
    want[3] = f[4].empty() ? want[1] : from_hex(f[4]);
    for (int k = 0; k < 4; ++k) {
      const std::u32string got = normalize(source, kForms[k].second);
      if (got != want[k] && ++wrong <= 10)
        ADD_FAILURE() << kForms[k].first << " of " << f[0] << ": got " << to_hex(got) << ", expected "
                      << to_hex(want[k]);
    }
    ++cases;
  }
  EXPECT_EQ(wrong, 0u);
  EXPECT_GT(cases, 4000u);
}

TEST(Normalization, EveryCodePointAsTheOfficialNormalizers) {
  std::ifstream in(text_fixtures() / "hf_normalization.json");
  ASSERT_TRUE(in);
  const auto oracle = nlohmann::json::parse(in);
  const char32_t block = oracle["block"].get<char32_t>();
  for (const auto& [name, form] : kForms) {
    const auto& hashes = oracle[name];
    ASSERT_EQ(hashes.size(), 0x110000u / block);
    std::u32string one(1, 0);
    for (char32_t start = 0; start < 0x110000; start += block) {
      taskscout::testing::Sha256 h;
      for (char32_t c = start; c < start + block; ++c) {
        if (c >= 0xD800 && c <= 0xDFFF) continue;
        one[0] = c;
        std::u32string out = normalize(one, form);
        out.push_back(0xFFFFFFFF);
        for (char32_t x : out) {
          const unsigned char le[4] = {static_cast<unsigned char>(x), static_cast<unsigned char>(x >> 8),
                                       static_cast<unsigned char>(x >> 16), static_cast<unsigned char>(x >> 24)};
          h.update(le, 4);
        }
      }
      EXPECT_EQ(h.hex().substr(0, 16), hashes[start / block].get<std::string>())
          << name << " differs from the official normalizer in U+" << std::hex << static_cast<std::uint32_t>(start)
          << "..U+" << static_cast<std::uint32_t>(start + block - 1);
    }
  }
}

TEST(Normalization, CompositionFollowsTheCrateAlignment) {
  // á + ◌̣ → ạ + ◌́: the composite keeps the first char's origin, the moved acute the
  // second's (as the official NFC aligns them; normalizers.json checks more).
  auto t = NormalizedText::from(U"\u00e1\u0323");
  UnicodeNormalizer(NormalForm::NFC).normalize(t);
  EXPECT_EQ(t.chars, U"\u1ea1\u0301");
  EXPECT_EQ(t.origin, (std::vector<std::uint32_t>{0, 1}));
  t = NormalizedText::from(U"\u00e1\u0323");
  UnicodeNormalizer(NormalForm::NFD).normalize(t);
  EXPECT_EQ(t.chars, U"a\u0323\u0301");
  EXPECT_EQ(t.origin, (std::vector<std::uint32_t>{0, 1, 1}));
  EXPECT_EQ(compose_pair(U'e', 0x0301), 0xE9u);
  EXPECT_EQ(compose_pair(0x1100, 0x1161), 0xAC00u);
  EXPECT_EQ(compose_pair(0xAC00, 0x11A8), 0xAC01u);
  EXPECT_EQ(compose_pair(0x0915, 0x093C), 0u);  // क़ is a composition exclusion
  EXPECT_TRUE(is_combining_mark(0x0301));
  EXPECT_TRUE(is_combining_mark(0x093F));   // Mc: StripAccents removes it, BERT's does not
  EXPECT_FALSE(is_combining_mark(0x1AC1));  // Unicode 14: after the crate's 9.0
}
