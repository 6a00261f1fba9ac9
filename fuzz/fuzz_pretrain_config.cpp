// The pretraining config (train/pretrain_config.hpp): `taskscout pretrain --config`. What
// it accepts, written back by pretrain_config_json, must parse to the same config (the
// checkpoint's trainer state stores it so, and a resumed run compares it).
#include "fuzz_support.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/train/pretrain_config.hpp"

using namespace taskscout;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  try {
    const PretrainConfig c = parse_pretrain_config(json, "config.json");
    const std::string written = pretrain_config_json(c);
    if (pretrain_config_json(parse_pretrain_config(written, "written config.json")) != written) __builtin_trap();
  } catch (const Error&) {
  }
  return 0;
}
