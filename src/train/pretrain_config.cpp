#include "taskscout/train/pretrain_config.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/io/json_error.hpp"

namespace taskscout {
namespace {

using json = nlohmann::ordered_json;

struct IntField {
  const char* name;
  std::int64_t PretrainConfig::*member;
  std::int64_t min;
};
struct RealField {
  const char* name;
  double PretrainConfig::*member;
  double min, max;
};

const IntField kInts[] = {
    {"num_hidden_layers", &PretrainConfig::num_hidden_layers, 1},
    {"hidden_size", &PretrainConfig::hidden_size, 1},
    {"num_attention_heads", &PretrainConfig::num_attention_heads, 1},
    {"intermediate_size", &PretrainConfig::intermediate_size, 1},
    {"max_position_embeddings", &PretrainConfig::max_position_embeddings, 2},
    {"vocab_size", &PretrainConfig::vocab_size, 6},
    {"min_frequency", &PretrainConfig::min_frequency, 0},
    {"limit_alphabet", &PretrainConfig::limit_alphabet, 1},
    {"sequence_length", &PretrainConfig::sequence_length, 2},
    {"batch_size", &PretrainConfig::batch_size, 1},
    {"steps", &PretrainConfig::steps, 1},
    {"warmup_steps", &PretrainConfig::warmup_steps, 0},
    {"eval_batches", &PretrainConfig::eval_batches, 1},
    {"eval_every", &PretrainConfig::eval_every, 1},
    {"log_every", &PretrainConfig::log_every, 1},
    {"checkpoint_every", &PretrainConfig::checkpoint_every, 1},
};
const RealField kReals[] = {
    {"learning_rate", &PretrainConfig::learning_rate, 0, 1},
    {"weight_decay", &PretrainConfig::weight_decay, 0, 1},
    {"max_grad_norm", &PretrainConfig::max_grad_norm, 0, 1e30},
    {"mask_probability", &PretrainConfig::mask_probability, 0, 1},
    {"eval_fraction", &PretrainConfig::eval_fraction, 0, 0.5},
};

std::string known_keys() {
  std::string out;
  for (const auto& f : kInts) out += std::string(out.empty() ? "" : ", ") + f.name;
  for (const auto& f : kReals) out += std::string(", ") + f.name;
  return out + ", lowercase, seed";
}

}  // namespace

PretrainConfig parse_pretrain_config(std::string_view text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    throw InputError(location(source) + "malformed JSON: " + json_error_text(e));
  }
  if (!j.is_object()) throw InputError(location(source) + "the pretraining config must be a JSON object");
  PretrainConfig c;
  for (const auto& item : j.items()) {
    const std::string& key = item.key();  // not a structured binding: clang 14's lambdas cannot capture one
    const json& value = item.value();
    auto fail = [&](const std::string& what) {
      throw InputError(location(source) + fmt::format("\"{}\": {}", key, what));
    };
    bool known = false;
    for (const auto& f : kInts) {
      if (key != f.name) continue;
      known = true;
      if (!value.is_number_integer()) fail("must be an integer");
      if (value.get<std::int64_t>() < f.min) fail(fmt::format("must be at least {}", f.min));
      c.*f.member = value.get<std::int64_t>();
    }
    for (const auto& f : kReals) {
      if (key != f.name) continue;
      known = true;
      if (!value.is_number()) fail("must be a number");
      const double v = value.get<double>();
      if (!(v >= f.min && v <= f.max)) fail(fmt::format("must lie in [{}, {}]", f.min, f.max));
      c.*f.member = v;
    }
    if (key == "lowercase") {
      known = true;
      if (!value.is_boolean()) fail("must be true or false");
      c.lowercase = value.get<bool>();
    }
    if (key == "seed") {
      known = true;
      if (!value.is_number_unsigned()) fail("must be a non-negative integer");
      c.seed = value.get<std::uint64_t>();
    }
    if (!known) fail("unknown key; the known keys are " + known_keys());
  }
  if (c.hidden_size % c.num_attention_heads != 0)
    throw InputError(location(source) + fmt::format("hidden_size {} is not divisible by num_attention_heads {}",
                                                    c.hidden_size, c.num_attention_heads));
  if (c.sequence_length > c.max_position_embeddings)
    throw InputError(location(source) +
                     fmt::format("sequence_length {} exceeds max_position_embeddings {}; raise the latter",
                                 c.sequence_length, c.max_position_embeddings));
  if (c.mask_probability <= 0) throw InputError(location(source) + "\"mask_probability\": must be above 0");
  return c;
}

std::string pretrain_config_json(const PretrainConfig& c) {
  json j;
  for (const auto& f : kInts) j[f.name] = c.*f.member;
  for (const auto& f : kReals) j[f.name] = c.*f.member;
  j["lowercase"] = c.lowercase;
  j["seed"] = c.seed;
  return j.dump(1);
}

}  // namespace taskscout
