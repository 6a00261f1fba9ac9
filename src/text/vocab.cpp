#include "taskscout/text/vocab.hpp"

#include <cstdio>
#include <fstream>

#include "taskscout/core/error.hpp"
#include "taskscout/io/utf8.hpp"

namespace taskscout::text {

void Vocab::add(std::string token, std::int32_t id, const std::string& where) {
  if (id < 0)
    throw InputError(where + "token \"" + token + "\" has negative id " + std::to_string(id) + "; ids start at 0");
  if (static_cast<std::size_t>(id) >= tokens_.size()) tokens_.resize(id + 1);
  if (!tokens_[id]) tokens_[id] = token;
  ids_.insert_or_assign(std::move(token), id);
}

std::optional<std::string> Vocab::token(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size()) return std::nullopt;
  return tokens_[id];
}

Vocab read_vocab_txt(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path.string() + ": cannot open the vocabulary; check the path");
  Vocab vocab;
  std::string line;
  long n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string where = location(path.string(), n);
    if (!is_valid_utf8(line)) throw InputError(where + "invalid UTF-8; re-encode the file");
    vocab.add(line, static_cast<std::int32_t>(n - 1), where);
  }
  if (vocab.size() == 0) throw InputError(path.string() + ": the vocabulary is empty");
  return vocab;
}

std::optional<std::vector<std::int32_t>> Vocab::byte_tokens(std::string_view piece) const {
  std::vector<std::int32_t> ids;
  ids.reserve(piece.size());
  for (unsigned char b : piece) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    auto id = find(name);
    if (!id) return std::nullopt;
    ids.push_back(*id);
  }
  return ids;
}

}  // namespace taskscout::text
