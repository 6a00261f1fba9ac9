#include "taskscout/core/error.hpp"

#include <fmt/format.h>

namespace taskscout {

std::string location(const std::string& path, long line, long column) {
  if (line <= 0) return fmt::format("{}: ", path);
  if (column <= 0) return fmt::format("{}:{}: ", path, line);
  return fmt::format("{}:{}:{}: ", path, line, column);
}

}  // namespace taskscout
