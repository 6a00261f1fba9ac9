// Registering a source by fine-tuning on it (see registration.hpp).
#include "taskscout/select/registration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include "registration_parts.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/core/version.hpp"
#include "taskscout/esm/esm.hpp"
#include "taskscout/esm/train.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/io/scratch_dir.hpp"
#include "taskscout/model/text_embedding.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "taskscout/select/parameter_fisher.hpp"
#include "taskscout/select/taskemb.hpp"
#include "taskscout/select/textemb.hpp"
#include "taskscout/select/vocabulary.hpp"
#include "taskscout/text/encoding.hpp"
#include "taskscout/train/fine_tune.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;

std::string read_whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(location(path.string()) + "cannot read the file: " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Registry blobs are safetensors files, so each of the model folder's tensor files is
// copied with the folder's small text files (adapter_config.json, taskscout.json,
// train_log.json, tokenizer files, …) in its metadata: the blob alone rebuilds the folder.
fs::path self_contained_copy(const fs::path& folder, const std::string& tensor_file, const std::string& kind,
                             const fs::path& out) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".json" || ext == ".txt"))
      files[entry.path().filename().string()] = read_whole_file(entry.path());
  }
  const SafetensorsFile in(folder / tensor_file);
  std::vector<std::pair<std::string, Array>> tensors;
  for (const std::string& name : in.names()) tensors.emplace_back(name, in.get(name));
  std::map<std::string, std::string> metadata = in.metadata();
  metadata["format"] = "taskscout-" + kind;
  metadata["version"] = "1";
  metadata["file_name"] = tensor_file;
  metadata["folder_files"] = files.dump();
  write_safetensors(out, tensors, metadata);
  return out;
}

// The model's safetensors files as artifacts, by kind.
std::map<std::string, fs::path> model_artifacts(FineTuneMethod method, const fs::path& folder,
                                                const fs::path& scratch) {
  std::map<std::string, fs::path> files;
  auto add = [&](std::string_view kind, const std::string& file) {
    const std::string k(kind);
    files[k] = self_contained_copy(folder, file, k, scratch / (k + ".safetensors"));
  };
  switch (method) {
    case FineTuneMethod::Full:
      add(artifact_kind::kFullModel, "model.safetensors");
      break;
    case FineTuneMethod::Lora:
      add(artifact_kind::kLora, "adapter_model.safetensors");
      break;
    case FineTuneMethod::Adapter:
      add(artifact_kind::kAdapter, "adapter.safetensors");
      add(artifact_kind::kHead, "model_head.safetensors");
      break;
    case FineTuneMethod::Compose:
      throw UsageError("a composed model is not registered as a source; register its sources");
  }
  return files;
}

using Phase = ProgressPhase;

}  // namespace

std::pair<Dataset, Dataset> split_off_dev(const Dataset& data, double fraction, std::uint64_t seed) {
  const std::size_t n = data.size();
  if (!(fraction > 0 && fraction < 1))
    throw UsageError(fmt::format("the dev fraction must lie strictly between 0 and 1, not {}", fraction));
  if (n < 2)
    throw InputError(location(data.path) +
                     fmt::format("{} row(s) cannot be split into train and dev; give more rows or a dev set", n));
  const std::size_t dev_rows =
      std::clamp<std::size_t>(static_cast<std::size_t>(std::llround(fraction * static_cast<double>(n))), 1, n - 1);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed ^ 0x6465762d736c6963ULL);  // not the same stream as the text sample
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::size_t> dev(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(dev_rows));
  std::vector<std::size_t> train(order.begin() + static_cast<std::ptrdiff_t>(dev_rows), order.end());
  std::sort(dev.begin(), dev.end());
  std::sort(train.begin(), train.end());
  return {select_rows(data, train), select_rows(data, dev)};
}

