#include "taskscout/train/task_model.hpp"

#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/json_error.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "taskscout/io/model_fingerprint.hpp"
#include "taskscout/model/checkpoint.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/model/model_writer.hpp"
#include "taskscout/model/parameter_names.hpp"
#include "taskscout/model/pooling.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace taskscout {

namespace {

const char* kSidecar = "taskscout.json";

struct Sidecar {
  std::string method, base_model, problem_type;
  std::string base_fingerprint;  // io/model_fingerprint.hpp; empty in older folders and other tools'

  std::vector<std::string> labels;
  std::size_t max_length = 128;
};

Sidecar read_sidecar(const fs::path& folder) {
  Sidecar s;
  const fs::path path = folder / kSidecar;
  if (!fs::exists(path)) return s;
  try {
    const json j = json::parse(MappedFile(path).text());
    s.method = j.value("method", "");
    s.base_model = j.value("base_model", "");
    s.base_fingerprint = j.value("base_fingerprint", "");
    s.problem_type = j.value("problem_type", "");
    s.labels = j.value("labels", std::vector<std::string>{});
    s.max_length = j.value("max_length", std::size_t{128});
  } catch (const json::exception& e) {
    throw InputError(location(path.string()) + "malformed: " + json_error_text(e));
  }
  if (!s.base_fingerprint.empty() && !is_sha256_hex(s.base_fingerprint))
    throw InputError(location(path.string()) + "malformed: \"base_fingerprint\" must be 64 lowercase hex digits");
  return s;
}

// The base a LoRA or adapter folder builds on: --base, else the path the folder records
// (as written, then relative to the folder).
fs::path find_base(const fs::path& folder, const fs::path& base, const std::string& recorded) {
  if (!base.empty()) {
    if (!fs::exists(base / "config.json"))
      throw InputError(location(base.string()) + "the base model folder has no config.json");
    return base;
  }
  for (const fs::path& candidate : {fs::path(recorded), folder / recorded})
    if (!recorded.empty() && fs::exists(candidate / "config.json")) return candidate;
  throw InputError(location(folder.string()) +
                   fmt::format("the base model \"{}\" this folder was trained on is not found; pass it as {}", recorded,
                               opt("base")));
}

// A LoRA, adapter or composed folder runs only on the base it was trained on: the same
// shapes on another base give meaningless outputs. Folders without a recorded fingerprint
// (older ones, or other tools') are trusted as before.
void check_base_fingerprint(const fs::path& folder, const Sidecar& sidecar, const fs::path& base,
                            const std::string& kind) {
  if (sidecar.base_fingerprint.empty()) return;
  const std::string actual = cached_base_model_fingerprint(base);
  if (actual == sidecar.base_fingerprint) return;
  throw InputError(location((folder / kSidecar).string()) +
                   fmt::format("this {} folder was trained on the base with fingerprint {}, but the base {} has "
                               "fingerprint {}; pass {} with the base it was trained on{}",
                               kind, sidecar.base_fingerprint, base.string(), actual, opt("base"),
                               sidecar.base_model.empty() ? "" : " (recorded as " + sidecar.base_model + ")"));
}

std::vector<std::string> default_labels(std::int64_t n) {
  std::vector<std::string> out;
  for (std::int64_t i = 0; i < n; ++i) out.push_back("LABEL_" + std::to_string(i));
  return out;
}

// Labels and problem type from what the folder says, checked against the head.
void settle_labels(TaskModel& m, std::vector<std::string> labels, std::string problem_type, const fs::path& folder) {
  const std::int64_t n = m.num_labels();
  if (problem_type.empty()) problem_type = n == 1 ? "regression" : "single_label_classification";
  if (problem_type == "regression" && n != 1)
    throw InputError(location(folder.string()) +
                     fmt::format("a regression model needs one output, the head has {}", n));
  if (labels.empty()) labels = default_labels(n);
  if (static_cast<std::int64_t>(labels.size()) != n)
    throw InputError(location(folder.string()) +
                     fmt::format("{} labels are named but the head has {} outputs", labels.size(), n));
  m.config.labels = labels;
  m.config.problem_type = problem_type;
}

void add_encoder_tensors(TaskModel& m, const ParameterMap& extra) {
  for (const auto& [name, t] : extra) {
    m.encoder[name] = t;
    m.added.push_back(name);
  }
}

}  // namespace

FineTuneMethod parse_fine_tune_method(const std::string& text) {
  if (text == "full") return FineTuneMethod::Full;
  if (text == "adapter") return FineTuneMethod::Adapter;
  if (text == "lora") return FineTuneMethod::Lora;
  throw UsageError(fmt::format("unknown method \"{}\"; use full, adapter or lora", text));
}

