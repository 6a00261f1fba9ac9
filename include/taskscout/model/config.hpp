#pragma once
// The encoder hyper-parameters read from a Hugging Face config.json. BERT, RoBERTa and
// XLM-RoBERTa share one config layout; DistilBERT names the same quantities differently
// (dim, n_layers, n_heads, hidden_dim, activation), so both are read into one struct.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace taskscout {

enum class Architecture { Bert, Roberta, XlmRoberta, DistilBert };

// The activation of the feed-forward block: "gelu" is the exact erf form.
enum class Activation { Gelu, GeluTanh, Relu };

struct EncoderConfig {
  Architecture architecture = Architecture::Bert;
  std::string model_type;  // as config.json spells it
  std::int64_t vocab_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t num_layers = 0;
  std::int64_t num_heads = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t max_position_embeddings = 0;
  std::int64_t type_vocab_size = 0;  // 0: no token type embeddings (DistilBERT)
  std::int64_t pad_token_id = 0;
  double layer_norm_eps = 1e-12;
  Activation activation = Activation::Gelu;
  // What a task model adds (empty for a base encoder): the Hugging Face class names
  // ("BertForSequenceClassification"), the class names by id (id2label; one entry "LABEL_0"
  // for regression) and problem_type ("single_label_classification" or "regression").
  std::vector<std::string> architectures;
  std::vector<std::string> labels;
  std::string problem_type;

  bool operator==(const EncoderConfig&) const = default;

  std::int64_t head_dim() const { return hidden_size / num_heads; }
  // The longest sequence (special tokens included) the position embeddings can number.
  std::int64_t max_length() const {
    return positions_after_padding() ? max_position_embeddings - pad_token_id - 1 : max_position_embeddings;
  }
  // RoBERTa and XLM-R number positions from pad_token_id + 1, skipping padding tokens.
  bool positions_after_padding() const {
    return architecture == Architecture::Roberta || architecture == Architecture::XlmRoberta;
  }
};

// "bert, roberta, xlm-roberta, distilbert"
std::string supported_model_types();

// Parses config.json text; `source` (the file) prefixes every error. Throws InputError for
// malformed JSON, an unsupported model_type (naming the supported ones), a missing or
// non-positive size, hidden size not divisible by the head count, an unknown activation,
// a position_embedding_type other than "absolute", or an id2label whose keys are not
// 0…n−1 or whose values are not distinct strings.
EncoderConfig parse_encoder_config(std::string_view json_text, const std::string& source);

// Reads and parses `path` (IoError when it cannot be read).
EncoderConfig read_encoder_config(const std::filesystem::path& path);

// config.json text that parse_encoder_config reads back into an equal EncoderConfig and
// that Hugging Face transformers loads (AutoConfig): the model type's own key names, plus
// architectures, id2label/label2id and problem_type when set.
std::string encoder_config_json(const EncoderConfig& config);

}  // namespace taskscout
