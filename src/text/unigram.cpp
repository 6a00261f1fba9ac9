#include "taskscout/text/unigram.hpp"

#include "taskscout/core/error.hpp"
#include "taskscout/text/unicode.hpp"

namespace taskscout::text {

namespace {
constexpr double kUnkPenalty = 10.0;
// Every prefix of every piece is indexed (the lattice's trie), which costs the square of a
// piece's length: a 60 KB piece in a 160 KB tokenizer.json took 2 GB (found by
// fuzz_tokenizer). Real pieces are short (SentencePiece's default limit is 16 characters).
constexpr std::size_t kMaxPieceBytes = 1024;
}  // namespace

Unigram::Unigram(std::vector<std::pair<std::string, double>> pieces, UnigramOptions options, const std::string& where)
    : pieces_(std::move(pieces)), options_(options) {
  min_score_ = pieces_.empty() ? 0.0 : pieces_[0].second;
  for (std::size_t i = 0; i < pieces_.size(); ++i) {
    vocab_.add(pieces_[i].first, static_cast<std::int32_t>(i), where);
    min_score_ = std::min(min_score_, pieces_[i].second);
    const std::string& p = pieces_[i].first;
    if (p.size() > kMaxPieceBytes)
      throw InputError(where + "piece " + std::to_string(i) + " is " + std::to_string(p.size()) +
                       " bytes long; Unigram pieces of more than " + std::to_string(kMaxPieceBytes) +
                       " bytes are not supported");
    decode_utf8(p, where);  // valid UTF-8, so the prefixes below end on code points
    for (std::size_t k = 1; k < p.size(); ++k)
      if ((static_cast<unsigned char>(p[k]) & 0xC0) != 0x80) prefixes_.emplace(p.substr(0, k), -1);
  }
  for (const auto& [piece, score] : pieces_) prefixes_[piece] = *vocab_.find(piece);
  if (options_.unk_id && (*options_.unk_id < 0 || static_cast<std::size_t>(*options_.unk_id) >= pieces_.size()))
    throw InputError(where + "unk_id " + std::to_string(*options_.unk_id) + " is not an id of the vocabulary (it has " +
                     std::to_string(pieces_.size()) + " pieces)");
}

void Unigram::tokenize(std::u32string_view word, std::vector<Token>& out) const {
  const std::size_t n = word.size();
  if (n == 0) return;
  std::string utf8;
  std::vector<std::uint32_t> at(n + 1);
  for (std::size_t i = 0; i < n; ++i) {
    at[i] = static_cast<std::uint32_t>(utf8.size());
    append_utf8(utf8, word[i]);
  }
  at[n] = static_cast<std::uint32_t>(utf8.size());

  struct Node {
    std::int32_t id = 0;
    double score = 0;
    std::int64_t start = -1;  // -1: not reached yet
  };
  std::vector<Node> best(n + 1);
  const double unk_score = min_score_ - kUnkPenalty;
  for (std::size_t s = 0; s < n; ++s) {
    const double here = best[s].score;
    bool single = false;
    for (std::size_t e = s + 1; e <= n; ++e) {  // prefixes in increasing length, as a trie
      auto it = prefixes_.find(std::string_view(utf8).substr(at[s], at[e] - at[s]));
      if (it == prefixes_.end()) break;
      if (it->second < 0) continue;
      const std::optional<std::int32_t> id = it->second;
      const double candidate = pieces_[static_cast<std::size_t>(*id)].second + here;
      Node& target = best[e];
      if (target.start < 0 || candidate > target.score) {
        target = {*id, candidate, static_cast<std::int64_t>(s)};
      }
      if (e == s + 1) single = true;
    }
    if (!single) {
      Node& target = best[s + 1];
      const double candidate = unk_score + here;
      if (target.start < 0 || candidate > target.score) {
        if (!options_.unk_id)
          throw InputError(
              "the Unigram model has no unk_id and a character is not in its "
              "vocabulary; set unk_id");
        target = {*options_.unk_id, candidate, static_cast<std::int64_t>(s)};
      }
    }
  }
  // Back from the end: pieces (begin, end) in code points, unknown runs fused.
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::optional<std::pair<std::size_t, std::size_t>> unk;
  for (std::size_t e = n; e > 0;) {
    const Node& node = best[e];
    const auto s = static_cast<std::size_t>(node.start);
    if (options_.fuse_unk && options_.unk_id && node.id == *options_.unk_id) {
      unk = unk ? std::pair{s, unk->second} : std::pair{s, e};
    } else {
      if (unk) spans.push_back(*unk), unk.reset();
      spans.emplace_back(s, e);
    }
    e = s;
  }
  if (unk) spans.push_back(*unk);
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    const auto [s, e] = *it;
    const std::string_view piece = std::string_view(utf8).substr(at[s], at[e] - at[s]);
    const auto b = static_cast<std::uint32_t>(s), end = static_cast<std::uint32_t>(e);
    if (auto id = vocab_.find(piece)) {
      out.push_back({*id, b, end});
      continue;
    }
    if (options_.byte_fallback) {
      if (auto ids = vocab_.byte_tokens(piece)) {
        for (auto id : *ids) out.push_back({id, b, end});
        continue;
      }
    }
    if (!options_.unk_id) throw InputError("the Unigram model has no unk_id and a piece is not in its vocabulary");
    out.push_back({*options_.unk_id, b, end});
  }
}

}  // namespace taskscout::text
