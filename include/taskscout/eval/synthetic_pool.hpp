#pragma once
// A synthetic pool of sources and targets with known shared structure, for demos and
// end-to-end tests where no real transfer matrix is at hand.
//
// Every example i has latent factors z_i ~ N(0, I_F). A target depends on a few factors:
// its label is argmax_c (z_i W_t + 0.3·noise)_c, with W_t zero outside its factors. A
// source "captures" a random subset of factors: its features are x_i = A_s z_i + σ_s·noise
// with A_s zero outside that subset, and its model predicts softmax(2·x_i B_s) over its
// own classes (for LEEP/NCE). A source helps a target when it captures the target's
// factors with little noise, so rankings can be checked against that known structure.
#include <cstdint>
#include <string>
#include <vector>

#include "taskscout/core/array.hpp"

namespace taskscout {

struct SyntheticPoolSpec {
  int targets = 3;
  int sources = 10;
  std::int64_t examples = 1000;
  std::int64_t dim = 32;
  int classes = 3;         // per target
  int factors = 8;         // latent factors in all
  int target_factors = 2;  // factors each target depends on
  int source_classes = 5;  // classes of each source model
  std::uint64_t seed = 0;
};

struct SyntheticSource {
  std::string name;
  std::vector<int> factors;  // captured factors
  double noise = 0;          // σ_s
  Array features;            // F32, examples×dim
  Array probs;               // F32, examples×source_classes
};

struct SyntheticTarget {
  std::string name;
  std::vector<int> factors;
  Array labels;  // I64, examples
};

struct SyntheticPool {
  std::vector<SyntheticSource> sources;
  std::vector<SyntheticTarget> targets;
};

SyntheticPool make_synthetic_pool(const SyntheticPoolSpec& spec);

// How many of the target's factors the source captures.
int shared_factors(const SyntheticSource& source, const SyntheticTarget& target);

}  // namespace taskscout
