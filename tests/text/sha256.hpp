#pragma once
// Token ids hashed the way the oracle scripts hash them (make_fixtures.js hashIds): the
// count, then the ids, each uint32 little-endian, through SHA-256.
#include <cstdint>
#include <string>
#include <vector>

#include "taskscout/core/sha256.hpp"

namespace taskscout::testing {

class Sha256 : public taskscout::Sha256 {
 public:
  void update_ids(const std::vector<std::int32_t>& ids) {
    put32(static_cast<std::uint32_t>(ids.size()));
    for (auto id : ids) put32(static_cast<std::uint32_t>(id));
  }
  std::string hex() { return finish_hex(); }

 private:
  void put32(std::uint32_t v) {
    const unsigned char le[4] = {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8),
                                 static_cast<unsigned char>(v >> 16), static_cast<unsigned char>(v >> 24)};
    update(le, 4);
  }
};

}  // namespace taskscout::testing
