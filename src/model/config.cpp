#include "taskscout/model/config.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/io/mapped_file.hpp"

namespace taskscout {

namespace {

using nlohmann::json;

struct Reader {
  const json& j;
  const std::string& source;

  [[noreturn]] void fail(const std::string& what) const { throw InputError(location(source) + what); }

  std::int64_t size(const char* key) const {
    auto it = j.find(key);
    if (it == j.end()) fail(fmt::format("\"{}\" is missing", key));
    if (!it->is_number_integer() || it->get<std::int64_t>() <= 0)
      fail(fmt::format("\"{}\" must be a positive integer, not {}", key, it->dump()));
    return it->get<std::int64_t>();
  }
  std::int64_t integer(const char* key, std::int64_t fallback) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0)
      fail(fmt::format("\"{}\" must be a non-negative integer, not {}", key, it->dump()));
    return it->get<std::int64_t>();
  }
  double number(const char* key, double fallback) const {
    auto it = j.find(key);
    if (it == j.end()) return fallback;
    if (!it->is_number() || it->get<double>() <= 0) fail(fmt::format("\"{}\" must be a positive number", key));
    return it->get<double>();
  }
  std::string text(const char* key, const char* fallback) const {
    auto it = j.find(key);
    if (it == j.end()) return fallback;
    if (!it->is_string()) fail(fmt::format("\"{}\" must be a string, not {}", key, it->dump()));
    return it->get<std::string>();
  }
  Activation activation(const char* key) const {
    const std::string name = text(key, "gelu");
    if (name == "gelu") return Activation::Gelu;
    if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::GeluTanh;
    if (name == "relu") return Activation::Relu;
    fail(fmt::format("\"{}\" is \"{}\"; supported: gelu, gelu_new, gelu_pytorch_tanh, relu", key, name));
  }
};

}  // namespace

std::string supported_model_types() { return "bert, roberta, xlm-roberta, distilbert"; }

EncoderConfig parse_encoder_config(std::string_view json_text, const std::string& source) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw InputError(location(source) + "not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw InputError(location(source) + "the config is not a JSON object");
  const Reader r{j, source};

  EncoderConfig c;
  c.model_type = r.text("model_type", "");
  if (c.model_type == "bert") c.architecture = Architecture::Bert;
  else if (c.model_type == "roberta") c.architecture = Architecture::Roberta;
  else if (c.model_type == "xlm-roberta") c.architecture = Architecture::XlmRoberta;
  else if (c.model_type == "distilbert") c.architecture = Architecture::DistilBert;
  else
    r.fail(fmt::format("model_type \"{}\" is not supported; supported: {}", c.model_type, supported_model_types()));

  c.vocab_size = r.size("vocab_size");
  c.max_position_embeddings = r.size("max_position_embeddings");
  if (c.architecture == Architecture::DistilBert) {
    c.hidden_size = r.size("dim");
    c.num_layers = r.size("n_layers");
    c.num_heads = r.size("n_heads");
    c.intermediate_size = r.size("hidden_dim");
    c.type_vocab_size = 0;
    c.pad_token_id = r.integer("pad_token_id", 0);
    c.layer_norm_eps = 1e-12;  // fixed in Hugging Face's DistilBERT
    c.activation = r.activation("activation");
  } else {
    c.hidden_size = r.size("hidden_size");
    c.num_layers = r.size("num_hidden_layers");
    c.num_heads = r.size("num_attention_heads");
    c.intermediate_size = r.size("intermediate_size");
    c.type_vocab_size = r.size("type_vocab_size");
    c.pad_token_id = r.integer("pad_token_id", c.architecture == Architecture::Bert ? 0 : 1);
    c.layer_norm_eps = r.number("layer_norm_eps", 1e-12);
    c.activation = r.activation("hidden_act");
    const std::string positions = r.text("position_embedding_type", "absolute");
    if (positions != "absolute")
      r.fail(fmt::format("position_embedding_type \"{}\" is not supported; only \"absolute\"", positions));
  }
  if (c.hidden_size % c.num_heads != 0)
    r.fail(fmt::format("hidden size {} is not divisible by the {} attention heads", c.hidden_size, c.num_heads));
  if (c.pad_token_id >= c.vocab_size)
    r.fail(fmt::format("pad_token_id {} is outside the vocabulary of {}", c.pad_token_id, c.vocab_size));
  return c;
}

EncoderConfig read_encoder_config(const std::filesystem::path& path) {
  const MappedFile file(path);
  return parse_encoder_config(file.text(), path.string());
}

}  // namespace taskscout
