// ESM files: the check register and import apply before an ESM enters a registry
// (registry/esm_check.hpp), and the loader rank uses (esm/esm.hpp's load_esm, which decodes
// half-precision maps). What the registry accepts, the loader must load, with the same
// dimension: a registered ESM that rank could not read would be a source lost.
#include <optional>

#include "fuzz_support.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/esm/esm.hpp"
#include "taskscout/registry/esm_check.hpp"

using namespace taskscout;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = fuzz::scratch_file("esm.safetensors", data, size);
  std::optional<EsmFileInfo> checked;
  try {
    checked = check_esm_file(path);
  } catch (const Error&) {
  }
  try {
    const Esm esm = load_esm(path);
    if (checked && checked->dim != esm.dim()) __builtin_trap();
  } catch (const Error&) {
    if (checked) __builtin_trap();
  }
  return 0;
}
