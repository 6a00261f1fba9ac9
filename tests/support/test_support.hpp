#pragma once
// Helpers shared by the test programs.
#include <filesystem>
#include <string>

namespace taskscout::testing {

// ../shared, or an empty path when it is absent (tests then GTEST_SKIP with a reason).
std::filesystem::path shared_dir();
std::filesystem::path fixtures_dir();
// The built taskscout binary, for end-to-end CLI tests.
std::filesystem::path taskscout_binary();

// A fresh empty directory under the system temp dir, removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_text(const std::filesystem::path& path, const std::string& text);
// A model folder at `folder` made of the fixture checkpoint tests/fixtures/model/<fixture>
// (config.json, model.safetensors) and the 120-token WordPiece vocabulary they share.
void write_fixture_model(const std::filesystem::path& folder, const std::string& fixture);
std::string read_text(const std::filesystem::path& path);

struct CommandResult {
  int exit_code = 0;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs `taskscout <args>` (args already shell-quoted) with no standard input.
CommandResult run_taskscout(const std::string& args);

}  // namespace taskscout::testing

#define TASKSCOUT_REQUIRE_SHARED()                                                         \
  do {                                                                                     \
    if (taskscout::testing::shared_dir().empty())                                          \
      GTEST_SKIP() << "../shared is absent: reference-value tests need the shared folder " \
                      "beside the checkout";                                               \
  } while (0)
