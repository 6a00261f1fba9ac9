#include "taskscout/core/sha256.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "taskscout/core/error.hpp"

namespace taskscout {

namespace {

// libcrypto fails only when out of memory or misbuilt: either way not the user's input.
void check(int ok, const char* what) {
  if (ok != 1) throw Error(std::string("internal: OpenSSL's SHA-256 failed in ") + what);
}

evp_md_ctx_st* new_context() {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == nullptr) throw Error("internal: OpenSSL could not allocate a SHA-256 context");
  return context;
}

}  // namespace

void Sha256::Free::operator()(evp_md_ctx_st* context) const { EVP_MD_CTX_free(context); }

Sha256::Sha256() : context_(new_context()) {
  check(EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr), "EVP_DigestInit_ex");
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

Sha256::Sha256(const Sha256& other) : context_(new_context()) {
  check(EVP_MD_CTX_copy_ex(context_.get(), other.context_.get()), "EVP_MD_CTX_copy_ex");
}

Sha256& Sha256::operator=(const Sha256& other) {
  if (this == &other) return *this;
  if (!context_) context_.reset(new_context());  // moved from
  check(EVP_MD_CTX_copy_ex(context_.get(), other.context_.get()), "EVP_MD_CTX_copy_ex");
  return *this;
}

void Sha256::update(const void* data, std::size_t size) {
  if (size > 0) check(EVP_DigestUpdate(context_.get(), data, size), "EVP_DigestUpdate");
}

Sha256Digest Sha256::finish() {
  Sha256Digest out;
  unsigned int length = 0;
  check(EVP_DigestFinal_ex(context_.get(), out.data(), &length), "EVP_DigestFinal_ex");
  if (length != out.size()) throw Error("internal: OpenSSL's SHA-256 gave a digest of the wrong length");
  check(EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr), "EVP_DigestInit_ex");
  return out;
}

std::string Sha256::finish_hex() { return to_hex(finish()); }

std::string to_hex(const Sha256Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (std::size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kDigits[digest[i] >> 4];
    out[2 * i + 1] = kDigits[digest[i] & 15];
  }
  return out;
}

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish_hex();
}

std::string sha256_file_hex(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(location(path.string()) + "cannot open the file: " + std::strerror(errno));
  Sha256 h;
  std::vector<char> buffer(1 << 20);
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw IoError(location(path.string()) + "cannot read the file: " + why);
    }
    if (n == 0) break;
    h.update(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return h.finish_hex();
}

}  // namespace taskscout
