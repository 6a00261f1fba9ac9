// taskscout registry import-esm|export-esm: hf-dataset-selector's ESM folders in and out of
// a registry (select/hf_esm.hpp does the work).
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/select/hf_esm.hpp"

namespace taskscout::cli {
namespace {

namespace fs = std::filesystem;

struct HfEsmCommandOptions {
  CommonOptions common;
  std::string registry, base, base_model_name, name_prefix, out, sources;
  std::vector<std::string> dirs;
  double lock_timeout = 30;
  bool allow_unknown_fields = false;
};

void run_import_esm(const HfEsmCommandOptions& o) {
  apply_common_options(o.common);
  Registry reg = Registry::open(o.registry, {.lock_timeout_seconds = o.lock_timeout});
  HfEsmImportOptions options{o.base, o.base_model_name, o.name_prefix, o.allow_unknown_fields};
  std::vector<fs::path> dirs(o.dirs.begin(), o.dirs.end());
  HfEsmImportResult r;
  {
    ProgressBars bars;
    r = import_hf_esms(reg, dirs, options, bars.callbacks());
  }
  if (o.common.json) {
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& i : r.items) {
      nlohmann::ordered_json j = {{"folder", i.folder}, {"name", i.name}, {"imported", i.imported}};
      if (i.imported) {
        j["dim"] = i.dim;
        j["pooling"] = i.pooling;
      } else {
        j["reason"] = i.reason;
      }
      items.push_back(j);
    }
    print_json({{"registry", o.registry},
                {"imported", r.imported()},
                {"skipped", r.items.size() - r.imported()},
                {"folders", items}});
    return;
  }
  ResultTable table{{"folder", "source", "status", "dim", "pooling", "reason"}, {}};
  for (const auto& i : r.items)
    table.rows.push_back({i.folder, i.name, i.imported ? "imported" : "skipped",
                          i.imported ? std::to_string(i.dim) : "", i.pooling, i.reason});
  print_table(table, o.common.csv);
  std::cerr << fmt::format("{} imported, {} skipped; rank them with --pooling as the table says\n", r.imported(),
                           r.items.size() - r.imported());
}

void run_export_esm(const HfEsmCommandOptions& o) {
  apply_common_options(o.common);
  const Registry reg = Registry::open(o.registry, {.lock_timeout_seconds = o.lock_timeout});
  std::vector<HfEsmExportItem> items;
  {
    ProgressBars bars;
    items = export_hf_esms(reg, o.out, split_list(o.sources), bars.callbacks());
  }
  if (o.common.json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& i : items) {
      nlohmann::ordered_json j = {{"source", i.source}, {"exported", !i.folder.empty()}};
      if (!i.folder.empty()) j["folder"] = i.folder;
      if (!i.reason.empty()) j["reason"] = i.reason;
      list.push_back(j);
    }
    print_json({{"out", o.out}, {"sources", list}});
    return;
  }
  ResultTable table{{"source", "status", "folder", "reason"}, {}};
  for (const auto& i : items)
    table.rows.push_back({i.source, i.folder.empty() ? "skipped" : "exported", i.folder, i.reason});
  print_table(table, o.common.csv);
}

}  // namespace

void add_registry_hf_esm_commands(CLI::App& registry) {
  auto o = std::make_shared<HfEsmCommandOptions>();
  CLI::App* imp = registry.add_subcommand(
      "import-esm", "Add hf-dataset-selector ESM folders (config.json + model.safetensors) as sources");
  imp->add_option("registry", o->registry, "Registry folder")->required();
  imp->add_option("dirs", o->dirs, "ESM folders, or folders holding many (searched recursively)")->required();
  imp->add_option("--base", o->base, "The base model folder the ESMs were trained on (its fingerprint is recorded)")
      ->required();
  imp->add_option("--base-model-name", o->base_model_name,
                  "Assert the configs' base_model_name (e.g. google-bert/bert-base-uncased) names --base");
  imp->add_option("--name-prefix", o->name_prefix, "Put before each source name (task_id[:task_subset])");
  imp->add_flag("--allow-unknown-fields", o->allow_unknown_fields,
                "Import configs with keys ESMConfig does not define (kept in the provenance)");
  imp->add_option("--lock-timeout", o->lock_timeout, "Seconds to wait for another process's lock")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_common_options(*imp, o->common);
  imp->footer(
      "Each folder becomes one source, added in its own transaction (whole or not at all); a folder with a missing\n"
      "or unknown config field, a weight of the wrong shape, NaN, an architecture other than linear or another base\n"
      "is reported and skipped. hf-dataset-selector embeds BERT with its pooler output (sentence-transformers\n"
      "models: the mean; DistilBERT, RoBERTa: the first token): rank these sources with that --pooling.\n"
      "Example:\n  taskscout registry import-esm reg esms/ --base bert-base-uncased\n"
      "  taskscout rank --registry reg --target t.csv --base bert-base-uncased --pooling pooler");
  imp->callback([o] { run_import_esm(*o); });

  CLI::App* exp = registry.add_subcommand(
      "export-esm", "Write sources' ESMs as hf-dataset-selector folders (config.json + model.safetensors)");
  exp->add_option("registry", o->registry, "Registry folder")->required();
  exp->add_option("out", o->out, "Folder to write one subfolder per source in")->required();
  exp->add_option("--sources", o->sources, "Comma-separated source names (default: every source with an ESM)");
  exp->add_option("--lock-timeout", o->lock_timeout, "Seconds to wait for another process's lock")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_common_options(*exp, o->common);
  exp->footer("An existing subfolder is replaced only when an earlier export-esm wrote it.");
  exp->callback([o] { run_export_esm(*o); });
}

}  // namespace taskscout::cli
