#include "taskscout/core/error.hpp"

#include <fmt/format.h>

namespace taskscout {
namespace {

constexpr char kOpen = '\x1e', kClose = '\x1f';

std::string spelled(const std::string& marked, const std::function<std::string(std::string_view)>& spell) {
  std::string out;
  out.reserve(marked.size());
  for (std::size_t i = 0; i < marked.size(); ++i) {
    const std::size_t close = marked[i] == kOpen ? marked.find(kClose, i) : std::string::npos;
    if (close == std::string::npos) {
      out += marked[i];
      continue;
    }
    const std::string_view name(marked.data() + i + 1, close - i - 1);
    out += spell ? spell(name) : std::string(name);
    i = close;
  }
  return out;
}

}  // namespace

std::string opt(std::string_view name) { return kOpen + std::string(name) + kClose; }

Error::Error(const std::string& message) : std::runtime_error(spelled(message, {})), marked_(message) {}

std::string Error::message(const std::function<std::string(std::string_view)>& spell) const {
  return spelled(marked_, spell);
}

std::string location(const std::string& path, long line, long column) {
  if (line <= 0) return fmt::format("{}: ", path);
  if (column <= 0) return fmt::format("{}:{}: ", path, line);
  return fmt::format("{}:{}:{}: ", path, line, column);
}

}  // namespace taskscout
