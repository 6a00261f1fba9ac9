#pragma once
// Unigram (sentencepiece, XLM-R): the tokens of a word are the segmentation into vocabulary
// pieces with the highest total log-probability (Viterbi), as the tokenizers crate's
// encode_optimized computes it: a character no piece starts with becomes unk_id with score
// min_score - 10; on equal scores the path found first wins (shorter piece from the same
// start, then the earlier start); unknown runs are fused (fuse_unk, on in HF). With
// byte_fallback an unknown piece becomes its bytes' <0xXX> tokens when all exist.
#include <string>
#include <string_view>
#include <unordered_map>

#include "taskscout/text/model.hpp"
#include "taskscout/text/vocab.hpp"

namespace taskscout::text {

struct UnigramOptions {
  std::optional<std::int32_t> unk_id;
  bool byte_fallback = false;
  bool fuse_unk = true;
};

class Unigram : public Model {
 public:
  // `pieces`: (piece, log-probability) by id. unk_id must be a valid id (InputError naming
  // `where` otherwise).
  Unigram(std::vector<std::pair<std::string, double>> pieces, UnigramOptions options, const std::string& where);

  void tokenize(std::u32string_view word, std::vector<Token>& out) const override;
  std::optional<std::int32_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  std::optional<std::string> id_to_token(std::int32_t id) const override { return vocab_.token(id); }
  std::size_t vocab_size() const override { return vocab_.size(); }

 private:
  std::vector<std::pair<std::string, double>> pieces_;
  Vocab vocab_;
  UnigramOptions options_;
  double min_score_ = 0;
  // Every piece and every code-point prefix of one → the piece's id, or -1 for a prefix
  // only: the search from a start stops at the first string no piece begins with.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::int32_t, Hash, std::equal_to<>> prefixes_;
};

}  // namespace taskscout::text
