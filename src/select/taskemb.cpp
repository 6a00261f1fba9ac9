// TaskEmb: Fisher task embeddings (see taskemb.hpp).
#include "taskscout/select/taskemb.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/io/safetensors.hpp"

namespace taskscout {

at::Tensor task_embedding(const TaskModel& model, text::Tokenizer& tokenizer, const Dataset& data,
                          const TaskEmbOptions& o) {
  if (o.batch_size == 0) throw UsageError("the TaskEmb batch size must be at least 1");
  if (data.size() == 0) throw InputError(location(data.path) + "no labelled rows to compute the task embedding on");
  const bool regression = data.kind == LabelKind::Regression;
  if (regression != model.regression())
    throw InputError(location(data.path) + fmt::format("the data is {} but the model is a {}; they must agree",
                                                       regression ? "regression" : "classification",
                                                       model.regression() ? "regressor" : "classifier"));
  const std::int64_t classes = model.num_labels();
  if (!regression)
    for (std::int64_t id : data.label_ids)
      if (id < 0 || id >= classes)
        throw InputError(location(data.path) +
                         fmt::format("label id {} is beyond the model's {} classes", id, classes));

  const Dataset sample = select_rows(data, sample_rows(data.size(), o.max_examples, o.seed));
  const TokenizedTexts tokens = tokenize_texts(tokenizer, sample.texts, sample.text_pairs,
                                               o.max_length > 0 ? o.max_length : model.max_length, data.path);
  at::Tensor fisher;  // [L+1, D]
  for (std::size_t start = 0; start < sample.size(); start += o.batch_size) {
    std::vector<std::size_t> rows(std::min(o.batch_size, sample.size() - start));
    std::iota(rows.begin(), rows.end(), start);
    const at::Tensor part =
        batch_fisher(model, make_batch(tokens, rows, model.config.pad_token_id), batch_labels(sample, rows));
    fisher = fisher.defined() ? fisher + part : part;
  }
  fisher /= static_cast<double>(sample.size());
  if (!at::isfinite(fisher).all().item<bool>())
    throw InputError(location(data.path) + "the task embedding is not finite: the model's loss overflows on this data");
  return fisher;
}

at::Tensor batch_fisher(const TaskModel& model, const Batch& batch, const at::Tensor& labels) {
  // Parameters that require gradients put every hidden state in the autograd graph; they
  // are views of the model's tensors, so nothing is copied and the model is not changed.
  ParameterMap encoder;
  for (const auto& [name, t] : model.encoder) encoder[name] = t.detach().requires_grad_(t.is_floating_point());
  EncodeOptions options = model.encode;
  options.all_hidden_states = true;
  EncoderOutput out =
      encode(model.config, encoder, batch.input_ids, batch.attention_mask, batch.token_type_ids, options);
  for (at::Tensor& h : out.hidden_states) h.retain_grad();
  const at::Tensor logits =
      classification_logits(model.config, encoder, model.head, out.last_hidden_state, model.head_style);
  // The summed loss: each example's activations get that example's own gradient.
  const at::Tensor loss = model.regression()
                              ? 0.5 * (logits.select(1, 0) - labels.to(at::kFloat)).pow(2).sum()
                              : -logits.log_softmax(1).gather(1, labels.to(at::kLong).unsqueeze(1)).sum();
  loss.backward();
  const at::Tensor mask = batch.attention_mask.to(at::kDouble).unsqueeze(2);  // [B, T, 1]
  const at::Tensor tokens_per_row = mask.sum(1);                              // [B, 1]
  std::vector<at::Tensor> layers;
  for (const at::Tensor& h : out.hidden_states) {
    const at::Tensor g = h.grad().to(at::kDouble);
    layers.push_back(((g * g * mask).sum(1) / tokens_per_row).sum(0));
  }
  return at::stack(layers);
}

double taskemb_similarity(const at::Tensor& target, const at::Tensor& source, const std::string& what) {
  auto shape = [](const at::Tensor& t) {
    return t.dim() == 2 ? fmt::format("{}×{}", t.size(0), t.size(1)) : "not 2-D";
  };
  if (source.dim() != 2 || source.sizes() != target.sizes())
    throw InputError(
        fmt::format("{}: its task embedding is {} but the target's is {}; it belongs to another base model", what,
                    shape(source), shape(target)));
  if (!at::isfinite(source).all().item<bool>())
    throw InputError(fmt::format("{}: its task embedding has non-finite values; re-register the source", what));
  double sum = 0;
  int layers = 0;
  for (std::int64_t l = 0; l < target.size(0); ++l) {
    const at::Tensor t = target[l], s = source[l];
    const double nt = t.norm().item<double>(), ns = s.norm().item<double>();
    if (!(nt > 0) || !(ns > 0)) continue;
    sum += t.dot(s).item<double>() / (nt * ns);
    ++layers;
  }
  if (layers == 0)
    throw InputError(fmt::format("{}: every layer of a task embedding is zero, so no cosine is defined", what));
  return sum / layers;
}

void write_fisher_artifact(const std::filesystem::path& path, const at::Tensor& fisher,
                           const std::string& base_fingerprint, std::size_t examples) {
  write_safetensors(path, {{"fisher", to_array(fisher.to(at::kFloat).contiguous())}},
                    {{"format", "taskscout-fisher"},
                     {"version", "1"},
                     {"base_fingerprint", base_fingerprint},
                     {"examples", std::to_string(examples)}});
}

at::Tensor read_fisher_artifact(const std::filesystem::path& path) {
  const SafetensorsFile file(path);
  const auto format = file.metadata().find("format");
  if (format == file.metadata().end() || format->second != "taskscout-fisher")
    throw InputError(location(path.string()) + "not a task embedding artifact (metadata format taskscout-fisher)");
  const at::Tensor fisher = as_tensor(file.get("fisher")).to(at::kDouble);
  if (fisher.dim() != 2) throw InputError(location(path.string()) + "tensor 'fisher' must be two-dimensional");
  return fisher;
}

}  // namespace taskscout
