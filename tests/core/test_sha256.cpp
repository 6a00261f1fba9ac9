// SHA-256 against the FIPS 180-4 / NIST example vectors, lengths around the padding
// boundaries (digests from Python's hashlib), and streaming in uneven chunks.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

TEST(Sha256, NistVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopq"
                       "rsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, OneMillionA) {
  EXPECT_EQ(sha256_hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // The same million bytes fed one at a time.
  Sha256 h;
  for (int i = 0; i < 1'000'000; ++i) h.update("a", 1);
  EXPECT_EQ(h.finish_hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, LengthsAroundThePaddingBoundaries) {
  const std::pair<int, const char*> cases[] = {
      {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"},
      {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
      {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
      {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
  };
  for (const auto& [n, hex] : cases) EXPECT_EQ(sha256_hex(std::string(n, 'a')), hex) << n;
}

// 10,000 bytes (i·131 + 7) mod 251; digest from hashlib.
std::string pattern() {
  std::string data(10'000, '\0');
  for (int i = 0; i < 10'000; ++i) data[i] = static_cast<char>((i * 131 + 7) % 251);
  return data;
}
constexpr const char* kPatternDigest = "557803a12f34dcbd6e2b5124bb5155bc937ce8d8b434800cb91b739bfd5c437e";

TEST(Sha256, StreamingInUnevenChunksGivesTheSameDigest) {
  const std::string data = pattern();
  std::mt19937 rng(5);
  for (int trial = 0; trial < 50; ++trial) {
    Sha256 h;
    std::size_t at = 0;
    while (at < data.size()) {
      const std::size_t n = std::min<std::size_t>(data.size() - at, std::uniform_int_distribution<>(0, 200)(rng));
      h.update(data.data() + at, n);
      at += n;
    }
    ASSERT_EQ(h.finish_hex(), kPatternDigest) << "trial " << trial;
  }
}

TEST(Sha256, FinishResetsForTheNextMessage) {
  Sha256 h;
  h.update("garbage that must not leak into the next digest");
  h.finish();
  h.update("abc");
  EXPECT_EQ(h.finish_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, FilesHashAsTheirBytes) {
  testing::TempDir dir;
  testing::write_text(dir / "p.bin", pattern());
  EXPECT_EQ(sha256_file_hex(dir / "p.bin"), kPatternDigest);
  EXPECT_THROW(sha256_file_hex(dir / "missing.bin"), IoError);
}

TEST(Sha256, HexSpelling) {
  EXPECT_TRUE(is_sha256_hex(kPatternDigest));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'a')));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'A')));  // uppercase is not the spelling used
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'g')));
}

}  // namespace
}  // namespace taskscout
