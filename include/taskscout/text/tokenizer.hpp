#pragma once
// A Hugging Face tokenizer: added tokens → normalizer → pre-tokenizer → model →
// truncation → post-processor, read from tokenizer.json or from a BERT folder's vocab.txt
// + tokenizer_config.json. Ids are those of the official `tokenizers` library (tested on
// every text of the shared tasks and on a corpus of hard strings).
//
// Supported (anything else in tokenizer.json is an InputError naming the file, the JSON
// path and these lists):
//   normalizer     BertNormalizer, Precompiled (sentencepiece charsmap), NFD, NFC, NFKD,
//                  NFKC, Lowercase, StripAccents, Replace (String or a regex subset, see
//                  pattern.hpp), Prepend, Strip, Sequence, null
//   pre_tokenizer  BertPreTokenizer, Whitespace, WhitespaceSplit, ByteLevel, Metaspace,
//                  Split (String or the regex subset), Punctuation, Digits,
//                  CharDelimiterSplit, Sequence, null
//   model          WordPiece, BPE (dropout null), Unigram
//   post_processor BertProcessing, RobertaProcessing, ByteLevel, TemplateProcessing, null
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "taskscout/text/added_tokens.hpp"
#include "taskscout/text/encoding.hpp"
#include "taskscout/text/model.hpp"
#include "taskscout/text/normalizer.hpp"
#include "taskscout/text/post_processor.hpp"
#include "taskscout/text/pre_tokenizer.hpp"

namespace taskscout::text {

struct TruncationOptions {
  enum class Strategy { LongestFirst, OnlyFirst, OnlySecond };
  std::size_t max_length = 512;  // counts the special tokens too
  Strategy strategy = Strategy::LongestFirst;
  Side side = Side::Right;  // which end loses tokens
};

struct EncodeOptions {
  bool add_special_tokens = true;
  bool offsets = false;  // fill Encoding::offsets
};

class Tokenizer {
 public:
  // tokenizer.json. Missing/unreadable → IoError; malformed or unsupported → InputError.
  static Tokenizer from_file(const std::filesystem::path& path);
  // `json` is tokenizer.json's text; `path` names it in messages.
  static Tokenizer from_json(std::string_view json, const std::string& path);
  // A model folder: tokenizer.json when present, else vocab.txt (+ tokenizer_config.json).
  static Tokenizer from_folder(const std::filesystem::path& dir);
  // A BERT vocab.txt with the settings of tokenizer_config.json (do_lower_case,
  // strip_accents, tokenize_chinese_chars, the special tokens); `config` may be empty.
  static Tokenizer from_vocab(const std::filesystem::path& vocab_txt, const std::filesystem::path& config = {});

  // `text` must be valid UTF-8 (InputError otherwise; `what` names it, e.g. "data.csv:7").
  // An empty text (or one the normalizer empties) gives just the special tokens.
  // encode is const and keeps no state: threads may share one Tokenizer.
  // Truncation, when set, drops tokens and counts them in Encoding::truncated.
  Encoding encode(std::string_view text, const EncodeOptions& options = {}, std::string_view what = "text") const;
  Encoding encode_pair(std::string_view first, std::string_view second, const EncodeOptions& options = {},
                       std::string_view what = "text") const;
  // encode() every text, then pad() as padding() says (Longest when unset).
  BatchEncoding encode_batch(std::span<const std::string> texts) const;

  const std::optional<TruncationOptions>& truncation() const { return truncation_; }
  void set_truncation(std::optional<TruncationOptions> t) { truncation_ = t; }
  const std::optional<PaddingOptions>& padding() const { return padding_; }
  void set_padding(std::optional<PaddingOptions> p) { padding_ = p; }

  std::optional<std::int32_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(std::int32_t id) const;
  std::size_t vocab_size() const;

  // Assembly, for loaders and tests; a null normalizer/pre-tokenizer/processor is skipped.
  Tokenizer(std::unique_ptr<Model> model, std::unique_ptr<Normalizer> normalizer,
            std::unique_ptr<PreTokenizer> pre_tokenizer, std::optional<TemplateProcessing> post_processor,
            AddedTokens added = {});

 private:
  Encoding encode_one(std::string_view text, bool offsets, std::string_view what) const;
  void trim_offsets(Encoding& e, bool offsets) const;  // the processor's trim_offsets

  std::unique_ptr<Model> model_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::optional<TemplateProcessing> post_processor_;
  AddedTokens added_;
  std::optional<TruncationOptions> truncation_;
  std::optional<PaddingOptions> padding_;
};

// One tokenizer.json "normalizer" or "pre_tokenizer" object (its JSON text) on its own, as
// Tokenizer::from_json reads it; `where` names it in InputError messages.
std::unique_ptr<Normalizer> normalizer_from_json(std::string_view json, const std::string& where);
std::unique_ptr<PreTokenizer> pre_tokenizer_from_json(std::string_view json, const std::string& where);

}  // namespace taskscout::text