PreparedSource prepare_fine_tuned_source(const Dataset& source, const std::optional<Dataset>& dev_set,
                                         const SourceRegistrationOptions& o, const fs::path& staging,
                                         const RegistrationProgress& progress) {
  Stopwatch total;
  check_source_name(o.name);  // before the training, not after
  if (o.batch_size == 0) throw UsageError("the embedding batch size must be at least 1");
  if (o.parameter_fisher_examples > 0 && o.fine_tune.method != FineTuneMethod::Full)
    throw UsageError(opt("parameter_fisher") + " is for " + opt("method") +
                     " full (Fisher merging averages full parameters)");
  const std::string base_fingerprint = base_model_fingerprint(o.base);
  const Encoder base = load_encoder(o.base);
  TextEmbeddingOptions embed_options;
  embed_options.embedding = o.embedding;
  embed_options.max_length = o.max_length;
  embed_options.batch_size = o.batch_size;
  check_embedding_options(base, embed_options.embedding);

  PreparedSource prepared;
  SourceRegistration& result = prepared.details;

  // 1. Fine-tuning.
  Dataset train, dev;
  if (dev_set) {
    train = source;
    dev = *dev_set;
  } else {
    std::tie(train, dev) = split_off_dev(source, o.dev_fraction, o.fine_tune.seed);
    result.dev_from_source = true;
  }
  result.train_examples = train.size();
  result.dev_examples = dev.size();
  FineTuneResult tuned;
  {
    std::optional<Phase> phase;
    FineTuneProgress p;
    p.step = [&](std::int64_t step, std::int64_t steps, double loss) {
      if (!phase) phase.emplace(progress, "fine-tuning", steps);
      phase->advance(step, fmt::format("loss {:.4f}", loss));
    };
    p.evaluation = progress.evaluation;
    tuned = fine_tune(o.base, train, dev, o.fine_tune, p);
  }
  result.best = tuned.evaluations.at(tuned.best);
  result.trainable_parameters = tuned.trainable_parameters;
  result.fine_tune_seconds = tuned.seconds;
  const fs::path model_folder = staging / "model";
  save_task_model(model_folder, tuned.model, {{"train_log.json", tuned.log_json(o.fine_tune)}});
  if (!o.model_folder.empty())
    save_task_model(o.model_folder, tuned.model, {{"train_log.json", tuned.log_json(o.fine_tune)}});

  // 2. Embedding a sample of the source's texts with both models.
  Stopwatch embed_watch;
  const auto [texts, pairs] = registration::sample_texts(source, o.max_texts, o.fine_tune.seed);
  const auto total_texts = static_cast<std::int64_t>(texts.size());
  TextEmbeddings base_embeddings;
  {
    Phase phase(progress, "embedding (base)", total_texts);
    base_embeddings = embed_texts(base, text::Tokenizer::from_folder(o.base), texts, pairs, embed_options, source.path,
                                  [&](std::size_t done, std::size_t length) {
                                    phase.advance(static_cast<std::int64_t>(done), fmt::format("length {}", length));
                                  });
  }
  at::Tensor tuned_embeddings;
  text::Tokenizer tuned_tokenizer = task_tokenizer(tuned.model, model_folder);
  {
    Phase phase(progress, "embedding (fine-tuned)", total_texts);
    // The same truncation as the base's embeddings, so row i embeds the same tokens.
    const TokenizedTexts tokens =
        tokenize_texts(tuned_tokenizer, texts, pairs, base_embeddings.max_length, source.path);
    tuned_embeddings = embed_with_task_model(tuned.model, tokens, o.embedding, o.batch_size,
                                             [&](std::size_t done) { phase.advance(static_cast<std::int64_t>(done)); });
  }
  result.embedded_texts = texts.size();
  result.truncated_texts = base_embeddings.truncated_texts;
  result.embed_seconds = embed_watch.seconds();

  // 3. The ESM.
  Stopwatch esm_watch;
  EsmFit fit;
  {
    Phase phase(progress, "fitting the ESM", 1);
    EsmTrainOptions esm_options = o.esm;
    esm_options.base_fingerprint = base_fingerprint;
    fit = train_esm(base_embeddings.embeddings, tuned_embeddings, esm_options,
                    fmt::format("the embeddings of {}", source.path));
    result.esm_fit = fit;
    phase.advance(1, fmt::format("held-out R² {:.4f}", fit.r2_heldout));
  }
  result.esm_seconds = esm_watch.seconds();
  const fs::path esm_file = staging / "esm.safetensors";
  save_esm(esm_file, fit.esm);

  const fs::path mean_file = staging / "mean_embedding.safetensors";
  write_mean_embedding_artifact(mean_file, base_embeddings.embeddings, base_fingerprint, o.embedding);

  // The task embedding, on the rows the model was trained on.
  const fs::path fisher_file = staging / "fisher.safetensors";
  {
    Phase phase(progress, "task embedding", 1);
    Stopwatch watch;
    TaskEmbOptions taskemb = o.taskemb;
    taskemb.seed = o.fine_tune.seed;
    write_fisher_artifact(fisher_file, task_embedding(tuned.model, tuned_tokenizer, train, taskemb), base_fingerprint,
                          std::min(train.size(), taskemb.max_examples));
    result.taskemb_seconds = watch.seconds();
    phase.advance(1);
  }

  // The per-parameter Fisher, for Fisher-weighted merging, on the same training rows.
  const fs::path parameter_fisher_file = staging / "parameter_fisher.safetensors";
  if (o.parameter_fisher_examples > 0) {
    Phase phase(progress, "parameter Fisher", 1);
    ParameterFisherOptions fisher_options;
    fisher_options.max_examples = o.parameter_fisher_examples;
    fisher_options.seed = o.fine_tune.seed;
    write_parameter_fisher(parameter_fisher_file, parameter_fisher(tuned.model, tuned_tokenizer, train, fisher_options),
                           base_fingerprint, std::min(train.size(), o.parameter_fisher_examples));
    phase.advance(1);
  }

  const fs::path vocabulary_file = staging / "vocabulary.safetensors";
  write_vocabulary_artifact(vocabulary_file,
                            token_counts(text::Tokenizer::from_folder(o.base), texts, pairs, source.path),
                            base_fingerprint, texts.size());

  NewSource& entry = prepared.entry;
  SourceRecord& r = entry.record;
  r.name = o.name;
  r.base_fingerprint = base_fingerprint;
  r.task = source.kind;
  r.label_names = source.label_names;
  r.dataset_fingerprint = dataset_fingerprint(source);
  r.dataset_size = static_cast<std::int64_t>(source.size());
  for (const auto& [name, value] : result.best.dev.values) r.dev_metrics[name] = value;
  entry.artifact_files = model_artifacts(o.fine_tune.method, model_folder, staging);
  entry.artifact_files[std::string(artifact_kind::kEsm)] = esm_file;
  entry.artifact_files[std::string(artifact_kind::kMeanEmbedding)] = mean_file;
  entry.artifact_files[std::string(artifact_kind::kVocabulary)] = vocabulary_file;
  entry.artifact_files[std::string(artifact_kind::kFisher)] = fisher_file;
  if (o.parameter_fisher_examples > 0)
    entry.artifact_files[std::string(artifact_kind::kParameterFisher)] = parameter_fisher_file;

  nlohmann::json provenance = o.provenance;
  provenance["taskscout_version"] = version();
  provenance["base_model"] = fs::absolute(o.base).string();
  provenance["source_file"] = fs::absolute(source.path).string();
  provenance["dev"] = dev_set ? nlohmann::json(fs::absolute(dev_set->path).string())
                              : nlohmann::json(fmt::format("{} rows held out of the source", dev.size()));
  provenance["fine_tune"] = nlohmann::json::parse(tuned.log_json(o.fine_tune))["options"];
  provenance["fine_tune_summary"] = {{"train_examples", train.size()},
                                     {"dev_examples", dev.size()},
                                     {"steps", tuned.steps},
                                     {"best_step", result.best.step},
                                     {"stopped_early", tuned.stopped_early},
                                     {"trainable_parameters", tuned.trainable_parameters},
                                     {"seconds", tuned.seconds}};
  provenance["embedding"] = {{"pooling", std::string(pooling_name(o.embedding.pooling))},
                             {"layer", o.embedding.layer},
                             {"max_length", base_embeddings.max_length},
                             {"texts", texts.size()},
                             {"truncated", base_embeddings.truncated_texts},
                             {"seed", o.fine_tune.seed}};
  provenance["esm"] = {{"r2_heldout", result.esm_fit.r2_heldout},
                       {"mse_heldout", result.esm_fit.mse_heldout},
                       {"r2_train", result.esm_fit.r2_train},
                       {"lambda", result.esm_fit.lambda},
                       {"rows", result.esm_fit.rows},
                       {"heldout_rows", result.esm_fit.heldout_rows}};
  r.provenance = provenance;
  result.stored = r;
  result.seconds = total.seconds();
  return prepared;
}

