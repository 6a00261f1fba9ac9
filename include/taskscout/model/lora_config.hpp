#pragma once
// A LoRA's configuration (rank, alpha, target modules), without libtorch, so that training
// options can be carried by the public API. The LoRA itself: lora.hpp.
#include <cstdint>
#include <string>
#include <vector>

namespace taskscout {

struct LoraConfig {
  std::int64_t rank = 8;
  double alpha = 16;
  // Module names matched as PEFT matches them: a module is targeted when its path equals
  // a target or ends with "." + target ("query", "value", "attention.output.dense").
  std::vector<std::string> target_modules;  // empty: default_lora_targets

  double scaling() const { return alpha / static_cast<double>(rank); }
};

}  // namespace taskscout
