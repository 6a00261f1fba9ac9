#pragma once
// A private temporary folder (mkdtemp under the system's temporary directory),
// removed with everything in it when the object goes: for work whose
// intermediate files must not outlive it, even when an exception ends the work.
#include <filesystem>
#include <string>

namespace taskscout {

class ScratchDir {
 public:
  // `prefix` names the folder ("taskscout-register" →
  // /tmp/taskscout-register-XXXXXX). IoError when it cannot be created.
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace taskscout
