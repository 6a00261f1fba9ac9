#include "taskscout/io/scratch_dir.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>

#include "taskscout/core/error.hpp"

namespace taskscout {

namespace fs = std::filesystem;

ScratchDir::ScratchDir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data()))
    throw IoError(location(fs::temp_directory_path().string()) +
                  "cannot create a temporary folder: " + std::strerror(errno));
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace taskscout
