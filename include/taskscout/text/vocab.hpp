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
  // A token added again takes its new id (as a Rust HashMap insert does); id_to_token
  // keeps the first token given an id. Negative ids → InputError (`where` names the source).
  void add(std::string token, std::int32_t id, const std::string& where);
  std::optional<std::int32_t> find(std::string_view token) const {
    auto it = ids_.find(token);
    return it == ids_.end() ? std::nullopt : std::optional<std::int32_t>(it->second);
  }
  std::optional<std::string> token(std::int32_t id) const;
  // Byte fallback (BPE, Unigram): the ids of the tokens <0x00>…<0xFF> spelling `piece`
  // byte by byte, or nothing when one of them is missing from the vocabulary.
  std::optional<std::vector<std::int32_t>> byte_tokens(std::string_view piece) const;
  std::size_t size() const { return ids_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::int32_t, Hash, std::equal_to<>> ids_;
  std::vector<std::optional<std::string>> tokens_;  // by id
};

// vocab.txt as transformers reads it (load_vocab): one token per line, the id is the line
// number from 0, a later duplicate wins. Only the line end is removed ("\n", and "\r" of
// CRLF files); an empty line is the empty token, which never matches.
Vocab read_vocab_txt(const std::filesystem::path& path);

}  // namespace taskscout::text
