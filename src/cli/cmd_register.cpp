// taskscout register: adds a source to a registry, in one of two ways.
//   --esm      the ESM was trained elsewhere: checks it against the base model, and with
//              --source records the dataset's fingerprint, size, labels and task kind, and
//              the base model's mean embedding of up to --max-texts of its texts.
//   --method   fine-tunes on --source here (adapter, lora or full) and registers the
//              model, its ESM, the mean embedding and dev metrics
//              (select/registration.hpp does the work; this file only parses and prints).
//   --pool     fine-tunes and registers every row of a pool manifest, on one process or
//              across the processes of mpirun or srun (select/pool_registration.hpp).
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/model/pooling.hpp"
#include "taskscout/registry/registry.hpp"
#include "taskscout/select/pool_registration.hpp"
#include "taskscout/select/registration.hpp"
#include "training.hpp"

namespace taskscout::cli {
namespace {

struct RegisterOptions {
  CommonOptions common;
  std::string registry, base, esm, name, source, text_column = "text", text_pair_column, label_column = "label";
  std::string task = "classification", pooling = "mean", dev_metrics, method, dev, pool;
  FineTuneOptions fine_tune;
  std::string placement = "pfeiffer", lora_targets;
  double dev_fraction = 0.1, esm_heldout = 0.1;
  int layer = -1;
  std::size_t max_texts = 10'000, max_length = 0, batch_size = 32;
  std::size_t parameter_fisher = 0;  // rows for the parameter_fisher artifact; 0: none
  double lock_timeout = 30;
};

DatasetOptions dataset_options(const RegisterOptions& o) {
  DatasetOptions d;
  d.text_column = o.text_column;
  d.text_pair_column = o.text_pair_column;
  d.label_column = o.label_column;
  d.kind = o.task == "regression" ? LabelKind::Regression : LabelKind::Classification;
  return d;
}

void print_stored(const RegisterOptions& o, const SourceRecord& stored, double seconds,
                  const std::vector<std::pair<std::string, std::string>>& extra = {}) {
  if (o.common.json) {
    nlohmann::ordered_json artifacts = nlohmann::ordered_json::object();
    for (const auto& [kind, a] : stored.artifacts) artifacts[kind] = {{"digest", a.digest}, {"size", a.size}};
    nlohmann::ordered_json j = {{"id", stored.id},
                                {"name", stored.name},
                                {"base_fingerprint", stored.base_fingerprint},
                                {"task", task_kind_name(stored.task)},
                                {"dataset_size", stored.dataset_size},
                                {"artifacts", artifacts}};
    if (!stored.dev_metrics.empty()) j["dev"] = stored.dev_metrics;
    if (stored.provenance.contains("esm")) j["esm_r2_heldout"] = stored.provenance["esm"]["r2_heldout"];
    j["seconds"] = seconds;
    print_json(j);
    return;
  }
  std::string kinds;
  for (const auto& [kind, _] : stored.artifacts) kinds += (kinds.empty() ? "" : ",") + kind;
  ResultTable table{{"id", "name", "task", "examples", "artifacts", "base"}, {}};
  std::vector<std::string> row{std::to_string(stored.id),           stored.name, task_kind_name(stored.task),
                               std::to_string(stored.dataset_size), kinds,       stored.base_fingerprint.substr(0, 12)};
  for (const auto& [column, value] : extra) {
    table.columns.push_back(column);
    row.push_back(value);
  }
  table.columns.push_back("seconds");
  row.push_back(fmt::format("{:.2f}", seconds));
  table.rows.push_back(row);
  print_table(table, o.common.csv);
}

// The fine-tuning registration's options from the flags (the method aside): --method's, and
// every row's defaults with --pool.
SourceRegistrationOptions fine_tuning_options(const RegisterOptions& o) {
  SourceRegistrationOptions options;
  options.base = o.base;
  options.name = o.name;
  options.fine_tune = o.fine_tune;
  options.fine_tune.seed = o.common.seed;
  options.fine_tune.adapter.placement = parse_adapter_placement(o.placement);
  options.fine_tune.lora.target_modules = split_list(o.lora_targets);
  options.dev_fraction = o.dev_fraction;
  options.embedding.pooling = parse_pooling(o.pooling);
  options.embedding.layer = o.layer;
  options.max_length = o.max_length;
  options.batch_size = o.batch_size;
  options.max_texts = o.max_texts;
  options.parameter_fisher_examples = o.parameter_fisher;
  options.esm.heldout_fraction = o.esm_heldout;
  options.esm.seed = o.common.seed;
  return options;
}

// --method: fine-tune, embed, fit the ESM and register, each phase with its progress bar.
void run_fine_tuning(RegisterOptions& o) {
  if (!o.esm.empty())
    throw UsageError("register takes --esm (an ESM trained elsewhere) or --method (fine-tune here), not both");
  if (o.source.empty()) throw UsageError("register --method needs --source, the dataset to fine-tune on");
  if (!o.dev_metrics.empty())
    throw UsageError("--dev-metrics is for --esm; with --method the dev metrics are measured");
  Registry reg = Registry::open(o.registry, {.lock_timeout_seconds = o.lock_timeout});

  SourceRegistrationOptions options = fine_tuning_options(o);
  options.fine_tune.method = parse_fine_tune_method(o.method);
  options.provenance = {{"command", "register --method " + o.method}};

  DatasetOptions data_options = dataset_options(o);
  const Dataset source = load_dataset(o.source, data_options);
  std::optional<Dataset> dev;
  if (!o.dev.empty()) {
    if (source.kind == LabelKind::Classification) data_options.label_names = source.label_names;
    dev = load_dataset(o.dev, data_options);
  }

  ProgressBars bars;
  RegistrationProgress progress;
  static_cast<Progress&>(progress) = bars.callbacks();
  progress.evaluation = [&](const Evaluation& e) {
    std::cerr << fmt::format("{}step {} (epoch {:.2f}): train loss {:.4f}, dev", ::isatty(2) ? "\n" : "", e.step,
                             e.epoch, e.train_loss);
    for (const auto& [name, v] : e.dev.values) std::cerr << fmt::format(" {} {:.4f}", name, v);
    std::cerr << "\n";
  };
  const SourceRegistration r = register_fine_tuned_source(reg, source, dev, options, progress);
  bars.close();
  if (r.truncated_texts > 0)
    std::cerr << fmt::format("note: {} of {} embedded texts were truncated to the model's limit\n", r.truncated_texts,
                             r.embedded_texts);
  std::cerr << fmt::format("ESM fit on {} texts: held-out R² {:.4f} (λ {:.3g})\n", r.embedded_texts,
                           r.esm_fit.r2_heldout, r.esm_fit.lambda);
  std::vector<std::pair<std::string, std::string>> extra;
  for (const auto& [name, v] : r.best.dev.values) extra.emplace_back("dev_" + name, format_number(v));
  extra.emplace_back("esm_r2", fmt::format("{:.4f}", r.esm_fit.r2_heldout));
  print_stored(o, r.stored, r.seconds, extra);
}

// --pool: every row of the manifest, across the job's processes; only the root prints.
void run_pool(const RegisterOptions& o) {
  for (const auto& [flag, value] : {std::pair{"--name", &o.name},
                                    {"--source", &o.source},
                                    {"--dev", &o.dev},
                                    {"--method", &o.method},
                                    {"--esm", &o.esm},
                                    {"--dev-metrics", &o.dev_metrics}})
    if (!value->empty())
      throw UsageError(fmt::format(
          "register --pool takes each source's name, dataset, method and dev from the manifest's rows, not {}; drop it "
          "(the other training flags are every row's defaults)",
          flag));
  Cluster& cluster = job_cluster();
  PoolRegistrationRequest request;
  request.registry = o.registry;
  request.manifest = o.pool;
  request.defaults = fine_tuning_options(o);
  request.dataset = dataset_options(o);
  request.registry_options.lock_timeout_seconds = o.lock_timeout;
  ProgressBars bars;
  const PoolRegistration r = register_pool(request, cluster, cluster.is_root() ? bars.callbacks() : Progress{});
  bars.close();
  const std::size_t failed = r.count(PoolStatus::Failed);
  if (cluster.is_root()) {
    std::set<std::string> metrics;  // a column per dev metric any source has
    for (const auto& s : r.sources)
      for (const auto& [name, _] : s.dev_metrics.items()) metrics.insert(name);
    if (o.common.json) {
      nlohmann::ordered_json sources = nlohmann::ordered_json::array();
      for (const auto& s : r.sources)
        sources.push_back({{"name", s.name},
                           {"status", pool_status_name(s.status)},
                           {"reason", s.reason},
                           {"where", s.where},
                           {"seconds", s.seconds},
                           {"dev", s.dev_metrics}});
      print_json({{"registry", o.registry},
                  {"pool", o.pool},
                  {"processes", cluster.size()},
                  {"registered", r.count(PoolStatus::Registered)},
                  {"already_registered", r.count(PoolStatus::AlreadyRegistered)},
                  {"failed", failed},
                  {"sources", sources},
                  {"seconds", r.seconds}});
    } else {
      ResultTable table{{"name", "status"}, {}};
      for (const auto& m : metrics) table.columns.push_back("dev_" + m);
      for (const char* c : {"seconds", "where", "reason"}) table.columns.push_back(c);
      for (const auto& s : r.sources) {
        std::vector<std::string> row{s.name, pool_status_name(s.status)};
        for (const auto& m : metrics)
          row.push_back(s.dev_metrics.contains(m) ? fmt::format("{:.4f}", s.dev_metrics[m].get<double>()) : "");
        row.push_back(s.status == PoolStatus::AlreadyRegistered ? "" : fmt::format("{:.2f}", s.seconds));
        row.push_back(s.where);
        row.push_back(s.reason);
        table.rows.push_back(row);
      }
      print_table(table, o.common.csv);
    }
  }
  // The others are registered; the exit status says some were not (every process alike).
  root_decides(cluster, [&] {
    if (failed > 0)
      throw InputError(location(o.pool) +
                       fmt::format("{} of {} source(s) failed, listed above with the reason; fix them and run the "
                                   "same command again (what is registered stays registered)",
                                   failed, r.sources.size()));
    return std::string();
  });
}

void run(RegisterOptions& o) {
  apply_common_options(o.common);
  if (!o.pool.empty()) return run_pool(o);
  // Every process would register the same source: refused alike on every one.
  if (job_cluster().size() > 1)
    throw UsageError(
        "under mpirun, register takes --pool pool.csv (one source per row, spread over the processes); register one "
        "source without mpirun");
  if (o.name.empty()) throw UsageError("register needs --name, the source's name in the registry (or --pool)");
  if (!o.method.empty()) return run_fine_tuning(o);
  if (o.esm.empty())
    throw UsageError(
        "register needs --esm ESM.safetensors (an ESM trained elsewhere) or --method adapter|lora|full "
        "with --source (fine-tune here)");
  if (o.parameter_fisher > 0)
    throw UsageError("--parameter-fisher needs the fine-tuned model: use it with --method full, not --esm");
  nlohmann::json dev_metrics = nlohmann::json::object();
  if (!o.dev_metrics.empty()) {
    dev_metrics = nlohmann::json::parse(o.dev_metrics, nullptr, false);
    if (dev_metrics.is_discarded() || !dev_metrics.is_object())
      throw UsageError("--dev-metrics must be a JSON object, e.g. '{\"accuracy\": 0.91}'");
  }
  Registry reg = Registry::open(o.registry, {.lock_timeout_seconds = o.lock_timeout});
  EsmRegistrationOptions options;
  options.base = o.base;
  options.esm = o.esm;
  options.name = o.name;
  options.embedding.pooling = parse_pooling(o.pooling);
  options.embedding.layer = o.layer;
  options.max_length = o.max_length;
  options.batch_size = o.batch_size;
  options.max_texts = o.max_texts;
  options.seed = o.common.seed;
  options.dev_metrics = dev_metrics;
  options.provenance = {{"command", "register --esm"}};
  std::optional<Dataset> source;
  if (!o.source.empty()) source = load_dataset(o.source, dataset_options(o));
  ProgressBars bars;
  const EsmRegistration r = register_external_esm(reg, source, options, bars.callbacks());
  bars.close();
  if (r.truncated_texts > 0)
    std::cerr << fmt::format("note: {} of {} texts were truncated to the model's limit\n", r.truncated_texts,
                             r.embedded_texts);
  print_stored(o, r.stored, r.seconds);
}

}  // namespace

void add_register_command(CLI::App& app) {
  auto o = std::make_shared<RegisterOptions>();
  CLI::App* cmd = app.add_subcommand(
      "register", "Add a source to a registry (fine-tune here: --method; ESM trained elsewhere: --esm)");
  cmd->footer(
      "Examples:\n  taskscout register --registry reg --base bert --source sst2/train.csv --dev sst2/dev.csv \\\n"
      "      --name sst2 --method lora\n"
      "  taskscout register --registry reg --base bert --esm sst2.esm.safetensors --name sst2 \\\n"
      "      --source sst2/train.csv --text-column text --label-column label\n"
      "  mpirun -n 4 taskscout register --registry reg --base bert --pool pool.csv --epochs 2\n"
      "--method fine-tunes on --source (dev: --dev, or --dev-fraction of the source held out by --seed), embeds\n"
      "up to --max-texts source texts with the base and the fine-tuned model, fits the ESM (its held-out R² is\n"
      "reported) and registers the model's safetensors (lora, adapter + head, or full_model), the ESM, the base's\n"
      "mean embedding, dev metrics and provenance in one transaction; on any failure nothing is registered.\n"
      "--esm adds an ESM trained elsewhere: weight [D, D] and bias [D] (F32), metadata format=taskscout-esm.\n"
      "With --source, the dataset's fingerprint, size, labels and task are recorded, and the base model's mean\n"
      "embedding of up to --max-texts texts is stored (the TextEmb baseline).\n"
      "--pool registers every row of a manifest (columns name, dataset: a task folder with train.csv and dev.csv or\n"
      "a file, method, and optionally dev and options: \"epochs=2;learning_rate=1e-3;seed=1;batch_size=8;\n"
      "max_length=64;max_train_examples=1000\"; the flags are every row's defaults). Names already registered are\n"
      "skipped, so a rerun registers what is missing; a failed row is listed and the others are registered. Under\n"
      "mpirun or srun the rows are spread over the processes; the registry must be on storage they all share.");
  cmd->add_option("--registry", o->registry, "Registry folder (taskscout registry init)")->required();
  cmd->add_option("--base", o->base, "Base model folder (the ESM's, or the one to fine-tune)")->required();
  cmd->add_option("--esm", o->esm, "ESM file (.safetensors) trained elsewhere");
  cmd->add_option("--method", o->method, "adapter, lora or full: fine-tune on --source at registration")
      ->check(CLI::IsMember({"full", "adapter", "lora"}));
  cmd->add_option("--dev", o->dev, "With --method: dev set for evaluation and early stopping");
  cmd->add_option("--dev-fraction", o->dev_fraction, "With --method and no --dev: share of the source held out")
      ->capture_default_str();
  cmd->add_option("--esm-heldout", o->esm_heldout,
                  "With --method: share of the texts held out to fit and judge the ESM")
      ->capture_default_str();
  cmd->add_option("--name", o->name, "Source name, unique in the registry (not with --pool)");
  cmd->add_option("--pool", o->pool,
                  "Pool manifest (.csv, .tsv, .jsonl): register every row (name, dataset, method, dev, options), "
                  "across processes under mpirun or srun");
  cmd->add_option("--source", o->source, "Source dataset (.csv, .tsv, .jsonl)");
  cmd->add_option("--text-column", o->text_column, "Text column")->capture_default_str();
  cmd->add_option("--text-pair-column", o->text_pair_column, "Second text column, for sentence pairs");
  cmd->add_option("--label-column", o->label_column, "Label column")->capture_default_str();
  cmd->add_option("--task", o->task, "classification or regression")
      ->check(CLI::IsMember({"classification", "regression"}))
      ->capture_default_str();
  cmd->add_option("--parameter-fisher", o->parameter_fisher,
                  "With --method full: also store the model's per-parameter Fisher over N training rows (for "
                  "merge --method fisher)")
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
  add_training_options(*cmd, o->fine_tune,
                       "With --method: peak learning rate (default: full 5e-5, adapter 1e-3, lora 5e-4)",
                       {.batch_size = "--train-batch-size", .max_length = "--train-max-length"});
  FineTuneOptions& f = o->fine_tune;
  cmd->add_option("--lora-rank", f.lora.rank, "LoRA rank r")->capture_default_str();
  cmd->add_option("--lora-alpha", f.lora.alpha, "LoRA alpha (scaling alpha/r)")->capture_default_str();
  cmd->add_option("--lora-targets", o->lora_targets,
                  "Comma-separated modules (default: query,value; q_lin,v_lin for DistilBERT)");
  cmd->add_option("--adapter", o->placement, "Adapter placement: pfeiffer or houlsby")->capture_default_str();
  cmd->add_option("--reduction-factor", f.adapter.reduction_factor, "Adapter bottleneck = hidden / factor")
      ->capture_default_str();
  rename_option_flag("register", "fine_tune.batch_size", "--train-batch-size");
  rename_option_flag("register", "fine_tune.max_length", "--train-max-length");
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
