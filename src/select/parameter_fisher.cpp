// The expected diagonal Fisher of a model's parameters (see parameter_fisher.hpp).
#include "taskscout/select/parameter_fisher.hpp"

#include <fmt/format.h>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/head.hpp"
#include "taskscout/model/model_writer.hpp"

namespace taskscout {

ParameterMap parameter_fisher(const TaskModel& model, text::Tokenizer& tokenizer, const Dataset& data,
                              const ParameterFisherOptions& o) {
  if (model.method != FineTuneMethod::Full)
    throw UsageError(
        "the parameter Fisher is for full models (Fisher merging averages full parameters); register "
        "with " +
        opt("method") + " full");
  const Dataset sample = select_rows(data, sample_rows(data.size(), o.max_examples, o.seed));
  if (sample.size() == 0) throw InputError(location(data.path) + "no rows to compute the parameter Fisher on");
  const TokenizedTexts tokens = tokenize_texts(tokenizer, sample.texts, sample.text_pairs,
                                               o.max_length > 0 ? o.max_length : model.max_length, data.path);
  // Leaves that require gradients, viewing the model's tensors (nothing is copied).
  ParameterMap encoder;
  for (const auto& [name, t] : model.encoder) encoder[name] = t.detach().requires_grad_(true);
  ParameterMap fisher;
  for (const auto& [name, t] : encoder) fisher[name] = at::zeros(t.sizes(), at::kDouble);
  for (std::size_t row = 0; row < sample.size(); ++row) {
    const std::size_t rows[] = {row};
    const Batch b = make_batch(tokens, rows, model.config.pad_token_id);
    const at::Tensor hidden =
        encode(model.config, encoder, b.input_ids, b.attention_mask, b.token_type_ids, model.encode).last_hidden_state;
    const at::Tensor logits = classification_logits(model.config, encoder, model.head, hidden, model.head_style)[0];
    const bool regression = model.regression();
    const at::Tensor log_p = logits.log_softmax(0);
    const at::Tensor p = log_p.detach().exp();
    const std::int64_t classes = regression ? 1 : logits.size(0);
    for (std::int64_t y = 0; y < classes; ++y) {
      for (auto& [name, t] : encoder) t.mutable_grad() = at::Tensor();
      (regression ? logits[0] : log_p[y]).backward({}, /*retain_graph=*/y + 1 < classes);
      const double weight = regression ? 1.0 : p[y].item<double>();
      for (auto& [name, t] : encoder)
        if (t.grad().defined()) fisher[name].add_(t.grad().to(at::kDouble).square(), weight);
    }
  }
  ParameterMap out;
  for (auto& [name, f] : fisher) {
    out[name] = f.div_(static_cast<double>(sample.size())).to(at::kFloat);
    if (!at::isfinite(out[name]).all().item<bool>())
      throw InputError(location(data.path) +
                       fmt::format("the parameter Fisher of {} is not finite: the model overflows on this data", name));
  }
  return out;
}

void write_parameter_fisher(const std::filesystem::path& path, const ParameterMap& fisher,
                            const std::string& base_fingerprint, std::size_t examples) {
  std::vector<std::pair<std::string, Array>> arrays;
  for (const auto& [name, t] : fisher) arrays.emplace_back(name, to_array(t.to(at::kFloat).contiguous()));
  write_safetensors(path, arrays,
                    {{"format", "taskscout-parameter-fisher"},
                     {"version", "1"},
                     {"base_fingerprint", base_fingerprint},
                     {"examples", std::to_string(examples)}});
}

}  // namespace taskscout
