#pragma once
// What the two ways of registering a source share: registration.cpp (fine-tune here) and
// esm_registration.cpp (an ESM trained elsewhere).
#include <cstdint>
#include <string>
#include <vector>

#include "taskscout/io/dataset.hpp"
#include "taskscout/registry/registry.hpp"

namespace taskscout::registration {

// InputError when `name` is not a valid source name or is already registered. Registry::add
// checks again under the write lock; checking first spares the long work before it.
void check_new_name(const Registry& registry, const std::string& name);

// A seeded sample of up to `max` rows' texts (and their pairs, when the dataset has them),
// in row order: the texts a registration embeds and counts tokens of.
struct SampledTexts {
  std::vector<std::string> texts, pairs;
};
SampledTexts sample_texts(const Dataset& data, std::size_t max, std::uint64_t seed);

}  // namespace taskscout::registration