std::string method_name(FineTuneMethod method) {
  switch (method) {
    case FineTuneMethod::Full:
      return "full";
    case FineTuneMethod::Adapter:
      return "adapter";
    case FineTuneMethod::Lora:
      return "lora";
    case FineTuneMethod::Compose:
      return "compose";
  }
  return "";
}

std::int64_t TaskModel::num_labels() const { return check_head(config, head, "the model", head_style); }

TaskModel load_task_model(const fs::path& folder, const fs::path& base) {
  if (!fs::is_directory(folder)) throw InputError(location(folder.string()) + "no such model folder");
  const Sidecar sidecar = read_sidecar(folder);
  TaskModel m;
  m.max_length = sidecar.max_length;
  if (is_composition_folder(folder)) {
    m.base_folder = find_base(folder, base, sidecar.base_model);
    check_base_fingerprint(folder, sidecar, m.base_folder, "composed");
    Encoder encoder = load_encoder(m.base_folder);
    m.method = FineTuneMethod::Compose;
    m.config = encoder.config;
    m.config.architectures = {sequence_classification_class(m.config.architecture)};
    m.encoder = std::move(encoder.parameters);
    m.head_style = HeadStyle::Flex;
    FlexHead head;
    if (is_lora_composition_folder(folder)) {
      LoraCompositionFiles f = read_lora_composition_files(folder, m.config);
      m.encode.lora_composition = std::make_shared<const LoraComposition>(f.composition);
      add_encoder_tensors(m, f.loras);
      add_encoder_tensors(m, f.weights);
      head = std::move(f.head);
      m.composed = std::move(f.sources);
    } else {
      CompositionFiles f = read_composition_files(folder, m.config);
      m.adapter.placement = f.placement;
      m.encode.adapter = m.adapter.encode_options();
      m.encode.adapter.composition = std::make_shared<const AdapterComposition>(f.composition);
      add_encoder_tensors(m, f.adapters);
      add_encoder_tensors(m, f.weights);
      head = std::move(f.head);
      m.composed = std::move(f.sources);
    }
    m.head = std::move(head.head);
    settle_labels(m, head.labels.empty() ? sidecar.labels : head.labels, sidecar.problem_type, folder);
    return m;
  }
  if (is_lora_folder(folder) || is_adapter_folder(folder)) {
    const bool lora = is_lora_folder(folder);
    Encoder encoder;
    LoraFiles lf;
    AdapterFiles af;
    if (lora) {
      const json j = json::parse(MappedFile(folder / "adapter_config.json").text());
      const std::string recorded =
          sidecar.base_model.empty() ? j.value("base_model_name_or_path", "") : sidecar.base_model;
      m.base_folder = find_base(folder, base, recorded);
      check_base_fingerprint(folder, sidecar, m.base_folder, "LoRA");
      encoder = load_encoder(m.base_folder);
      lf = read_lora_files(folder, encoder.config);
    } else {
      const json j = json::parse(MappedFile(folder / "adapter_config.json").text());
      const std::string recorded = sidecar.base_model.empty() ? j.value("model_name", "") : sidecar.base_model;
      m.base_folder = find_base(folder, base, recorded);
      check_base_fingerprint(folder, sidecar, m.base_folder, "adapter");
      encoder = load_encoder(m.base_folder);
      af = read_adapter_files(folder, encoder.config);
    }
    m.config = encoder.config;
    m.encoder = std::move(encoder.parameters);
    if (lora) {
      m.method = FineTuneMethod::Lora;
      m.lora = lf.config;
      m.encode.lora_scaling = lf.config.scaling();
      add_encoder_tensors(m, lf.encoder);
      m.head = std::move(lf.head);
      m.config.architectures = {sequence_classification_class(m.config.architecture)};
      settle_labels(m, sidecar.labels, sidecar.problem_type, folder);
    } else {
      m.method = FineTuneMethod::Adapter;
      m.adapter = af.config;
      m.encode.adapter = af.config.encode_options();
      m.head_style = HeadStyle::Flex;
      add_encoder_tensors(m, af.encoder);
      m.head = std::move(af.head);
      settle_labels(m, af.labels.empty() ? sidecar.labels : af.labels, sidecar.problem_type, folder);
    }
    if (m.config.architecture == Architecture::Bert && m.head_style == HeadStyle::Native &&
        !m.encoder.count("pooler.dense.weight"))
      throw InputError(location(folder.string()) + "the base has no pooler and the folder does not hold one");
    return m;
  }
  if (fs::exists(folder / "config.json")) {
    Encoder encoder = load_encoder(folder);
    m.method = FineTuneMethod::Full;
    m.base_folder = folder;
    m.config = encoder.config;
    m.encoder = std::move(encoder.parameters);
    const Checkpoint checkpoint = Checkpoint::open(folder);
    const bool roberta =
        m.config.architecture == Architecture::Roberta || m.config.architecture == Architecture::XlmRoberta;
    const std::string out = roberta ? "classifier.out_proj.weight" : "classifier.weight";
    if (!checkpoint.contains(out))
      throw InputError(location(folder.string()) +
                       fmt::format("no classification head (\"{}\"): a base model, not a fine-tuned one", out));
    const std::int64_t n = checkpoint.get(out).shape().at(0);
    for (const ParameterSpec& s : head_specs(m.config, n))
      if (checkpoint.contains(s.name)) {
        m.head[s.name] = as_tensor(checkpoint.get(s.name)).to(at::kFloat);
        check_finite(m.head[s.name], checkpoint.file_of(s.name), s.name);
      }
    check_head(m.config, m.head, checkpoint.source());
    if (m.config.architecture == Architecture::Bert && !m.encoder.count("pooler.dense.weight"))
      throw InputError(location(checkpoint.source()) + "a BERT classifier needs the pooler (bert.pooler.dense)");
    settle_labels(m, m.config.labels, m.config.problem_type, folder);
    return m;
  }
  throw InputError(location(folder.string()) +
                   "neither a model folder (config.json) nor a LoRA or adapter folder (adapter_config.json)");
}

