#pragma once
// A bottleneck adapter's configuration (placement, width, name), without libtorch, so that
// training options can be carried by the public API. The adapter itself: adapter.hpp.
#include <cstdint>
#include <string>

namespace taskscout {

struct BottleneckOptions;  // encoder.hpp

enum class AdapterPlacement { Pfeiffer, Houlsby };

struct AdapterConfig {
  AdapterPlacement placement = AdapterPlacement::Pfeiffer;
  std::int64_t reduction_factor = 16;
  std::string name = "task";  // the adapter's name inside tensor names

  // The bottleneck width: hidden_size / reduction_factor, at least 1 (as the library).
  std::int64_t bottleneck(std::int64_t hidden_size) const;
  // What the encoder needs to run it.
  BottleneckOptions encode_options() const;
};

// "pfeiffer" | "seq_bn" → Pfeiffer, "houlsby" | "double_seq_bn" → Houlsby; else UsageError.
AdapterPlacement parse_adapter_placement(const std::string& text);

}  // namespace taskscout
