#pragma once
// SHA-256 (FIPS 180-4): content addresses for registry blobs and fingerprints of model
// folders and datasets. Streaming: feed any number of chunks of any size, then finish.
// OpenSSL's libcrypto does the hashing: it uses the CPU's SHA extensions where there are
// some (~2 GB/s on this project's machines, six times a portable implementation), which
// makes checking a blob's digest on every load cheap beside using it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace taskscout {

using Sha256Digest = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256& other);  // the state so far, copied
  Sha256& operator=(const Sha256& other);
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, std::size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // Pads, returns the digest and resets the state, so the object can hash again.
  Sha256Digest finish();
  // finish() as 64 lowercase hex digits.
  std::string finish_hex();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* context) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> context_;
};

// 64 lowercase hex digits.
std::string to_hex(const Sha256Digest& digest);
// True for exactly 64 lowercase hex digits, the spelling every digest here uses.
bool is_sha256_hex(std::string_view text);

std::string sha256_hex(std::string_view data);
// Streams the file; throws IoError naming it when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace taskscout
