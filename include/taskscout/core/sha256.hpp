#pragma once
// SHA-256 (FIPS 180-4): content addresses for registry blobs and fingerprints of model
// folders and datasets. Streaming: feed any number of chunks of any size, then finish.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace taskscout {

using Sha256Digest = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // Pads, returns the digest and resets the state, so the object can hash again.
  Sha256Digest finish();
  // finish() as 64 lowercase hex digits.
  std::string finish_hex();

 private:
  void compress(const std::uint8_t* block);

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_;
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

// 64 lowercase hex digits.
std::string to_hex(const Sha256Digest& digest);
// True for exactly 64 lowercase hex digits, the spelling every digest here uses.
bool is_sha256_hex(std::string_view text);

std::string sha256_hex(std::string_view data);
// Streams the file; throws IoError naming it when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace taskscout
