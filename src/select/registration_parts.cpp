// What the two ways of registering a source share (see registration_parts.hpp).
#include "registration_parts.hpp"

#include <fmt/format.h>

#include "taskscout/core/error.hpp"

namespace taskscout::registration {

void check_new_name(const Registry& registry, const std::string& name) {
  const std::string where = location(registry.folder().string());
  check_source_name(name, where);
  if (registry.find(name))
    throw InputError(where + fmt::format("a source named \"{}\" is already registered; choose another name, or remove "
                                         "it first with `taskscout registry rm {} {}`",
                                         name, registry.folder().string(), name));
}

SampledTexts sample_texts(const Dataset& data, std::size_t max, std::uint64_t seed) {
  SampledTexts s;
  for (std::size_t r : sample_rows(data.texts.size(), max, seed)) {
    s.texts.push_back(data.texts[r]);
    if (!data.text_pairs.empty()) s.pairs.push_back(data.text_pairs[r]);
  }
  return s;
}

}  // namespace taskscout::registration
