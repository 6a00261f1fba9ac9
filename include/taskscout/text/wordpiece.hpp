#pragma once
// WordPiece (BERT): greedy longest-match-first over the vocabulary. Pieces after the
// first carry continuing_subword_prefix ("##"). A word that cannot be covered, or that
// has more than max_input_chars_per_word code points, becomes the single unk token.
#include "taskscout/text/model.hpp"
#include "taskscout/text/vocab.hpp"

namespace taskscout::text {

struct WordPieceOptions {
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  std::size_t max_input_chars_per_word = 100;
};

class WordPiece : public Model {
 public:
  // Throws InputError when unk_token is not in the vocabulary (`where` names the source).
  WordPiece(Vocab vocab, WordPieceOptions options, const std::string& where);

  void tokenize(std::u32string_view word, std::vector<Token>& out) const override;
  std::optional<std::int32_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  std::optional<std::string> id_to_token(std::int32_t id) const override { return vocab_.token(id); }
  std::size_t vocab_size() const override { return vocab_.size(); }
  const WordPieceOptions& options() const { return options_; }

 private:
  Vocab vocab_;
  WordPieceOptions options_;
  std::int32_t unk_id_;
};

}  // namespace taskscout::text
