// The interposed libc calls (see fault_layer.hpp). Each resolves the real function with
// dlsym(RTLD_NEXT) and, while armed, decides by the path of the file concerned (for a file
// descriptor, /proc/self/fd/N) whether the call counts.
#include "fault_layer.hpp"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/sendfile.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace taskscout::faults {
namespace {

struct State {
  std::mutex mutex;
  std::atomic<bool> armed{false};
  std::string folder;  // absolute, with a trailing '/'
  Kind kind = Kind::Write;
  long fail_at = 0;
  int error = 0;
  long counts[kKinds] = {};
  bool fired = false;
};

State& state() {
  static State s;
  return s;
}

bool under(const std::string& path) {
  const std::string& f = state().folder;
  return path.compare(0, f.size(), f) == 0;
}

std::string absolute(const char* path) {
  if (!path) return {};
  if (path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd)) return path;
  return std::string(cwd) + "/" + path;
}

std::string fd_path(int fd) {
  char link[64], target[PATH_MAX];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
}

// True when the call must fail (errno is then set).
bool inject(Kind kind, const std::string& path) {
  State& s = state();
  if (!s.armed.load() || !under(path)) return false;
  std::lock_guard lock(s.mutex);
  const long n = ++s.counts[static_cast<int>(kind)];
  static const bool trace = std::getenv("TASKSCOUT_FAULT_TRACE") != nullptr;  // which call is which step
  if (trace) std::fprintf(stderr, "fault layer: %s #%ld %s\n", kind_name(kind), n, path.c_str());
  if (s.fail_at > 0 && kind == s.kind && n == s.fail_at) {
    s.fired = true;
    errno = s.error;
    return true;
  }
  return false;
}

bool inject_fd(Kind kind, int fd) { return state().armed.load() && inject(kind, fd_path(fd)); }

template <typename F>
F real(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::Write:
      return "write";
    case Kind::Sync:
      return "fsync";
    case Kind::Rename:
      return "rename";
    case Kind::Unlink:
      return "unlink";
  }
  return "?";
}

void arm(const std::filesystem::path& folder, Kind kind, long fail_at, int error) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.folder = std::filesystem::weakly_canonical(folder).string() + "/";
  s.kind = kind;
  s.fail_at = fail_at;
  s.error = error;
  s.fired = false;
  for (long& c : s.counts) c = 0;
  s.armed = true;
}

void disarm() { state().armed = false; }
long count(Kind kind) { return state().counts[static_cast<int>(kind)]; }
bool fired() { return state().fired; }

}  // namespace taskscout::faults

using taskscout::faults::inject;
using taskscout::faults::inject_fd;
using taskscout::faults::Kind;
using taskscout::faults::real;

extern "C" {

ssize_t write(int fd, const void* buf, size_t n) {
  static auto f = real<ssize_t (*)(int, const void*, size_t)>("write");
  return inject_fd(Kind::Write, fd) ? -1 : f(fd, buf, n);
}
ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset) {
  static auto f = real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  return inject_fd(Kind::Write, fd) ? -1 : f(fd, buf, n, offset);
}
ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t offset) {
  static auto f = real<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64");
  return inject_fd(Kind::Write, fd) ? -1 : f(fd, buf, n, offset);
}
ssize_t sendfile(int out, int in, off_t* offset, size_t n) {
  static auto f = real<ssize_t (*)(int, int, off_t*, size_t)>("sendfile");
  return inject_fd(Kind::Write, out) ? -1 : f(out, in, offset, n);
}
ssize_t copy_file_range(int in, off64_t* in_off, int out, off64_t* out_off, size_t n, unsigned flags) {
  static auto f = real<ssize_t (*)(int, off64_t*, int, off64_t*, size_t, unsigned)>("copy_file_range");
  return inject_fd(Kind::Write, out) ? -1 : f(in, in_off, out, out_off, n, flags);
}
int fsync(int fd) {
  static auto f = real<int (*)(int)>("fsync");
  return inject_fd(Kind::Sync, fd) ? -1 : f(fd);
}
int fdatasync(int fd) {
  static auto f = real<int (*)(int)>("fdatasync");
  return inject_fd(Kind::Sync, fd) ? -1 : f(fd);
}
int syncfs(int fd) {
  static auto f = real<int (*)(int)>("syncfs");
  return inject_fd(Kind::Sync, fd) ? -1 : f(fd);
}
int rename(const char* from, const char* to) {
  static auto f = real<int (*)(const char*, const char*)>("rename");
  return inject(Kind::Rename, taskscout::faults::absolute(to)) ? -1 : f(from, to);
}
int renameat(int from_dir, const char* from, int to_dir, const char* to) {
  static auto f = real<int (*)(int, const char*, int, const char*)>("renameat");
  const bool plain = to_dir == AT_FDCWD || (to && to[0] == '/');
  return plain && inject(Kind::Rename, taskscout::faults::absolute(to)) ? -1 : f(from_dir, from, to_dir, to);
}
int unlink(const char* path) {
  static auto f = real<int (*)(const char*)>("unlink");
  return inject(Kind::Unlink, taskscout::faults::absolute(path)) ? -1 : f(path);
}
int remove(const char* path) {
  static auto f = real<int (*)(const char*)>("remove");
  return inject(Kind::Unlink, taskscout::faults::absolute(path)) ? -1 : f(path);
}
int rmdir(const char* path) {
  static auto f = real<int (*)(const char*)>("rmdir");
  return inject(Kind::Unlink, taskscout::faults::absolute(path)) ? -1 : f(path);
}

}  // extern "C"