void save_task_model(const fs::path& folder, const TaskModel& m,
                     const std::vector<std::pair<std::string, std::string>>& extra_files) {
  StagedFolder staged(folder);
  const fs::path dir = staged.path();
  const fs::path base = fs::absolute(m.base_folder).lexically_normal();
  ParameterMap added;
  for (const std::string& name : m.added) added[name] = parameter(m.encoder, name);
  switch (m.method) {
    case FineTuneMethod::Full: {
      ModelFolderContents c{m.config, m.encoder, m.head, m.base_folder};
      c.config.architectures = {sequence_classification_class(m.config.architecture)};
      write_model_files(dir, c);
      break;
    }
    case FineTuneMethod::Lora:
      write_lora_files(dir, m.config, {m.lora, base.string(), added, m.head});
      break;
    case FineTuneMethod::Adapter:
      write_adapter_files(
          dir, m.config,
          {m.adapter, base.string(), added, m.head, m.regression() ? std::vector<std::string>{} : m.config.labels});
      break;
    case FineTuneMethod::Compose: {
      const FlexHead head{m.head, m.regression() ? std::vector<std::string>{} : m.config.labels};
      if (m.encode.lora_composition) {
        LoraCompositionFiles f{*m.encode.lora_composition, base.string(), m.composed, {}, {}, head};
        for (const auto& [name, t] : added) (name.find(".lora_") != std::string::npos ? f.loras : f.weights)[name] = t;
        write_lora_composition_files(dir, m.config, f);
        break;
      }
      if (!m.encode.adapter.composition) throw InternalError("a composed model without its composition");
      CompositionFiles f;
      f.composition = *m.encode.adapter.composition;
      f.composition.observe = nullptr;
      f.placement = m.adapter.placement;
      f.base_model = base.string();
      f.sources = m.composed;
      for (const auto& [name, t] : added)
        (name.find(".adapters.") != std::string::npos ? f.adapters : f.weights)[name] = t;
      f.head = head;
      write_composition_files(dir, m.config, f);
      break;
    }
  }
  json sidecar = {{"method", method_name(m.method)},
                  {"base_model", base.string()},
                  {"labels", m.config.labels},
                  {"problem_type", m.config.problem_type},
                  {"max_length", m.max_length}};
  // A folder that runs on a base records which one, to be checked on load.
  if (m.method != FineTuneMethod::Full) sidecar["base_fingerprint"] = cached_base_model_fingerprint(m.base_folder);
  write_file_atomically(dir / kSidecar, sidecar.dump(2) + "\n");
  for (const auto& [name, contents] : extra_files) write_file_atomically(dir / name, contents);
  staged.commit();
}

at::Tensor task_logits(const TaskModel& m, const at::Tensor& ids, const at::Tensor& mask, const at::Tensor& types) {
  const at::Tensor hidden = encode(m.config, m.encoder, ids, mask, types, m.encode).last_hidden_state;
  return classification_logits(m.config, m.encoder, m.head, hidden, m.head_style);
}

