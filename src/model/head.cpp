#include "taskscout/model/head.hpp"

#include <fmt/format.h>

#include "taskscout/core/array.hpp"
#include "taskscout/core/error.hpp"

namespace taskscout {

namespace {

bool is_roberta(Architecture a) { return a == Architecture::Roberta || a == Architecture::XlmRoberta; }

// The architecture whose head arithmetic and names apply: the flex head is RoBERTa's.
Architecture head_architecture(const EncoderConfig& c, HeadStyle style) {
  return style == HeadStyle::Flex ? Architecture::Roberta : c.architecture;
}

// The hidden layer of the head: "pre_classifier" (DistilBERT), "classifier.dense"
// (RoBERTa) or, for BERT, the encoder's pooler.
std::string hidden_module(Architecture a) {
  if (a == Architecture::DistilBert) return "pre_classifier";
  if (is_roberta(a)) return "classifier.dense";
  return pooler_name(a);
}

std::string output_module(Architecture a) { return is_roberta(a) ? "classifier.out_proj" : "classifier"; }

const at::Tensor& lookup(const ParameterMap& m, const std::string& name, const char* which) {
  auto it = m.find(name);
  if (it == m.end()) throw InputError(fmt::format("the {} parameter \"{}\" is missing", which, name));
  return it->second;
}

}  // namespace

std::string sequence_classification_class(Architecture a) {
  switch (a) {
    case Architecture::Bert:
      return "BertForSequenceClassification";
    case Architecture::Roberta:
      return "RobertaForSequenceClassification";
    case Architecture::XlmRoberta:
      return "XLMRobertaForSequenceClassification";
    case Architecture::DistilBert:
      return "DistilBertForSequenceClassification";
  }
  return "";
}

std::vector<ParameterSpec> head_specs(const EncoderConfig& c, std::int64_t num_labels, HeadStyle style) {
  if (num_labels < 1) throw UsageError(fmt::format("a head needs at least one output, not {}", num_labels));
  const Architecture a = head_architecture(c, style);
  const std::int64_t d = c.hidden_size;
  std::vector<ParameterSpec> specs;
  if (a != Architecture::Bert) {
    specs.push_back({hidden_module(a) + ".weight", {d, d}});
    specs.push_back({hidden_module(a) + ".bias", {d}});
  }
  specs.push_back({output_module(a) + ".weight", {num_labels, d}});
  specs.push_back({output_module(a) + ".bias", {num_labels}});
  return specs;
}

ParameterMap init_head(const EncoderConfig& c, std::int64_t num_labels, std::uint64_t seed, const ParameterMap& encoder,
                       HeadStyle style) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<ParameterSpec> specs = head_specs(c, num_labels, style);
  if (head_architecture(c, style) == Architecture::Bert &&
      encoder.count(pooler_name(c.architecture) + ".weight") == 0) {
    specs.insert(specs.begin(), {pooler_name(c.architecture) + ".bias", {c.hidden_size}});
    specs.insert(specs.begin(), {pooler_name(c.architecture) + ".weight", {c.hidden_size, c.hidden_size}});
  }
  ParameterMap head;
  for (const ParameterSpec& s : specs) {
    const bool is_bias = s.name.size() >= 5 && s.name.compare(s.name.size() - 5, 5, ".bias") == 0;
    head[s.name] = is_bias ? at::zeros(s.shape, at::kFloat) : at::normal(0.0, 0.02, s.shape, generator);
  }
  return head;
}

std::int64_t check_head(const EncoderConfig& c, const ParameterMap& head, const std::string& source, HeadStyle style) {
  const Architecture a = head_architecture(c, style);
  const std::string out = output_module(a) + ".weight";
  auto it = head.find(out);
  if (it == head.end() || it->second.dim() != 2)
    throw InputError(location(source) + fmt::format("the classification head \"{}\" is missing or not a matrix; "
                                                    "is this a {} model?",
                                                    out, sequence_classification_class(a)));
  const std::int64_t num_labels = it->second.size(0);
  for (const ParameterSpec& s : head_specs(c, num_labels, style)) {
    auto t = head.find(s.name);
    if (t == head.end()) throw InputError(location(source) + fmt::format("the head tensor \"{}\" is missing", s.name));
    if (t->second.sizes().vec() != s.shape)
      throw InputError(location(source) + fmt::format("the head tensor \"{}\" has shape {} but {} outputs over "
                                                      "hidden size {} need {}",
                                                      s.name, shape_string(t->second.sizes().vec()), num_labels,
                                                      c.hidden_size, shape_string(s.shape)));
  }
  return num_labels;
}

at::Tensor classification_logits(const EncoderConfig& c, const ParameterMap& encoder, const ParameterMap& head,
                                 const at::Tensor& hidden, HeadStyle style) {
  const Architecture a = head_architecture(c, style);
  const at::Tensor first = hidden.select(1, 0);  // [B, D]: [CLS] / <s>
  const std::string inner = hidden_module(a);
  const ParameterMap& inner_map = a == Architecture::Bert ? encoder : head;
  const char* which = a == Architecture::Bert ? "encoder (pooler)" : "head";
  at::Tensor x =
      at::linear(first, lookup(inner_map, inner + ".weight", which), lookup(inner_map, inner + ".bias", which));
  x = a == Architecture::DistilBert ? at::relu(x) : at::tanh(x);
  const std::string out = output_module(a);
  return at::linear(x, lookup(head, out + ".weight", "head"), lookup(head, out + ".bias", "head"));
}

at::Tensor classification_loss(const at::Tensor& logits, const at::Tensor& labels, const at::Tensor& class_weights) {
  if (logits.size(1) == 1) return at::mse_loss(logits.select(1, 0), labels.to(logits.scalar_type()));
  return at::cross_entropy_loss(logits, labels.to(at::kLong), class_weights);
}

}  // namespace taskscout
