#pragma once
// One exception hierarchy for everything the user can act on. what() is the complete
// one-line message: what is wrong, where (file, line, column, source id) and what to do.
// The CLI prints it as "error: <what()>" and exits non-zero.
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace taskscout {

// An option of a library call, named in an error message: opt("learning_rate"). what()
// reads it as that name (the Python keyword; "fine_tune.max_length" for a field of a nested
// struct), and a front end spells it as its own with Error::message (the CLI:
// --learning-rate). Two ASCII control characters mark it; they never occur in names.
std::string opt(std::string_view name);

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message);
  // The message with every option spelled by `spell`.
  std::string message(const std::function<std::string(std::string_view option)>& spell) const;

 private:
  std::string marked_;  // the message with the options' marks kept
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

// The caller stopped a long call (Ctrl-C in the CLI, KeyboardInterrupt in Python), through
// a progress callback. Whatever the call was writing is cleaned up, as for any failure.
class Cancelled : public Error {
 public:
  Cancelled() : Error("interrupted") {}
};

// A broken invariant of taskscout itself, not something the user can fix: a bug to report.
// Not an Error, so code that handles the user's mistakes never swallows it.
class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& what) : std::logic_error(what) {}
};

// "path:line: " or "path: " — the location prefix used by every input error.
std::string location(const std::string& path, long line = 0, long column = 0);

}  // namespace taskscout
