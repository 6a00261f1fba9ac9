// taskscout merge: fine-tuned models of one base merged into one (compose/merge.hpp).
// This file reads the flags and prints.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include "command.hpp"
#include "taskscout/compose/merge.hpp"
#include "taskscout/compose/merge_method.hpp"
#include "taskscout/core/array.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/registry/registry.hpp"

namespace taskscout::cli {
namespace {

struct MergeCliOptions {
  CommonOptions common;
  std::string registry, sources, models, base, out, weights, labels;
  MergeOptions merge;
};

std::vector<double> parse_weights(const std::string& text) {
  std::vector<double> out;
  for (const std::string& item : split_list(text)) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size()) throw UsageError(fmt::format("--weights: \"{}\" is not a number", item));
    out.push_back(v);
  }
  return out;
}

// "runs/sst2/" → "sst2".
std::string folder_name(const std::string& path) {
  const std::filesystem::path p = std::filesystem::path(path).lexically_normal();
  const std::string name = (p.filename().empty() ? p.parent_path() : p).filename().string();
  return name.empty() ? path : name;
}

void run(MergeCliOptions o) {
  apply_common_options(o.common);
  if (o.registry.empty() == o.models.empty())
    throw UsageError("give the sources either as --registry R --sources a,b or as --models dir1,dir2 (with --base)");
  if (!o.registry.empty() && o.sources.empty()) throw UsageError("--registry needs --sources a,b,…");
  if (!o.models.empty() && o.base.empty())
    throw UsageError("--models needs --base: the folder the models were fine-tuned from");
  o.merge.weights = parse_weights(o.weights);
  o.merge.labels = split_list(o.labels);
  o.merge.seed = o.common.seed;

  std::vector<MergeSource> sources;
  std::filesystem::path base = o.base;
  RegistryMergeSources stored;
  if (!o.registry.empty()) {
    const Registry registry = Registry::open(o.registry);
    const std::vector<std::string> names = split_list(o.sources);
    if (names.empty()) throw UsageError("--sources names no source");
    stored = registry_merge_sources(registry, names, o.base);
    sources = stored.sources;
    base = stored.base;
  } else {
    // Sources are named by their folder's name (by the path as given when two share one);
    // --head takes either.
    const std::vector<std::string> folders = split_list(o.models);
    std::set<std::string> names, repeated;
    for (const std::string& m : folders)
      if (!names.insert(folder_name(m)).second) repeated.insert(folder_name(m));
    for (const std::string& m : folders) {
      const std::string name = repeated.count(folder_name(m)) ? m : folder_name(m);
      if (o.merge.head == m) o.merge.head = name;
      sources.push_back({name, m, {}, {}, {}});
    }
  }
  std::optional<ProgressBar> bar;
  o.merge.progress = [&](std::size_t, std::size_t total, const std::string& tensor) {
    if (!bar) bar.emplace("merging", static_cast<std::int64_t>(total));
    bar->show(tensor);
    bar->advance();
  };
  const MergeSummary s = merge_models(sources, base, o.out, o.merge);
  bar.reset();
  std::cerr << fmt::format("wrote {} ({}, {} tensors, {:.1f} s)\n", s.out.string(), s.output_kind, s.tensors.size(),
                           s.seconds);
  if (o.common.json) {
    nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
    for (const MergedTensor& t : s.tensors)
      tensors.push_back({{"name", t.name},
                         {"shape", t.shape},
                         {"base_norm", t.base_norm},
                         {"delta_norm", t.delta_norm},
                         {"changed", t.changed}});
    print_json({{"out", s.out.string()},
                {"output", s.output_kind},
                {"sources_kind", s.source_kind},
                {"recipe", s.recipe},
                {"bytes_read", s.bytes_read},
                {"seconds", s.seconds},
                {"tensors", tensors}});
    return;
  }
  ResultTable table{{"tensor", "shape", "base_norm", "delta_norm", "changed"}, {}};
  for (const MergedTensor& t : s.tensors)
    table.rows.push_back({t.name, shape_string(t.shape), format_number(t.base_norm), format_number(t.delta_norm),
                          format_number(t.changed)});
  print_table(table, o.common.csv);
}

}  // namespace

void add_merge_command(CLI::App& app) {
  auto o = std::make_shared<MergeCliOptions>();
  CLI::App* cmd = app.add_subcommand("merge", "Merge fine-tuned models of one base into one (weight merging)");
  std::string methods;
  for (const MergeMethod* m : merge_methods()) methods += fmt::format("  {:16} {}\n", m->name(), m->formula());
  cmd->footer(
      "Examples:\n"
      "  taskscout merge --registry R --sources a,b,c --method ties --density 0.2 --lambda 1.0 --out merged\n"
      "  taskscout merge --models dir1,dir2 --base base-dir --method task-arithmetic --weights 0.6,0.4 --out merged\n"
      "Methods (τ_k = θ_k − θ₀, weights w_k default 1):\n" +
      methods +
      "Sources: full model folders, LoRA (PEFT) folders (merged through ΔW = (α/r)·B·A) or adapter folders\n"
      "(linear only). Output: --head fresh writes the merged encoder as a base model folder; --head SOURCE a\n"
      "classifier with that source's head; LoRA sources with linear or task-arithmetic a PEFT folder (rank Σ r_k);\n"
      "adapters an adapter folder. merge.json in the output records the recipe.");
  cmd->add_option("--registry", o->registry, "Registry folder holding the sources");
  cmd->add_option("--sources", o->sources, "With --registry: comma-separated source names");
  cmd->add_option("--models", o->models, "Comma-separated model folders (full, LoRA or adapter)");
  cmd->add_option("--base", o->base,
                  "The base model folder the sources were fine-tuned from (with --registry: default the one they "
                  "were registered with)");
  cmd->add_option("--method", o->merge.method, "Merge method (see below)")->capture_default_str();
  cmd->add_option("--weights", o->weights, "Comma-separated weight per source (default all 1)");
  cmd->add_option("--lambda", o->merge.lambda, "Scale of the merged task vector")->capture_default_str();
  cmd->add_option("--density", o->merge.density, "ties, dare-*, breadcrumbs: share of each task vector kept")
      ->capture_default_str();
  cmd->add_option("--gamma", o->merge.gamma, "breadcrumbs: share of the largest magnitudes dropped")
      ->capture_default_str();
  cmd->add_option("--fisher-floor", o->merge.fisher_floor, "fisher: the smallest Fisher value used")
      ->capture_default_str();
  cmd->add_option("--head", o->merge.head, "fresh (no head: a base model) or a source's name (its head and labels)")
      ->capture_default_str();
  cmd->add_option("--labels", o->labels, "With --head SOURCE: the labels it must predict (comma-separated)");
  cmd->add_flag("--fold-lora", o->merge.fold_lora,
                "Write LoRA merges as a full model even when a PEFT folder is exact");
  cmd->add_option("--out", o->out, "Output folder (replaced only when taskscout wrote it)")->required();
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
