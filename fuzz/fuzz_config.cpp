// config.json of a Hugging Face model folder (model/config.hpp; config.cpp needs no
// libtorch, so it is built alone here).
#include "fuzz_support.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/model/config.hpp"

using namespace taskscout;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  try {
    const EncoderConfig c = parse_encoder_config(json, "config.json");
    (void)c.head_dim();
    (void)c.max_length();
    // What taskscout writes back must parse again to the same config.
    const EncoderConfig again = parse_encoder_config(encoder_config_json(c), "written config.json");
    if (!(again == c)) __builtin_trap();
  } catch (const Error&) {
  }
  return 0;
}
