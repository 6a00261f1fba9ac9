#pragma once
// One exception hierarchy for everything the user can act on. what() is the complete
// one-line message: what is wrong, where (file, line, column, source id) and what to do.
// The CLI prints it as "error: <what()>" and exits non-zero.
#include <stdexcept>
#include <string>

namespace taskscout {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Wrong command-line usage: an unknown method, contradictory flags.
class UsageError : public Error {
 public:
  using Error::Error;
};

// A file that cannot be opened, read, written or renamed.
class IoError : public Error {
 public:
  using Error::Error;
};

// Contents that are malformed or inconsistent: a bad CSV row, a lying safetensors
// header, mismatched row counts, non-finite features.
class InputError : public Error {
 public:
  using Error::Error;
};

// "path:line: " or "path: " — the location prefix used by every input error.
std::string location(const std::string& path, long line = 0, long column = 0);

}  // namespace taskscout
