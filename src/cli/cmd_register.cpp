// taskscout register --esm: adds a source whose ESM was trained elsewhere. Checks the ESM
// against the base model, and with --source records the dataset's fingerprint, size,
// labels and task kind, and the base model's mean embedding of up to --max-texts of its
// texts (the TextEmb baseline's artifact). Registration that also fine-tunes
// (--method adapter|lora|full) comes with the training module.
#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/config.hpp"
#include "taskscout/model/pooling.hpp"
#include "taskscout/model/text_embedding.hpp"
#include "taskscout/registry/esm_check.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "taskscout/registry/registry.hpp"

namespace taskscout::cli {
namespace {

namespace fs = std::filesystem;

struct RegisterOptions {
  CommonOptions common;
  std::string registry, base, esm, name, source, text_column = "text", text_pair_column, label_column = "label";
  std::string task = "classification", pooling = "mean", dev_metrics, method;
  int layer = -1;
  std::size_t max_texts = 10'000, max_length = 0, batch_size = 32;
  double lock_timeout = 30;
};

// A private temporary folder, removed with everything in it.
struct ScratchDir {
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "taskscout-register-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      throw IoError(location(fs::temp_directory_path().string()) +
                    "cannot create a temporary folder: " + std::strerror(errno));
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

// Up to `max` row indices, a seeded random subset in increasing order when there are more.
std::vector<std::size_t> sample_rows(std::size_t n, std::size_t max, std::uint64_t seed) {
  std::vector<std::size_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  if (n <= max) return rows;
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < max; ++i) std::swap(rows[i], rows[i + rng() % (n - i)]);  // partial Fisher–Yates
  rows.resize(max);
  std::sort(rows.begin(), rows.end());
  return rows;
}

struct MeanEmbedding {
  Array mean;  // [D] F32
  std::size_t texts = 0, truncated = 0;
};

MeanEmbedding embed_mean(const RegisterOptions& o, const Dataset& data) {
  const Encoder encoder = load_encoder(o.base);
  TextEmbeddingOptions options;
  options.embedding.pooling = parse_pooling(o.pooling);
  options.embedding.layer = o.layer;
  options.max_length = o.max_length;
  options.batch_size = o.batch_size;
  check_embedding_options(encoder, options.embedding);
  text::Tokenizer tokenizer = text::Tokenizer::from_folder(o.base);

  const auto rows = sample_rows(data.texts.size(), o.max_texts, o.common.seed);
  std::vector<std::string> texts, pairs;
  texts.reserve(rows.size());
  for (std::size_t r : rows) {
    texts.push_back(data.texts[r]);
    if (!data.text_pairs.empty()) pairs.push_back(data.text_pairs[r]);
  }
  TextEmbeddings result;
  {
    ProgressBar progress("embedding source texts", static_cast<std::int64_t>(texts.size()));
    std::size_t shown = 0;
    result = embed_texts(encoder, std::move(tokenizer), texts, pairs, options, o.source,
                         [&](std::size_t done, std::size_t length) {
                           progress.show(fmt::format("length {}", length));
                           progress.advance(static_cast<std::int64_t>(done - shown));
                           shown = done;
                         });
  }
  MeanEmbedding m;
  m.mean = to_array(result.embeddings.to(at::kDouble).mean(0).to(at::kFloat).contiguous());
  m.texts = texts.size();
  m.truncated = result.truncated_texts;
  return m;
}

void run(const RegisterOptions& o) {
  apply_common_options(o.common);
  if (!o.method.empty())
    throw UsageError("register --method " + o.method +
                     " (fine-tuning at registration) is not available yet: it comes with the training module. "
                     "Train the ESM elsewhere (`taskscout esm train`) and pass it with --esm");
  if (o.esm.empty())
    throw UsageError(
        "register needs --esm ESM.safetensors (fine-tuning at registration, --method, is not available "
        "yet)");
  Stopwatch watch;
  nlohmann::json dev_metrics = nlohmann::json::object();
  if (!o.dev_metrics.empty()) {
    dev_metrics = nlohmann::json::parse(o.dev_metrics, nullptr, false);
    if (dev_metrics.is_discarded() || !dev_metrics.is_object())
      throw UsageError("--dev-metrics must be a JSON object, e.g. '{\"accuracy\": 0.91}'");
  }
  Registry reg = Registry::open(o.registry, {.lock_timeout_seconds = o.lock_timeout});
  if (reg.find(o.name))  // checked again under the write lock; this spares the embedding work
    throw InputError(location(o.registry) + fmt::format("a source named \"{}\" is already registered; choose another "
                                                        "--name, or remove it first with `taskscout registry rm {} {}`",
                                                        o.name, o.registry, o.name));

  const std::string base_fingerprint = base_model_fingerprint(o.base);
  const EsmFileInfo esm = check_esm_file(o.esm, base_fingerprint);
  const EncoderConfig config = read_encoder_config(fs::path(o.base) / "config.json");
  if (esm.dim != config.hidden_size)
    throw InputError(location(o.esm) + fmt::format("the ESM maps {}-dimensional embeddings but the base model {} has "
                                                   "hidden size {}; register it with the base it was trained on",
                                                   esm.dim, o.base, config.hidden_size));

  NewSource source;
  SourceRecord& r = source.record;
  r.name = o.name;
  r.base_fingerprint = base_fingerprint;
  source.artifact_files[std::string(artifact_kind::kEsm)] = o.esm;
  nlohmann::json provenance = {{"command", "register --esm"},
                               {"taskscout_version", "0.1.0"},
                               {"esm_file", fs::absolute(o.esm).string()},
                               {"esm_dim", esm.dim},
                               {"base_model", fs::absolute(o.base).string()}};

  ScratchDir scratch;
  if (!o.source.empty()) {
    DatasetOptions data_options;
    data_options.text_column = o.text_column;
    data_options.text_pair_column = o.text_pair_column;
    data_options.label_column = o.label_column;
    data_options.kind = o.task == "regression" ? LabelKind::Regression : LabelKind::Classification;
    const Dataset data = load_dataset(o.source, data_options);
    r.task = data.kind;
    r.label_names = data.label_names;
    r.dataset_fingerprint = dataset_fingerprint(data);
    r.dataset_size = static_cast<std::int64_t>(data.size());

    const MeanEmbedding m = embed_mean(o, data);
    if (m.truncated > 0)
      std::cerr << fmt::format("note: {} of {} texts were truncated to the model's limit\n", m.truncated, m.texts);
    const fs::path mean_file = scratch.path / "mean_embedding.safetensors";
    write_safetensors(mean_file, {{"mean", m.mean}},
                      {{"format", "taskscout-mean-embedding"},
                       {"version", "1"},
                       {"base_fingerprint", base_fingerprint},
                       {"pooling", o.pooling},
                       {"layer", std::to_string(o.layer)},
                       {"texts", std::to_string(m.texts)}});
    source.artifact_files[std::string(artifact_kind::kMeanEmbedding)] = mean_file;
    provenance["source_file"] = fs::absolute(o.source).string();
    provenance["embedding"] = {{"pooling", o.pooling}, {"layer", o.layer},         {"max_length", o.max_length},
                               {"texts", m.texts},     {"truncated", m.truncated}, {"seed", o.common.seed}};
  }
  r.provenance = provenance;
  r.dev_metrics = dev_metrics;

  const SourceRecord stored = reg.add(source);
  const double seconds = watch.seconds();
  if (o.common.json) {
    nlohmann::ordered_json artifacts = nlohmann::ordered_json::object();
    for (const auto& [kind, a] : stored.artifacts) artifacts[kind] = {{"digest", a.digest}, {"size", a.size}};
    nlohmann::ordered_json j = {{"id", stored.id},
                                {"name", stored.name},
                                {"base_fingerprint", stored.base_fingerprint},
                                {"task", task_kind_name(stored.task)},
                                {"dataset_size", stored.dataset_size},
                                {"artifacts", artifacts},
                                {"seconds", seconds}};
    std::cout << j.dump(1) << "\n";
    return;
  }
  std::string kinds;
  for (const auto& [kind, _] : stored.artifacts) kinds += (kinds.empty() ? "" : ",") + kind;
  ResultTable table{{"id", "name", "task", "examples", "artifacts", "base", "seconds"}, {}};
  table.rows.push_back({std::to_string(stored.id), stored.name, task_kind_name(stored.task),
                        std::to_string(stored.dataset_size), kinds, stored.base_fingerprint.substr(0, 12),
                        fmt::format("{:.2f}", seconds)});
  print_table(table, o.common.csv);
}

}  // namespace

