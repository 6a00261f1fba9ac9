#pragma once
// Token string ↔ id tables, looked up by string_view without allocating.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace taskscout::text {

class Vocab {
 public:
  Vocab() = default;
  // Ids must be unique; `where` names the source in errors.
  void add(std::string token, std::int32_t id, const std::string& where);
  std::optional<std::int32_t> find(std::string_view token) const {
    auto it = ids_.find(token);
    return it == ids_.end() ? std::nullopt : std::optional<std::int32_t>(it->second);
  }
  std::optional<std::string> token(std::int32_t id) const;
  std::size_t size() const { return ids_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::int32_t, Hash, std::equal_to<>> ids_;
  std::vector<std::string> tokens_;  // by id; empty where no token has the id
};

// vocab.txt: one token per line, the id is the line number from 0. A trailing "\r" is
// removed; an empty line is an error (HF would give it the empty token, never matched).
Vocab read_vocab_txt(const std::filesystem::path& path);

}  // namespace taskscout::text
