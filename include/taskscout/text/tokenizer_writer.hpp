#pragma once
// The tokenizer files of a BERT model folder for a WordPiece vocabulary, as Hugging Face
// saves them (BertTokenizerFast.save_pretrained): tokenizer.json (BertNormalizer,
// BertPreTokenizer, WordPiece, the [CLS] A [SEP] / [CLS] A [SEP] B [SEP] template),
// vocab.txt, tokenizer_config.json and special_tokens_map.json. taskscout's Tokenizer,
// the npm/Python tokenizers and transformers' AutoTokenizer all load them.
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "taskscout/text/normalizer.hpp"

namespace taskscout::text {

struct BertTokenizerSettings {
  BertNormalizerOptions normalizer;
  std::string pad_token = "[PAD]", unk_token = "[UNK]", cls_token = "[CLS]", sep_token = "[SEP]", mask_token = "[MASK]";
  std::string continuing_subword_prefix = "##";
  std::size_t model_max_length = 512;
};

// (file name, contents) of the four files. `vocab` holds the tokens in id order; throws
// InputError when a special token is missing from it or a token repeats.
std::vector<std::pair<std::string, std::string>> bert_tokenizer_files(const std::vector<std::string>& vocab,
                                                                      const BertTokenizerSettings& settings = {});

// Writes them into `dir` (which must exist), each atomically.
void write_bert_tokenizer(const std::filesystem::path& dir, const std::vector<std::string>& vocab,
                          const BertTokenizerSettings& settings = {});

}  // namespace taskscout::text
