#include "blob_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/io/safetensors.hpp"

namespace taskscout::registry_detail {

namespace fs = std::filesystem;

namespace {

std::string reason() { return std::strerror(errno); }

// A value from the index, shown in a one-line message whatever bytes it holds.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return text.size() > 80 ? out + "..." : out;
}

constexpr std::string_view kIncomingPrefix = ".incoming-";
constexpr std::string_view kBlobSuffix = ".safetensors";

}  // namespace

void sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IoError(location(dir.string()) + "cannot open the folder to sync it: " + reason());
  const int rc = ::fsync(fd);
  const std::string why = reason();
  ::close(fd);
  if (rc != 0) throw IoError(location(dir.string()) + "cannot sync the folder: " + why);
}

void sync_filesystem(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IoError(location(path.string()) + "cannot open the folder to sync it: " + reason());
  const int rc = ::syncfs(fd);
  const std::string why = reason();
  ::close(fd);
  if (rc != 0) throw IoError(location(path.string()) + "cannot flush the blobs to disk: " + why);
}

struct IncomingBlob::Hasher {
  Sha256 sha;
};

IncomingBlob::IncomingBlob(const fs::path& blobs_dir) : blobs_dir_(blobs_dir), hash_(std::make_unique<Hasher>()) {
  std::random_device rd;
  for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
    temp_ = blobs_dir_ / (std::string(kIncomingPrefix) + std::to_string(rd()) + std::to_string(rd()));
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno != EEXIST) break;
  }
  if (fd_ < 0)
    throw IoError(location(blobs_dir_.string()) + "cannot create a blob file: " + reason() +
                  "; check that the registry folder is writable");
}

IncomingBlob::~IncomingBlob() {
  if (fd_ >= 0) ::close(fd_);
  if (!done_) ::unlink(temp_.c_str());
}

void IncomingBlob::write(const void* data, std::size_t size) {
  hash_->sha.update(data, size);
  size_ += static_cast<std::int64_t>(size);
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(location(temp_.string()) + "cannot write the blob: " + reason() +
                    "; nothing was registered: free space (or fix the error) and retry");
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

StoredBlob IncomingBlob::install(const std::string& what, const std::string& expected_digest, bool sync) {
  if ((sync && ::fsync(fd_) != 0) || ::close(fd_) != 0) {
    fd_ = -1;
    throw IoError(location(temp_.string()) + "cannot write the blob: " + reason() +
                  "; nothing was registered: free space (or fix the error) and retry");
  }
  fd_ = -1;
  StoredBlob out;
  out.digest = hash_->sha.finish_hex();
  out.size = size_;
  if (!expected_digest.empty() && out.digest != expected_digest)
    throw InputError(what + ": the bytes hash to " + out.digest + ", not to their recorded digest " + expected_digest +
                     "; the copy is damaged");
  try {
    SafetensorsFile check(temp_);
  } catch (const Error& e) {
    throw InputError(what + " is not a readable safetensors file: " + e.what());
  }
  const fs::path target = BlobStore(blobs_dir_).path_of(out.digest);
  std::error_code ec;
  if (fs::is_regular_file(target, ec) && static_cast<std::int64_t>(fs::file_size(target, ec)) == size_ && !ec) {
    return out;  // identical content is already stored; the destructor drops the copy
  }
  fs::create_directories(target.parent_path(), ec);
  if (ec) throw IoError(location(target.parent_path().string()) + "cannot create the blob folder: " + ec.message());
  if (::rename(temp_.c_str(), target.c_str()) != 0)
    throw IoError(location(target.string()) + "cannot store the blob: " + reason());
  done_ = true;
  if (sync) sync_directory(target.parent_path());
  out.written = true;
  return out;
}

fs::path BlobStore::path_of(std::string_view digest) const {
  if (!is_sha256_hex(digest))
    throw InputError(location(dir_.parent_path().string()) +
                     fmt::format("the index names a blob by \"{}\", not a digest (64 lowercase hex digits): the row "
                                 "is damaged; run `taskscout registry verify {}` to see which source, then `taskscout "
                                 "registry rm` it",
                                 printable(digest), dir_.parent_path().string()));
  const std::string name(digest);
  return dir_ / name.substr(0, 2) / (name + std::string(kBlobSuffix));
}

StoredBlob BlobStore::store_file(const fs::path& file, const std::string& what) const {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(location(file.string()) + "cannot open the file: " + reason());
  IncomingBlob blob(dir_);
  std::vector<char> buffer(1 << 20);
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = reason();
      ::close(fd);
      throw IoError(location(file.string()) + "cannot read the file: " + why);
    }
    if (n == 0) break;
    try {
      blob.write(buffer.data(), static_cast<std::size_t>(n));
    } catch (...) {
      ::close(fd);
      throw;
    }
  }
  ::close(fd);
  return blob.install(what);
}

std::vector<fs::path> BlobStore::all_files() const {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec)) out.push_back(it->path());
  if (ec) throw IoError(location(dir_.string()) + "cannot list the blob store: " + ec.message());
  return out;
}

std::optional<std::string> BlobStore::digest_of(const fs::path& file) {
  const std::string name = file.filename().string();
  if (name.size() != 64 + kBlobSuffix.size() || !name.ends_with(kBlobSuffix)) return std::nullopt;
  std::string digest = name.substr(0, 64);
  if (!is_sha256_hex(digest) || file.parent_path().filename() != digest.substr(0, 2)) return std::nullopt;
  return digest;
}

std::int64_t BlobStore::remove(std::string_view digest) const {
  const fs::path p = path_of(digest);
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  const std::int64_t freed = ec ? 0 : static_cast<std::int64_t>(size);
  if (::unlink(p.c_str()) != 0 && errno != ENOENT)
    throw IoError(location(p.string()) + "cannot delete the blob: " + reason());
  fs::remove(p.parent_path(), ec);  // only succeeds when the folder is empty
  return freed;
}

}  // namespace taskscout::registry_detail
