// ESM files (registry/esm_check.hpp): the check register and import apply before an ESM
// enters a registry. (The esm module's load_esm, which needs libtorch, reads the same
// safetensors container, fuzzed by fuzz_safetensors, and checks the same shapes.)
#include "fuzz_support.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/registry/esm_check.hpp"

using namespace taskscout;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = fuzz::scratch_file("esm.safetensors", data, size);
  try {
    const EsmFileInfo info = check_esm_file(path);
    (void)info.dim;
  } catch (const Error&) {
  }
  return 0;
}