TokenizedTexts tokenize_texts(text::Tokenizer& tokenizer, std::span<const std::string> texts,
                              std::span<const std::string> pairs, std::size_t max_length, const std::string& what) {
  if (!pairs.empty() && pairs.size() != texts.size())
    throw InputError(fmt::format("{}: {} texts but {} second texts", what, texts.size(), pairs.size()));
  text::TruncationOptions truncation;
  truncation.max_length = max_length;
  tokenizer.set_truncation(truncation);
  TokenizedTexts out;
  out.encodings.reserve(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string row = fmt::format("{} row {}", what, i + 1);
    out.encodings.push_back(pairs.empty() ? tokenizer.encode(texts[i], {}, row)
                                          : tokenizer.encode_pair(texts[i], pairs[i], {}, row));
    out.truncated += out.encodings.back().truncated > 0;
  }
  return out;
}

at::Tensor batch_labels(const Dataset& d, std::span<const std::size_t> rows) {
  if (d.kind == LabelKind::Regression) {
    std::vector<float> v;
    for (std::size_t r : rows) v.push_back(static_cast<float>(d.values[r]));
    return at::tensor(v, at::kFloat);
  }
  std::vector<std::int64_t> v;
  for (std::size_t r : rows) v.push_back(d.label_ids[r]);
  return at::tensor(v, at::kLong);
}

Batch make_batch(const TokenizedTexts& texts, std::span<const std::size_t> rows, std::int64_t pad_id) {
  std::vector<const text::Encoding*> batch(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) batch[r] = &texts.encodings.at(rows[r]);
  text::PaddingOptions padding;
  padding.pad_id = static_cast<std::int32_t>(pad_id);
  text::BatchEncoding b = text::pad(batch, padding);
  const std::vector<std::int64_t> shape = {static_cast<std::int64_t>(b.rows), static_cast<std::int64_t>(b.length)};
  auto tensor = [&](std::vector<std::int64_t>& v) { return at::from_blob(v.data(), shape, at::kLong).clone(); };
  return {tensor(b.input_ids), tensor(b.attention_mask), tensor(b.token_type_ids)};
}

namespace {

// Runs `rows_of(batch)` ([B, width]) over the texts in batches of similar length under
// c10::InferenceMode and returns the rows in input order.
at::Tensor by_length_batches(const TaskModel& m, const TokenizedTexts& texts, std::size_t batch_size,
                             std::int64_t width, const std::function<at::Tensor(const Batch&)>& rows_of,
                             const std::function<void(std::size_t)>& progress) {
  if (batch_size == 0) throw UsageError("the batch size must be at least 1");
  c10::InferenceMode inference;
  const std::vector<std::size_t> order = text::order_by_length(texts.encodings);
  at::Tensor out = at::empty({static_cast<std::int64_t>(order.size()), width}, at::kFloat);
  for (std::size_t start = 0; start < order.size(); start += batch_size) {
    const std::size_t rows = std::min(batch_size, order.size() - start);
    const std::span<const std::size_t> chosen(order.data() + start, rows);
    const at::Tensor index = at::tensor(std::vector<std::int64_t>(chosen.begin(), chosen.end()), at::kLong);
    out.index_copy_(0, index, rows_of(make_batch(texts, chosen, m.config.pad_token_id)).to(at::kFloat));
    if (progress) progress(start + rows);
  }
  return out;
}

}  // namespace

at::Tensor predict_logits(const TaskModel& m, const TokenizedTexts& texts, std::size_t batch_size,
                          const std::function<void(std::size_t)>& progress) {
  return by_length_batches(
      m, texts, batch_size, m.num_labels(),
      [&](const Batch& b) { return task_logits(m, b.input_ids, b.attention_mask, b.token_type_ids); }, progress);
}

at::Tensor embed_with_task_model(const TaskModel& m, const TokenizedTexts& texts, const EmbeddingOptions& embedding,
                                 std::size_t batch_size, const std::function<void(std::size_t)>& progress) {
  EncodeOptions run = m.encode;
  run.layers = resolve_layer(m.config.num_layers, embedding.layer);
  return by_length_batches(
      m, texts, batch_size, m.config.hidden_size,
      [&](const Batch& b) {
        const EncoderOutput o = encode(m.config, m.encoder, b.input_ids, b.attention_mask, b.token_type_ids, run);
        return pool(embedding.pooling, m.encoder, o.last_hidden_state, b.attention_mask);
      },
      progress);
}

text::Tokenizer task_tokenizer(const TaskModel& m, const fs::path& folder) {
  for (const char* name : {"tokenizer.json", "vocab.txt"})
    if (fs::exists(folder / name)) return text::Tokenizer::from_folder(folder);
  return text::Tokenizer::from_folder(m.base_folder);
}

}  // namespace taskscout
