// model.safetensors.index.json of a sharded model folder (io/shard_index.hpp: the encoder
// loader and the base fingerprint both read it through parse_shard_index).
#include "fuzz_support.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/shard_index.hpp"

using namespace taskscout;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  try {
    for (const auto& [name, file] : parse_shard_index(json, "model.safetensors.index.json"))
      // What it accepts names a file inside the folder.
      if (file.empty() || file == "." || file == ".." || file.find('/') != std::string::npos) __builtin_trap();
  } catch (const Error&) {
  }
  return 0;
}
