#include "taskscout/model/config.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/io/json_error.hpp"
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
  std::vector<std::string> strings(const char* key) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    std::vector<std::string> out;
    if (it->is_array())
      for (const json& v : *it)
        if (v.is_string()) out.push_back(v.get<std::string>());
    if (!it->is_array() || out.size() != it->size())
      fail(fmt::format("\"{}\" must be a list of strings, not {}", key, it->dump()));
    return out;
  }
  // id2label: {"0": "negative", "1": "positive"} → the names in id order.
  std::vector<std::string> id2label() const {
    auto it = j.find("id2label");
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_object()) fail("\"id2label\" must be an object from class ids to names");
    std::vector<std::string> names(it->size());
    std::vector<bool> seen(it->size(), false);
    for (const auto& [key, value] : it->items()) {
      std::size_t id = 0, used = 0;
      try {
        id = std::stoul(key, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != key.size() || key.empty() || key[0] == '-' || id >= names.size() || seen[id])
        fail(fmt::format("\"id2label\" has the key \"{}\"; its keys must be the ids 0 to {}", key, names.size() - 1));
      if (!value.is_string()) fail(fmt::format("\"id2label\"[\"{}\"] must be a string, not {}", key, value.dump()));
      names[id] = value.get<std::string>();
      seen[id] = true;
    }
    for (std::size_t i = 0; i < names.size(); ++i)
      for (std::size_t k = i + 1; k < names.size(); ++k)
        if (names[i] == names[k])
          fail(fmt::format("\"id2label\" names the classes {} and {} both \"{}\"", i, k, names[i]));
    return names;
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
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    throw InputError(location(source) + "not valid JSON: " + json_error_text(e));
  }
  if (!j.is_object()) throw InputError(location(source) + "the config is not a JSON object");
  const Reader r{j, source};

  EncoderConfig c;
  c.model_type = r.text("model_type", "");
  if (c.model_type == "bert")
    c.architecture = Architecture::Bert;
  else if (c.model_type == "roberta")
    c.architecture = Architecture::Roberta;
  else if (c.model_type == "xlm-roberta")
    c.architecture = Architecture::XlmRoberta;
  else if (c.model_type == "distilbert")
    c.architecture = Architecture::DistilBert;
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
  c.architectures = r.strings("architectures");
  c.labels = r.id2label();
  c.problem_type = r.text("problem_type", "");
  if (!c.problem_type.empty() && c.problem_type != "regression" && c.problem_type != "single_label_classification" &&
      c.problem_type != "multi_label_classification")
    r.fail(
        fmt::format("problem_type \"{}\" is not one of regression, single_label_classification, "
                    "multi_label_classification",
                    c.problem_type));
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

std::string encoder_config_json(const EncoderConfig& c) {
  auto activation = [&] {
    switch (c.activation) {
      case Activation::Gelu:
        return "gelu";
      case Activation::GeluTanh:
        return "gelu_new";
      case Activation::Relu:
        return "relu";
    }
    return "gelu";
  };
  json j;
  if (!c.architectures.empty()) j["architectures"] = c.architectures;
  j["model_type"] = c.model_type;
  j["vocab_size"] = c.vocab_size;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["pad_token_id"] = c.pad_token_id;
  if (c.architecture == Architecture::DistilBert) {
    j["dim"] = c.hidden_size;
    j["n_layers"] = c.num_layers;
    j["n_heads"] = c.num_heads;
    j["hidden_dim"] = c.intermediate_size;
    j["activation"] = activation();
    j["sinusoidal_pos_embds"] = false;
  } else {
    j["hidden_size"] = c.hidden_size;
    j["num_hidden_layers"] = c.num_layers;
    j["num_attention_heads"] = c.num_heads;
    j["intermediate_size"] = c.intermediate_size;
    j["type_vocab_size"] = c.type_vocab_size;
    j["layer_norm_eps"] = c.layer_norm_eps;
    j["hidden_act"] = activation();
    j["position_embedding_type"] = "absolute";
  }
  if (!c.labels.empty()) {
    json id2label = json::object(), label2id = json::object();
    for (std::size_t i = 0; i < c.labels.size(); ++i) {
      id2label[std::to_string(i)] = c.labels[i];
      label2id[c.labels[i]] = i;
    }
    j["id2label"] = id2label;
    j["label2id"] = label2id;
  }
  if (!c.problem_type.empty()) j["problem_type"] = c.problem_type;
  j["torch_dtype"] = "float32";
  return j.dump(2) + "\n";
}

}  // namespace taskscout