SourceRegistration register_fine_tuned_source(Registry& registry, const Dataset& source,
                                              const std::optional<Dataset>& dev_set, const SourceRegistrationOptions& o,
                                              const RegistrationProgress& progress) {
  Stopwatch total;
  registration::check_new_name(registry, o.name);  // before the training, not after
  ScratchDir scratch("taskscout-register");
  PreparedSource prepared = prepare_fine_tuned_source(source, dev_set, o, scratch.path(), progress);
  // 4. One transaction.
  Phase phase(progress, "registering", 1);
  SourceRegistration result = std::move(prepared.details);
  result.stored = registry.add(prepared.entry);
  phase.advance(1);
  result.seconds = total.seconds();
  return result;
}

nlohmann::json prepared_source_json(const NewSource& entry, const fs::path& staging) {
  const SourceRecord& r = entry.record;
  nlohmann::json artifacts = nlohmann::json::object();
  for (const auto& [kind, file] : entry.artifact_files) artifacts[kind] = file.lexically_relative(staging).string();
  return {{"record",
           {{"name", r.name},
            {"base_fingerprint", r.base_fingerprint},
            {"task", task_kind_name(r.task)},
            {"label_names", r.label_names},
            {"dataset_fingerprint", r.dataset_fingerprint},
            {"dataset_size", r.dataset_size},
            {"dev_metrics", r.dev_metrics},
            {"provenance", r.provenance}}},
          {"artifacts", artifacts}};
}

NewSource prepared_source_from_json(const nlohmann::json& message, const fs::path& staging) {
  NewSource entry;
  const nlohmann::json& j = message.at("record");
  SourceRecord& r = entry.record;
  r.name = j.at("name");
  r.base_fingerprint = j.at("base_fingerprint");
  r.task = j.at("task") == "regression" ? LabelKind::Regression : LabelKind::Classification;
  r.label_names = j.at("label_names").get<std::vector<std::string>>();
  r.dataset_fingerprint = j.at("dataset_fingerprint");
  r.dataset_size = j.at("dataset_size");
  r.dev_metrics = j.at("dev_metrics");
  r.provenance = j.at("provenance");
  for (const auto& [kind, file] : message.at("artifacts").items())
    entry.artifact_files[kind] = staging / file.get<std::string>();
  return entry;
}

}  // namespace taskscout
