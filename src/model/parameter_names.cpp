#include "taskscout/model/parameter_names.hpp"

namespace taskscout {

namespace {

bool is_distilbert(Architecture a) { return a == Architecture::DistilBert; }

}  // namespace

EmbeddingNames embedding_names(Architecture a) {
  if (is_distilbert(a))
    return {"embeddings.word_embeddings", "embeddings.position_embeddings", "", "embeddings.LayerNorm"};
  return {"embeddings.word_embeddings", "embeddings.position_embeddings", "embeddings.token_type_embeddings",
          "embeddings.LayerNorm"};
}

std::string layer_prefix(Architecture a) { return is_distilbert(a) ? "transformer.layer." : "encoder.layer."; }

LayerNames layer_names(Architecture a, std::int64_t layer) {
  const std::string p = layer_prefix(a) + std::to_string(layer) + ".";
  if (is_distilbert(a))
    return {p + "attention.q_lin", p + "attention.k_lin", p + "attention.v_lin", p + "attention.out_lin",
            p + "sa_layer_norm",   p + "ffn.lin1",        p + "ffn.lin2",        p + "output_layer_norm"};
  return {p + "attention.self.query",
          p + "attention.self.key",
          p + "attention.self.value",
          p + "attention.output.dense",
          p + "attention.output.LayerNorm",
          p + "intermediate.dense",
          p + "output.dense",
          p + "output.LayerNorm"};
}

std::string pooler_name(Architecture a) { return is_distilbert(a) ? "" : "pooler.dense"; }

std::string checkpoint_prefix(Architecture a) {
  switch (a) {
    case Architecture::Bert:
      return "bert.";
    case Architecture::Roberta:
    case Architecture::XlmRoberta:
      return "roberta.";
    case Architecture::DistilBert:
      return "distilbert.";
  }
  return "";
}

std::vector<ParameterSpec> parameter_specs(const EncoderConfig& c) {
  const std::int64_t d = c.hidden_size, ff = c.intermediate_size;
  std::vector<ParameterSpec> specs;
  auto linear = [&](const std::string& name, std::int64_t out, std::int64_t in, bool required = true) {
    specs.push_back({name + ".weight", {out, in}, required});
    specs.push_back({name + ".bias", {out}, required});
  };
  auto norm = [&](const std::string& name) {
    specs.push_back({name + ".weight", {d}});
    specs.push_back({name + ".bias", {d}});
  };

  const EmbeddingNames e = embedding_names(c.architecture);
  specs.push_back({e.word + ".weight", {c.vocab_size, d}});
  specs.push_back({e.position + ".weight", {c.max_position_embeddings, d}});
  if (!e.token_type.empty()) specs.push_back({e.token_type + ".weight", {c.type_vocab_size, d}});
  norm(e.norm);
  for (std::int64_t i = 0; i < c.num_layers; ++i) {
    const LayerNames l = layer_names(c.architecture, i);
    linear(l.query, d, d);
    linear(l.key, d, d);
    linear(l.value, d, d);
    linear(l.attention_out, d, d);
    norm(l.attention_norm);
    linear(l.ffn_in, ff, d);
    linear(l.ffn_out, d, ff);
    norm(l.output_norm);
  }
  if (const std::string pooler = pooler_name(c.architecture); !pooler.empty()) linear(pooler, d, d, false);
  return specs;
}

}  // namespace taskscout