void add_register_command(CLI::App& app) {
  auto o = std::make_shared<RegisterOptions>();
  CLI::App* cmd = app.add_subcommand("register", "Add a source to a registry (ESM trained elsewhere: --esm)");
  cmd->footer(
      "Example:\n  taskscout register --registry reg --base bert --esm sst2.esm.safetensors --name sst2 \\\n"
      "      --source sst2/train.csv --text-column text --label-column label\n"
      "The ESM file holds weight [D, D] and bias [D] (F32) with metadata format=taskscout-esm, version=1.\n"
      "With --source, the dataset's fingerprint, size, labels and task are recorded, and the base model's mean\n"
      "embedding of up to --max-texts texts is stored (the TextEmb baseline). Fine-tuning at registration\n"
      "(--method adapter|lora|full) is not available yet: it comes with the training module.");
  cmd->add_option("--registry", o->registry, "Registry folder (taskscout registry init)")->required();
  cmd->add_option("--base", o->base, "Base model folder the ESM was trained for")->required();
  cmd->add_option("--esm", o->esm, "ESM file (.safetensors); required until --method is available");
  cmd->add_option("--method", o->method, "adapter, lora or full: fine-tune at registration (not available yet)");
  cmd->add_option("--name", o->name, "Source name, unique in the registry")->required();
  cmd->add_option("--source", o->source, "Source dataset (.csv, .tsv, .jsonl)");
  cmd->add_option("--text-column", o->text_column, "Text column")->capture_default_str();
  cmd->add_option("--text-pair-column", o->text_pair_column, "Second text column, for sentence pairs");
  cmd->add_option("--label-column", o->label_column, "Label column")->capture_default_str();
  cmd->add_option("--task", o->task, "classification or regression")
      ->check(CLI::IsMember({"classification", "regression"}))
      ->capture_default_str();
  cmd->add_option("--max-texts", o->max_texts, "Texts embedded for the mean embedding (a seeded sample when more)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--pooling", o->pooling, "cls, mean or pooler, for the mean embedding")
      ->check(CLI::IsMember({"cls", "mean", "pooler"}))
      ->capture_default_str();
  cmd->add_option("--layer", o->layer, "Hidden state to pool: 0 embeddings, negative from the end")
      ->capture_default_str();
  cmd->add_option("--max-length", o->max_length, "Tokens per text (default: the model's limit)");
  cmd->add_option("--batch-size", o->batch_size, "Texts per batch")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--dev-metrics", o->dev_metrics, "The source model's dev metrics, a JSON object");
  cmd->add_option("--lock-timeout", o->lock_timeout, "Seconds to wait for another process's lock")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
