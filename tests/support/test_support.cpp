#include "test_support.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace taskscout::testing {

namespace fs = std::filesystem;

fs::path shared_dir() {
  // The environment may point elsewhere (or nowhere, to check that the tests skip).
  const char* env = std::getenv("TASKSCOUT_SHARED_DIR");
  fs::path p = env ? env : TASKSCOUT_SHARED_DIR;
  return fs::is_directory(p / "reference") ? p : fs::path();
}

fs::path fixtures_dir() { return TASKSCOUT_FIXTURES_DIR; }

fs::path taskscout_binary() { return TASKSCOUT_BINARY; }

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    path_ = fs::temp_directory_path() / ("taskscout-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    if (fs::create_directory(path_)) return;
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_text(const fs::path& path, const std::string& text) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

std::string read_text(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

CommandResult run_taskscout(const std::string& args) {
  TempDir tmp;
  const std::string cmd = "'" + taskscout_binary().string() + "' " + args + " </dev/null >'" + (tmp / "out").string() +
                          "' 2>'" + (tmp / "err").string() + "'";
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(tmp / "out");
  r.err = read_text(tmp / "err");
  return r;
}

namespace {

std::string fixture_vocab() {
  std::string v = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  int n = 5;
  for (char c = 'a'; c <= 'z'; ++c, ++n) v += std::string(1, c) + "\n";
  for (char c = 'a'; c <= 'z'; ++c, ++n) v += "##" + std::string(1, c) + "\n";
  for (const char* w : {"the", "movie", "good", "bad", "is", "was", "not", "very", "a", "film", ".", ",", "!", "?"}) {
    v += std::string(w) + "\n";
    ++n;
  }
  for (; n < 120; ++n) v += "[unused" + std::to_string(n) + "]\n";
  return v;
}

}  // namespace

void write_fixture_model(const fs::path& folder, const std::string& fixture) {
  fs::create_directories(folder);
  for (const char* f : {"config.json", "model.safetensors"})
    fs::copy_file(fixtures_dir() / "model" / fixture / f, folder / f);
  write_text(folder / "vocab.txt", fixture_vocab());
}

}  // namespace taskscout::testing
