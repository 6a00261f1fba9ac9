#pragma once
// Shared by the libFuzzer harnesses: each input is written to a scratch file (the parsers
// read files, as the commands do) in a per-process folder on tmpfs when there is one.
//
// The oracle: a parser may refuse an input only with taskscout::Error (what the CLI prints
// as one `error:` line). Anything else escapes the harness and libFuzzer reports it: a crash,
// a sanitizer finding, an uncaught std::exception (the CLI's "internal error", exit 3), a
// timeout or an out-of-memory.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace taskscout::fuzz {

inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::error_code ec;
    const std::filesystem::path root =
        std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : std::filesystem::temp_directory_path();
    std::filesystem::path d = root / ("taskscout-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir(), ignored);
    });
    return d;
  }();
  return dir;
}

// Writes the bytes to scratch_dir()/name and returns the path.
inline std::filesystem::path scratch_file(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path path = scratch_dir() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace taskscout::fuzz
